/*
 * Request/reply: Request, RequestString and RequestMsg against an echo
 * responder; argument checks; NATS_TIMEOUT from a responder that never
 * answers; NATS_NO_RESPONDERS (fast) when nobody listens, and the 503 status
 * message seen on a reply subject through PublishRequest;
 * natsOptions_DisableNoResponders; old request style; custom inbox prefix
 * (replies go there, invalid prefixes refused); 8 threads making concurrent
 * requests (each gets its own reply, nats_ReleaseThreadMemory at the end);
 * a second reply to the same request is not handed to the next request;
 * natsOptions_SetFailRequestsOnDisconnect.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

typedef struct {
    bool old_style;
    bool no_responders_disabled;
    const char *prefix;        /* custom inbox prefix or NULL */
} req_opts;

static natsConnection *connect_with(const req_opts *ro)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_srv.url));
    CHECK_OK(natsOptions_UseOldRequestStyle(o, ro->old_style));
    CHECK_OK(natsOptions_DisableNoResponders(o, ro->no_responders_disabled));
    if (ro->prefix != NULL)
        CHECK_OK(natsOptions_SetCustomInboxPrefix(o, ro->prefix));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

/* ------------------------------------------------------------------------ */
/* Responders (on their own connection)                                     */

static pthread_mutex_t g_reply_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_last_reply[256];       /* reply subject the echo responder saw */
static atomic_int g_echo_calls;

static void echo_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    const char *reply = natsMsg_GetReply(msg);
    pthread_mutex_lock(&g_reply_mu);
    snprintf(g_last_reply, sizeof(g_last_reply), "%s", reply ? reply : "");
    pthread_mutex_unlock(&g_reply_mu);
    if (reply != NULL)
        natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    atomic_fetch_add(&g_echo_calls, 1);
    natsMsg_Destroy(msg);
}

static void twice_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    const char *reply = natsMsg_GetReply(msg);
    if (reply != NULL) {
        natsConnection_PublishString(nc, reply, "first");
        natsConnection_PublishString(nc, reply, "second");
        natsConnection_Flush(nc);
    }
    natsMsg_Destroy(msg);
}

static void last_reply(char *out, size_t len)
{
    pthread_mutex_lock(&g_reply_mu);
    snprintf(out, len, "%s", g_last_reply);
    g_last_reply[0] = '\0';
    pthread_mutex_unlock(&g_reply_mu);
}

typedef struct {
    natsConnection *nc;
    natsSubscription *echo;
    natsSubscription *twice;
    natsSubscription *silent;     /* sync: receives requests, never answers */
} responders;

static void responders_start(responders *r)
{
    memset(r, 0, sizeof(*r));
    r->nc = test_connect(g_srv.url);
    CHECK_OK(natsConnection_Subscribe(&r->echo, r->nc, "svc.echo", echo_handler, NULL));
    CHECK_OK(natsConnection_Subscribe(&r->twice, r->nc, "svc.twice", twice_handler, NULL));
    CHECK_OK(natsConnection_SubscribeSync(&r->silent, r->nc, "svc.silent"));
    CHECK_OK(natsSubscription_SetPendingLimits(r->silent, -1, -1));
    CHECK_OK(natsConnection_Flush(r->nc));
}

static void responders_stop(responders *r)
{
    natsSubscription_Destroy(r->echo);
    natsSubscription_Destroy(r->twice);
    natsSubscription_Destroy(r->silent);
    natsConnection_Destroy(r->nc);
}

