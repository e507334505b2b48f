/*
 * JetStream asynchronous publish: the AckHandler sees every message once (acks,
 * server errors, no-responders), the ErrHandler only failures and may resend
 * the message, MaxPending stalls then fails with NATS_TIMEOUT (the caller keeps
 * its message), per-message MaxWait timeouts, js_PublishAsyncComplete, the
 * pending list, and jsCtx_Destroy with messages in flight.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static char store_dir[256];

static void start_js_server(test_server *srv)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(store_dir, sizeof(store_dir), "%s/rnats-jspuba-XXXXXX", (tmp && tmp[0]) ? tmp : "/tmp");
    CHECK(mkdtemp(store_dir) != NULL);
    const char *args[] = {"-js", "-sd", store_dir, NULL};
    server_start(srv, args);
}

static void remove_store(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    CHECK(system(cmd) == 0);
}

static void add_stream(natsConnection *nc, const char *name, const char *subjects_json)
{
    char subj[128], body[512];
    natsMsg *reply = NULL;
    snprintf(subj, sizeof(subj), "$JS.API.STREAM.CREATE.%s", name);
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"subjects\":%s,\"storage\":\"memory\"}", name, subjects_json);
    CHECK_OK(natsConnection_RequestString(&reply, nc, subj, body, 5000));
    CHECK_MSG(strstr(natsMsg_GetData(reply), "\"error\"") == NULL, "stream create failed: %s", natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
}

/* What the handlers saw. */
typedef struct {
    atomic_int acks;
    atomic_int errs;
    atomic_int calls;
    atomic_int bad_args;        /* a call with neither or both of pa and pae */
    atomic_int err_expect;      /* NATS_ERR with JSStreamNotMatchErr */
    atomic_int err_noresp;      /* NATS_NO_RESPONDERS */
    atomic_int err_timeout;     /* NATS_TIMEOUT */
    atomic_int seq_sum;
    atomic_int gate;            /* when gated: wait until set */
    bool gated;
    pthread_t main_thread;
    atomic_int on_main;         /* called on the publishing thread */
    /* ErrHandler */
    atomic_int resent;
    jsCtx *js;
} seen_t;

static void count_err(seen_t *s, jsPubAckErr *pae)
{
    atomic_fetch_add(&s->errs, 1);
    if (pae->Err == NATS_ERR && pae->ErrCode == JSStreamNotMatchErr)
        atomic_fetch_add(&s->err_expect, 1);
    else if (pae->Err == NATS_NO_RESPONDERS)
        atomic_fetch_add(&s->err_noresp, 1);
    else if (pae->Err == NATS_TIMEOUT)
        atomic_fetch_add(&s->err_timeout, 1);
    if (pae->ErrText == NULL)
        atomic_fetch_add(&s->bad_args, 1);
}

static void ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    seen_t *s = closure;
    (void)js;
    while (s->gated && !atomic_load(&s->gate))
        test_sleep_ms(1);
    if (pthread_equal(pthread_self(), s->main_thread))
        atomic_fetch_add(&s->on_main, 1);
    if ((pa == NULL) == (pae == NULL) || msg == NULL)
        atomic_fetch_add(&s->bad_args, 1);
    if (pa != NULL) {
        atomic_fetch_add(&s->acks, 1);
        atomic_fetch_add(&s->seq_sum, (int)pa->Sequence);
        if (pa->Stream == NULL || strcmp(pa->Stream, "ASYNC") != 0)
            atomic_fetch_add(&s->bad_args, 1);
    } else if (pae != NULL) {
        count_err(s, pae);
    }
    atomic_fetch_add(&s->calls, 1);
    /* The AckHandler owns the message. */
    natsMsg_Destroy(msg);
}

static void err_handler(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    seen_t *s = closure;
    if (pae->Msg == NULL)
        atomic_fetch_add(&s->bad_args, 1);
    count_err(s, pae);
    if (atomic_fetch_add(&s->resent, 1) == 0) {
        /* Resend once: the library takes the message back and clears pae->Msg. */
        if (js_PublishMsgAsync(js, &pae->Msg, NULL) != NATS_OK || pae->Msg != NULL)
            atomic_fetch_add(&s->bad_args, 1);
    }
    atomic_fetch_add(&s->calls, 1);
}

static jsCtx *ctx_with(natsConnection *nc, seen_t *s, bool ack, int64_t max_pending, int64_t stall)
{
    jsOptions o;
    jsCtx *js = NULL;
    CHECK_OK(jsOptions_Init(&o));
    if (ack) {
        o.PublishAsync.AckHandler = ack_handler;
        o.PublishAsync.AckHandlerClosure = s;
    } else {
        o.PublishAsync.ErrHandler = err_handler;
        o.PublishAsync.ErrHandlerClosure = s;
    }
    o.PublishAsync.MaxPending = max_pending;
    o.PublishAsync.StallWait = stall;
    CHECK_OK(natsConnection_JetStream(&js, nc, &o));
    s->js = js;
    return js;
}