static int count_tokens(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------------ */

static void check_args(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsMsg *reply = NULL, *req = NULL;

    CHECK_STATUS(natsConnection_Request(NULL, nc, "svc.echo", "x", 1, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_Request(&reply, NULL, "svc.echo", "x", 1, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_Request(&reply, nc, NULL, "x", 1, 1000), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_Request(&reply, nc, "", "x", 1, 1000), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_RequestString(NULL, nc, "svc.echo", "x", 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_RequestString(&reply, NULL, "svc.echo", "x", 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, NULL, "x", 1000), NATS_INVALID_SUBJECT);
    CHECK(reply == NULL);

    CHECK_OK(natsMsg_Create(&req, "svc.echo", NULL, "x", 1));
    CHECK_STATUS(natsConnection_RequestMsg(&reply, nc, NULL, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_RequestMsg(NULL, nc, req, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_RequestMsg(&reply, NULL, req, 1000), NATS_INVALID_ARG);
    CHECK(reply == NULL);
    natsMsg_Destroy(req);

    /* Option setters refuse NULL options. */
    CHECK_STATUS(natsOptions_UseOldRequestStyle(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_DisableNoResponders(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetCustomInboxPrefix(NULL, "x"), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetFailRequestsOnDisconnect(NULL, true), NATS_INVALID_ARG);

    /* On a closed connection. */
    natsConnection_Close(nc);
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, "svc.echo", "x", 1000),
                 NATS_CONNECTION_CLOSED);
    CHECK(reply == NULL);
    natsConnection_Destroy(nc);
}

/* Zero or negative timeout: nats.c does not wait and reports a timeout. */
static void check_nonpositive_timeout(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsMsg *reply = NULL;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, "svc.silent", "x", 0), NATS_TIMEOUT);
    CHECK(reply == NULL);
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, "svc.silent", "x", -1), NATS_TIMEOUT);
    CHECK(reply == NULL);
    CHECK_STATUS(natsConnection_Request(&reply, nc, "svc.silent", "x", 1, -1000), NATS_TIMEOUT);
    CHECK(reply == NULL);
    natsMsg *req = NULL;
    CHECK_OK(natsMsg_Create(&req, "svc.silent", NULL, "x", 1));
    CHECK_STATUS(natsConnection_RequestMsg(&reply, nc, req, 0), NATS_TIMEOUT);
    CHECK(reply == NULL);
    natsMsg_Destroy(req);
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el < 2000, "four requests with timeout <= 0 took %lld ms", (long long)el);
    natsConnection_Destroy(nc);
}

/* Reply received through all three calls; reply message fields. */
static void check_basic(const req_opts *ro)
{
    natsConnection *nc = connect_with(ro);
    natsMsg *reply = NULL;
    char seen[256];
    const char *prefix = ro->prefix != NULL ? ro->prefix : "_INBOX";
    char want_prefix[128];
    snprintf(want_prefix, sizeof(want_prefix), "%s.", prefix);

    CHECK_OK(natsConnection_Request(&reply, nc, "svc.echo", "hello", 5, 5000));
    CHECK(reply != NULL);
    CHECK_EQ(natsMsg_GetDataLength(reply), 5);
    CHECK(memcmp(natsMsg_GetData(reply), "hello", 5) == 0);
    CHECK_MSG(starts_with(natsMsg_GetSubject(reply), want_prefix),
              "reply subject \"%s\" does not start with \"%s\"", natsMsg_GetSubject(reply),
              want_prefix);
    CHECK(natsMsg_GetReply(reply) == NULL);
    CHECK(!natsMsg_IsNoResponders(reply));
    natsMsg_Destroy(reply);
    reply = NULL;
    last_reply(seen, sizeof(seen));
    CHECK_MSG(starts_with(seen, want_prefix), "responder saw reply \"%s\", want prefix \"%s\"",
              seen, want_prefix);
    /* New style: one wildcard inbox per connection, a token per request
     * (prefix.<id>.<token>); old style: a fresh inbox (prefix.<id>). */
    CHECK_EQ(count_tokens(seen), count_tokens(prefix) + (ro->old_style ? 1 : 2));
    char first[256];
    snprintf(first, sizeof(first), "%s", seen);

    CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.echo", "second", 5000));
    CHECK_STR(natsMsg_GetData(reply), "second");
    natsMsg_Destroy(reply);
    reply = NULL;
    last_reply(seen, sizeof(seen));
    CHECK(strcmp(seen, first) != 0);
    if (!ro->old_style) {
        /* Same connection inbox, different last token. */
        size_t base = strrchr(first, '.') - first;
        CHECK(strncmp(seen, first, base + 1) == 0);
    } else {
        size_t base = strrchr(first, '.') - first;
        CHECK(strncmp(seen, first, base + 1) == 0);     /* same prefix */
        CHECK(strcmp(strrchr(seen, '.'), strrchr(first, '.')) != 0);
    }

    /* Empty payload. */
    CHECK_OK(natsConnection_Request(&reply, nc, "svc.echo", NULL, 0, 5000));
    CHECK_EQ(natsMsg_GetDataLength(reply), 0);
    natsMsg_Destroy(reply);
    reply = NULL;

    /* RequestMsg: the message's subject and data; a reply subject set on the
     * message is not used, the request's own inbox is. */
    natsMsg *req = NULL;
    CHECK_OK(natsMsg_Create(&req, "svc.echo", "ignored.reply", "viamsg", 6));
    CHECK_OK(natsConnection_RequestMsg(&reply, nc, req, 5000));
    CHECK_STR(natsMsg_GetData(reply), "viamsg");
    natsMsg_Destroy(reply);
    reply = NULL;
    natsMsg_Destroy(req);
    last_reply(seen, sizeof(seen));
    CHECK_MSG(starts_with(seen, want_prefix), "RequestMsg: responder saw reply \"%s\"", seen);

    /* Binary payload with a NUL inside. */
    const char bin[] = { 'a', 0, 'b', '\r', '\n', 'c' };
    CHECK_OK(natsConnection_Request(&reply, nc, "svc.echo", bin, (int)sizeof(bin), 5000));
    CHECK_EQ(natsMsg_GetDataLength(reply), sizeof(bin));
    CHECK(memcmp(natsMsg_GetData(reply), bin, sizeof(bin)) == 0);
    natsMsg_Destroy(reply);

    natsConnection_Destroy(nc);
}

static void check_timeout(const req_opts *ro)
{
    natsConnection *nc = connect_with(ro);
    natsMsg *reply = NULL;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, "svc.silent", "hello?", 300), NATS_TIMEOUT);
    int64_t el = test_now_ms() - t0;
    CHECK(reply == NULL);
    CHECK_MSG(el >= 250 && el < 5000, "timeout 300 ms returned after %lld ms", (long long)el);

    /* The connection still works afterwards. */
    CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.echo", "still", 5000));
    CHECK_STR(natsMsg_GetData(reply), "still");
    natsMsg_Destroy(reply);
    natsConnection_Destroy(nc);
}

static void check_no_responders(const req_opts *ro)
{
    natsConnection *nc = connect_with(ro);
    natsMsg *reply = NULL;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, "svc.nobody", "anyone?", 10000),
                 NATS_NO_RESPONDERS);
    int64_t el = test_now_ms() - t0;
    CHECK(reply == NULL);
    CHECK_MSG(el < 3000, "NATS_NO_RESPONDERS took %lld ms", (long long)el);

    natsMsg *req = NULL;
    CHECK_OK(natsMsg_Create(&req, "svc.nobody", NULL, "x", 1));
    CHECK_STATUS(natsConnection_RequestMsg(&reply, nc, req, 10000), NATS_NO_RESPONDERS);
    CHECK(reply == NULL);
    natsMsg_Destroy(req);

    /* A later request with a responder works. */
    CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.echo", "ok", 5000));
    CHECK_STR(natsMsg_GetData(reply), "ok");
    natsMsg_Destroy(reply);
    natsConnection_Destroy(nc);
}

static void check_no_responders_disabled(void)
{
    req_opts ro = { .no_responders_disabled = true };
    natsConnection *nc = connect_with(&ro);
    natsMsg *reply = NULL;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_RequestString(&reply, nc, "svc.nobody", "anyone?", 400), NATS_TIMEOUT);
    int64_t el = test_now_ms() - t0;
    CHECK(reply == NULL);
    CHECK_MSG(el >= 350, "with no-responders disabled the request ended after %lld ms", (long long)el);

    /* The server sends no 503 to a reply subject either. */
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "nr.off.reply"));
    CHECK_OK(natsConnection_PublishRequestString(nc, "svc.nobody", "nr.off.reply", "x"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 300), NATS_TIMEOUT);
    natsSubscription_Destroy(sub);

    /* Replies still arrive. */
    CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.echo", "ok", 5000));
    natsMsg_Destroy(reply);
    natsConnection_Destroy(nc);
}

/* The 503 status message on a reply subject of PublishRequest. */
typedef struct {
    atomic_int calls;
    atomic_int no_responders;
    atomic_int data_len;
    char status[16];
} nr_state;

static void nr_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    nr_state *st = closure;
    const char *v = NULL;
    if (natsMsgHeader_Get(msg, "Status", &v) == NATS_OK && v != NULL)
        snprintf(st->status, sizeof(st->status), "%s", v);
    atomic_store(&st->data_len, natsMsg_GetDataLength(msg));
    if (natsMsg_IsNoResponders(msg))
        atomic_fetch_add(&st->no_responders, 1);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&st->calls, 1);
}