int main(void)
{
    test_init("test_js_publish_async");

    test_server srv;
    start_js_server(&srv);
    natsConnection *nc = test_connect(srv.url);
    jsCtx *js = NULL;
    jsPubOptions po;
    natsMsgList list;
    natsMsg *m = NULL;

    /* A negative StallWait is refused. */
    jsOptions jo;
    CHECK_OK(jsOptions_Init(&jo));
    jo.PublishAsync.StallWait = -1;
    CHECK_STATUS(natsConnection_JetStream(&js, nc, &jo), NATS_INVALID_ARG);

    add_stream(nc, "ASYNC", "[\"async.*\"]");
    /* A subscriber that never answers stands in for a stream that does not ack. */
    natsSubscription *quiet = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&quiet, nc, "quiet.*"));
    CHECK_OK(natsConnection_Flush(nc));

    /* 1. AckHandler: every message once, success or failure. */
    {
        static seen_t s;
        memset(&s, 0, sizeof(s));
        s.main_thread = pthread_self();
        js = ctx_with(nc, &s, true, 0, 0);

        /* Bad arguments. */
        CHECK_STATUS(js_PublishAsync(NULL, "async.a", "x", 1, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_PublishMsgAsync(js, NULL, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_PublishMsgAsync(js, &m, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_PublishAsyncComplete(NULL, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_PublishAsyncGetPendingList(NULL, js), NATS_INVALID_ARG);
        CHECK_STATUS(js_PublishAsyncGetPendingList(&list, NULL), NATS_INVALID_ARG);
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = -1;
        CHECK_STATUS(js_PublishAsyncComplete(js, &po), NATS_INVALID_ARG);
        /* Nothing in flight yet. (The pending list is not asked for here: nats.c 3.4.1
         * crashes when it is asked before the first asynchronous publish.) */
        CHECK_OK(js_PublishAsyncComplete(js, NULL));

        const int n = 200;
        for (int i = 0; i < n; i++) {
            char buf[16];
            snprintf(buf, sizeof(buf), "%d", i);
            CHECK_OK(js_PublishAsync(js, "async.a", buf, (int)strlen(buf), NULL));
        }
        CHECK_OK(natsMsg_Create(&m, "async.b", NULL, "msg", 3));
        CHECK_OK(js_PublishMsgAsync(js, &m, NULL));
        CHECK(m == NULL);
        natsMsg_Destroy(m);     /* no effect: the library owns it */

        CHECK_OK(jsPubOptions_Init(&po));
        po.ExpectStream = "NOT_ASYNC";
        CHECK_OK(js_PublishAsync(js, "async.a", "bad", 3, &po));
        CHECK_OK(js_PublishAsync(js, "nostream", "lost", 4, NULL));

        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 10000;
        CHECK_OK(js_PublishAsyncComplete(js, &po));
        CHECK_EQ(atomic_load(&s.calls), n + 3);
        CHECK_EQ(atomic_load(&s.acks), n + 1);
        CHECK_EQ(atomic_load(&s.seq_sum), (n + 1) * (n + 2) / 2);
        CHECK_EQ(atomic_load(&s.errs), 2);
        CHECK_EQ(atomic_load(&s.err_expect), 1);
        CHECK_EQ(atomic_load(&s.err_noresp), 1);
        CHECK_EQ(atomic_load(&s.bad_args), 0);
        CHECK_EQ(atomic_load(&s.on_main), 0);
        CHECK_STATUS(js_PublishAsyncGetPendingList(&list, js), NATS_NOT_FOUND);

        /* 2. Per-message MaxWait: no ack comes, the handler hears NATS_TIMEOUT. */
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 150;
        for (int i = 0; i < 5; i++)
            CHECK_OK(js_PublishAsync(js, "quiet.t", "t", 1, &po));
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 5000;
        int64_t t0 = test_now_ms();
        CHECK_OK(js_PublishAsyncComplete(js, &po));
        CHECK(test_now_ms() - t0 < 3000);
        CHECK_EQ(atomic_load(&s.err_timeout), 5);
        CHECK_EQ(atomic_load(&s.calls), n + 8);
        jsCtx_Destroy(js);
        CHECK_EQ(atomic_load(&s.calls), n + 8);
    }

    /* 3. The pending list: messages without an ack, handed back to the caller. */
    {
        static seen_t s;
        memset(&s, 0, sizeof(s));
        s.main_thread = pthread_self();
        js = ctx_with(nc, &s, true, 0, 0);
        const char *want[] = {"p0", "p1", "p2"};
        for (int i = 0; i < 3; i++)
            CHECK_OK(js_PublishAsync(js, "quiet.p", want[i], 2, NULL));
        CHECK_OK(natsConnection_Flush(nc));
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 100;
        CHECK_STATUS(js_PublishAsyncComplete(js, &po), NATS_TIMEOUT);
        memset(&list, 0, sizeof(list));
        CHECK_OK(js_PublishAsyncGetPendingList(&list, js));
        CHECK_EQ(list.Count, 3);
        int found = 0;
        for (int i = 0; i < list.Count; i++)
            for (int j = 0; j < 3; j++)
                if (strcmp(natsMsg_GetData(list.Msgs[i]), want[j]) == 0)
                    found |= 1 << j;
        CHECK_EQ(found, 7);
        natsMsgList_Destroy(&list);
        CHECK_STATUS(js_PublishAsyncGetPendingList(&list, js), NATS_NOT_FOUND);
        CHECK_OK(js_PublishAsyncComplete(js, NULL));
        CHECK_EQ(atomic_load(&s.calls), 0);

        /* 4. Destroy with messages in flight: dropped, no handler runs afterwards. */
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 100;
        for (int i = 0; i < 3; i++)
            CHECK_OK(js_PublishAsync(js, "quiet.d", "d", 1, &po));
        jsCtx_Destroy(js);
        test_sleep_ms(300);
        CHECK_EQ(atomic_load(&s.calls), 0);
    }

    /* 5. MaxPending: a full window stalls for StallWait, then NATS_TIMEOUT; the caller
     * keeps its message. */
    {
        static seen_t s;
        memset(&s, 0, sizeof(s));
        s.main_thread = pthread_self();
        s.gated = true;
        js = ctx_with(nc, &s, true, 2, 300);
        CHECK_OK(js_PublishAsync(js, "async.w", "1", 1, NULL));
        CHECK_OK(js_PublishAsync(js, "async.w", "2", 1, NULL));
        CHECK_OK(natsMsg_Create(&m, "async.w", NULL, "3", 1));
        int64_t t0 = test_now_ms();
        CHECK_STATUS(js_PublishMsgAsync(js, &m, NULL), NATS_TIMEOUT);
        int64_t took = test_now_ms() - t0;
        CHECK_MSG(took >= 250 && took < 2000, "stalled %lld ms", (long long)took);
        CHECK(m != NULL);
        CHECK_STR(natsMsg_GetData(m), "3");
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 100;
        CHECK_STATUS(js_PublishAsyncComplete(js, &po), NATS_TIMEOUT);
        atomic_store(&s.gate, 1);
        po.MaxWait = 5000;
        CHECK_OK(js_PublishAsyncComplete(js, &po));
        CHECK_EQ(atomic_load(&s.acks), 2);
        /* Room again: the same message goes through. */
        CHECK_OK(js_PublishMsgAsync(js, &m, NULL));
        CHECK(m == NULL);
        CHECK_OK(js_PublishAsyncComplete(js, &po));
        CHECK_EQ(atomic_load(&s.acks), 3);
        CHECK_EQ(atomic_load(&s.bad_args), 0);
        jsCtx_Destroy(js);
    }

    /* 6. ErrHandler: failures only; a handler may resend the message (once here: the
     * resent message keeps its failing header, so it fails again and the library
     * destroys it). */
    {
        static seen_t s;
        memset(&s, 0, sizeof(s));
        s.main_thread = pthread_self();
        js = ctx_with(nc, &s, false, 0, 0);
        for (int i = 0; i < 5; i++)
            CHECK_OK(js_PublishAsync(js, "async.e", "fine", 4, NULL));
        CHECK_OK(jsPubOptions_Init(&po));
        po.ExpectStream = "NOT_ASYNC";
        CHECK_OK(js_PublishAsync(js, "async.e", "bad", 3, &po));
        CHECK_OK(jsPubOptions_Init(&po));
        po.MaxWait = 5000;
        CHECK(WAIT_FOR(atomic_load(&s.calls) == 2, 5000));
        CHECK_OK(js_PublishAsyncComplete(js, &po));
        CHECK_EQ(atomic_load(&s.calls), 2);
        CHECK_EQ(atomic_load(&s.err_expect), 2);
        CHECK_EQ(atomic_load(&s.bad_args), 0);
        jsCtx_Destroy(js);
    }

    natsSubscription_Destroy(quiet);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    remove_store();
    return test_done();
}