static void check_no_responders_message(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sync = NULL, *async = NULL;
    natsMsg *m = NULL;

    /* Sync subscription: NextMsg reports the 503 as NATS_NO_RESPONDERS. */
    CHECK_OK(natsConnection_SubscribeSync(&sync, nc, "nr.sync.reply"));
    CHECK_OK(natsConnection_PublishRequestString(nc, "svc.nobody", "nr.sync.reply", "x"));
    CHECK_STATUS(natsSubscription_NextMsg(&m, sync, 5000), NATS_NO_RESPONDERS);
    CHECK(m == NULL);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sync, 100), NATS_TIMEOUT);
    /* A real message after it comes through normally. */
    CHECK_OK(natsConnection_PublishString(nc, "nr.sync.reply", "normal"));
    CHECK_OK(natsSubscription_NextMsg(&m, sync, 5000));
    CHECK_STR(natsMsg_GetData(m), "normal");
    CHECK(!natsMsg_IsNoResponders(m));
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sync);

    /* Async subscription: the handler gets the message itself. */
    nr_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.data_len, -1);
    CHECK_OK(natsConnection_Subscribe(&async, nc, "nr.async.reply", nr_handler, &st));
    CHECK_OK(natsConnection_PublishRequestString(nc, "svc.nobody", "nr.async.reply", "x"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 1, 5000));
    CHECK_EQ(atomic_load(&st.no_responders), 1);
    CHECK_EQ(atomic_load(&st.data_len), 0);
    CHECK_STR(st.status, "503");
    natsSubscription_Destroy(async);
    natsConnection_Destroy(nc);
}

/* A responder that answers twice: the extra reply is not mistaken for the
 * answer to the next request. */
static void check_double_reply(const req_opts *ro)
{
    natsConnection *nc = connect_with(ro);
    natsMsg *reply = NULL;
    for (int i = 0; i < 3; i++) {
        CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.twice", "x", 5000));
        CHECK_STR(natsMsg_GetData(reply), "first");
        natsMsg_Destroy(reply);
        reply = NULL;
        char buf[32];
        snprintf(buf, sizeof(buf), "after-%d", i);
        CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.echo", buf, 5000));
        CHECK_STR(natsMsg_GetData(reply), buf);
        natsMsg_Destroy(reply);
        reply = NULL;
    }
    natsConnection_Destroy(nc);
}

static void check_inbox_prefix_validation(void)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    const char *bad[] = { "my.*", "my.>", ">", "*", "my..x", "my.", ".my", "a b", "a\tb" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        natsStatus s = natsOptions_SetCustomInboxPrefix(o, bad[i]);
        CHECK_MSG(s == NATS_INVALID_ARG, "prefix \"%s\" gave %d (%s), want NATS_INVALID_ARG",
                  bad[i], (int)s, natsStatus_GetText(s));
    }
    CHECK_OK(natsOptions_SetCustomInboxPrefix(o, "ok"));
    CHECK_OK(natsOptions_SetCustomInboxPrefix(o, "my.ok.prefix"));
    /* NULL and "" clear it. */
    CHECK_OK(natsOptions_SetCustomInboxPrefix(o, ""));
    CHECK_OK(natsOptions_SetCustomInboxPrefix(o, NULL));
    natsOptions_Destroy(o);

    /* Cleared prefix: back to _INBOX. */
    natsConnection *nc = NULL;
    natsMsg *reply = NULL;
    char seen[256];
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_srv.url));
    CHECK_OK(natsOptions_SetCustomInboxPrefix(o, "gone"));
    CHECK_OK(natsOptions_SetCustomInboxPrefix(o, NULL));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_RequestString(&reply, nc, "svc.echo", "x", 5000));
    natsMsg_Destroy(reply);
    last_reply(seen, sizeof(seen));
    CHECK_MSG(starts_with(seen, "_INBOX."), "reply \"%s\" after clearing the prefix", seen);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

/* ------------------------------------------------------------------------ */
/* Concurrent requests                                                      */

typedef struct {
    natsConnection *nc;
    int id;
    int count;
    int ok;
    int wrong;
    natsStatus first_err;
} req_thread;

static void *requester(void *p)
{
    req_thread *t = p;
    char buf[64];
    for (int i = 0; i < t->count; i++) {
        int len = snprintf(buf, sizeof(buf), "thread-%d-req-%d", t->id, i);
        natsMsg *reply = NULL;
        natsStatus s = natsConnection_Request(&reply, t->nc, "svc.echo", buf, len, 10000);
        if (s != NATS_OK) {
            if (t->first_err == NATS_OK)
                t->first_err = s;
            continue;
        }
        if (natsMsg_GetDataLength(reply) == len && memcmp(natsMsg_GetData(reply), buf, len) == 0)
            t->ok++;
        else
            t->wrong++;
        natsMsg_Destroy(reply);
    }
    nats_ReleaseThreadMemory();
    return NULL;
}

static void check_concurrent(const req_opts *ro, int nthreads, int per_thread)
{
    natsConnection *nc = connect_with(ro);
    pthread_t th[8];
    req_thread t[8];
    CHECK(nthreads <= 8);
    for (int i = 0; i < nthreads; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        t[i].nc = nc;
        t[i].id = i;
        t[i].count = per_thread;
        CHECK(pthread_create(&th[i], NULL, requester, &t[i]) == 0);
    }
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        CHECK_MSG(t[i].wrong == 0, "thread %d got %d replies meant for someone else", i, t[i].wrong);
        CHECK_MSG(t[i].ok == per_thread, "thread %d: %d of %d requests answered (first error %d %s)",
                  i, t[i].ok, per_thread, (int)t[i].first_err, natsStatus_GetText(t[i].first_err));
    }
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* Fail requests on disconnect                                              */

typedef struct {
    natsConnection *nc;
    int64_t timeout;
    natsStatus result;
    int64_t ended_at;
} pending_req;

static void *pending_main(void *p)
{
    pending_req *r = p;
    natsMsg *reply = NULL;
    r->result = natsConnection_RequestString(&reply, r->nc, "svc.hang", "x", r->timeout);
    r->ended_at = test_now_ms();
    natsMsg_Destroy(reply);
    nats_ReleaseThreadMemory();
    return NULL;
}

static natsConnection *connect_fail_mode(test_server *s, bool fail)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, s->url));
    CHECK_OK(natsOptions_SetFailRequestsOnDisconnect(o, fail));
    CHECK_OK(natsOptions_SetReconnectWait(o, 100));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 1000));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

static void check_fail_on_disconnect(void)
{
    test_server s;
    server_start(&s, NULL);

    natsConnection *rc = NULL;
    natsSubscription *hang = NULL;
    CHECK_OK(natsConnection_ConnectTo(&rc, s.url));
    CHECK_OK(natsConnection_SubscribeSync(&hang, rc, "svc.hang"));
    CHECK_OK(natsConnection_Flush(rc));

    pending_req with = { .nc = connect_fail_mode(&s, true), .timeout = 20000 };
    pending_req without = { .nc = connect_fail_mode(&s, false), .timeout = 2000 };
    pthread_t t1, t2;
    int64_t start = test_now_ms();
    CHECK(pthread_create(&t1, NULL, pending_main, &with) == 0);
    CHECK(pthread_create(&t2, NULL, pending_main, &without) == 0);
    /* Both requests are out and waiting. */
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(hang, &pm, NULL); pm == 2; }), 5000));
    int64_t kill_at = test_now_ms();
    server_kill(&s);

    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK_STATUS(with.result, NATS_CONNECTION_DISCONNECTED);
    CHECK_MSG(with.ended_at - kill_at < 5000, "failed request ended %lld ms after the disconnect",
              (long long)(with.ended_at - kill_at));
    /* Without the option the request just times out. */
    CHECK_STATUS(without.result, NATS_TIMEOUT);
    CHECK_MSG(without.ended_at - start >= 1900, "request without the option ended after %lld ms",
              (long long)(without.ended_at - start));

    natsSubscription_Destroy(hang);
    natsConnection_Destroy(rc);
    natsConnection_Destroy(with.nc);
    natsConnection_Destroy(without.nc);
    server_stop(&s);
}

/* ------------------------------------------------------------------------ */

int main(void)
{
    test_init("test_request");
    server_start(&g_srv, NULL);
    responders r;
    responders_start(&r);

    check_args();
    check_nonpositive_timeout();
    check_no_responders_message();
    check_no_responders_disabled();
    check_inbox_prefix_validation();

    const req_opts modes[] = {
        { .old_style = false },
        { .old_style = true },
        { .old_style = false, .prefix = "my.custom.inbox" },
        { .old_style = true, .prefix = "oldstyle" },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        const req_opts *ro = &modes[i];
        test_log("mode: %s style, prefix %s", ro->old_style ? "old" : "new",
                 ro->prefix ? ro->prefix : "(default)");
        check_basic(ro);
        check_timeout(ro);
        check_no_responders(ro);
        check_double_reply(ro);
    }

    int per = test_under_valgrind() ? 20 : 200;
    check_concurrent(&modes[0], 8, per);
    check_concurrent(&modes[2], 8, per / 2);
    check_concurrent(&modes[1], 4, per / 4);

    check_fail_on_disconnect();

    responders_stop(&r);
    server_stop(&g_srv);
    return test_done();
}
