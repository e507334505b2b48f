/*
 * Asynchronous subscriptions: argument checks, the handler's thread and
 * arguments, a handler that flushes and makes a request on its own
 * connection, per-subscription ordering, the inactivity timeout of
 * SubscribeTimeout (NULL message), handler calls stop once the subscription
 * or the connection is destroyed (the strict form, no call at all after
 * Destroy returns, is bug_handler_after_destroy.c; destroying a subscription
 * while its messages arrive, bug_sub_destroy_while_receiving.c),
 * AutoUnsubscribe(N), the completion
 * callback, and all of it again with the library's delivery pool
 * (natsOptions_UseGlobalMessageDelivery + nats_SetMessageDeliveryPoolSize).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;
static pthread_t g_main;

/* Message counts shrink under valgrind. */
static int scaled(int n)
{
    return test_under_valgrind() ? (n / 10 > 0 ? n / 10 : 1) : n;
}

/* ------------------------------------------------------------------------ */

static void check_args(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;

    CHECK_STATUS(natsConnection_Subscribe(&sub, NULL, "foo", test_noop_handler, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_Subscribe(&sub, nc, NULL, test_noop_handler, NULL), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_Subscribe(&sub, nc, "", test_noop_handler, NULL), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_Subscribe(&sub, nc, "a b", test_noop_handler, NULL), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_Subscribe(&sub, nc, "foo", NULL, NULL), NATS_INVALID_ARG);
    CHECK(sub == NULL);

    CHECK_STATUS(natsConnection_SubscribeTimeout(&sub, NULL, "foo", 100, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_SubscribeTimeout(&sub, nc, NULL, 100, test_noop_handler, NULL),
                 NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeTimeout(&sub, nc, "foo", 0, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_SubscribeTimeout(&sub, nc, "foo", -5, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_SubscribeTimeout(&sub, nc, "foo", 100, NULL, NULL),
                 NATS_INVALID_ARG);
    CHECK(sub == NULL);

    /* Deprecated no-op, still validates its argument. */
    CHECK_STATUS(natsSubscription_NoDeliveryDelay(NULL), NATS_INVALID_ARG);
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "args.ok", test_noop_handler, NULL));
    CHECK(sub != NULL);
    CHECK(natsSubscription_IsValid(sub));
    CHECK_STR(natsSubscription_GetSubject(sub), "args.ok");
    CHECK_OK(natsSubscription_NoDeliveryDelay(sub));
    natsSubscription_Destroy(sub);

    /* On a closed connection. */
    natsConnection_Close(nc);
    sub = NULL;
    CHECK_STATUS(natsConnection_Subscribe(&sub, nc, "x", test_noop_handler, NULL), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_SubscribeTimeout(&sub, nc, "x", 100, test_noop_handler, NULL),
                 NATS_CONNECTION_CLOSED);
    CHECK(sub == NULL);
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* Handler thread and arguments                                             */

typedef struct {
    natsConnection *nc;
    natsSubscription *_Atomic sub;
    atomic_int calls;
    atomic_int on_caller;
    atomic_int wrong_args;
    atomic_int bad_data;
} ident_state;

static void ident_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    ident_state *st = closure;
    if (pthread_equal(pthread_self(), g_main))
        atomic_fetch_add(&st->on_caller, 1);
    natsSubscription *want = atomic_load(&st->sub);
    if (nc != st->nc || (want != NULL && sub != want) || msg == NULL)
        atomic_fetch_add(&st->wrong_args, 1);
    if (msg != NULL) {
        if (!test_str_eq(natsMsg_GetSubject(msg), "ident") ||
            !test_str_eq(natsMsg_GetData(msg), "hello") || natsMsg_GetDataLength(msg) != 5)
            atomic_fetch_add(&st->bad_data, 1);
        natsMsg_Destroy(msg);
    }
    atomic_fetch_add(&st->calls, 1);
}

static void check_handler_identity(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    ident_state st;
    memset(&st, 0, sizeof(st));
    st.nc = nc;
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "ident", ident_handler, &st));
    atomic_store(&st.sub, sub);
    for (int i = 0; i < 5; i++)
        CHECK_OK(natsConnection_PublishString(nc, "ident", "hello"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 5, 10000));
    CHECK_EQ(atomic_load(&st.on_caller), 0);
    CHECK_EQ(atomic_load(&st.wrong_args), 0);
    CHECK_EQ(atomic_load(&st.bad_data), 0);
    int64_t d = 0;
    CHECK_OK(natsSubscription_GetDelivered(sub, &d));
    CHECK_EQ(d, 5);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* A handler that flushes and requests on its own connection                */

typedef struct {
    natsConnection *nc;
    atomic_int done;
    atomic_int flush_status;
    atomic_int request_status;
    char reply[64];
} reentrant_state;

static void echo_responder(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    char buf[256];
    snprintf(buf, sizeof(buf), "re:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    if (natsMsg_GetReply(msg) != NULL)
        natsConnection_PublishString(nc, natsMsg_GetReply(msg), buf);
    natsMsg_Destroy(msg);
}

static void reentrant_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    reentrant_state *st = closure;
    natsMsg *reply = NULL;
    atomic_store(&st->flush_status, (int)natsConnection_Flush(nc));
    natsStatus s = natsConnection_RequestString(&reply, nc, "reentrant.svc", "ping", 10000);
    if (s == NATS_OK) {
        snprintf(st->reply, sizeof(st->reply), "%s", natsMsg_GetData(reply));
        natsMsg_Destroy(reply);
    }
    atomic_store(&st->request_status, (int)s);
    natsMsg_Destroy(msg);
    atomic_store(&st->done, 1);
}

/* responder_nc: where the responder subscribes (the same connection or,
 * for the pool, another one: a pool thread blocked in a request must not be
 * the one that would run the responder). */
static void check_reentrant(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsConnection *rnc = global ? test_connect(g_srv.url) : nc;
    natsSubscription *svc = NULL, *work = NULL;
    reentrant_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.flush_status, -1);
    atomic_store(&st.request_status, -1);

    CHECK_OK(natsConnection_Subscribe(&svc, rnc, "reentrant.svc", echo_responder, NULL));
    CHECK_OK(natsConnection_Flush(rnc));
    CHECK_OK(natsConnection_Subscribe(&work, nc, "reentrant.work", reentrant_handler, &st));
    CHECK_OK(natsConnection_PublishString(nc, "reentrant.work", "go"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_MSG(WAIT_FOR(atomic_load(&st.done) == 1, 20000),
              "handler calling Flush/Request on its own connection did not complete");
    CHECK_STATUS((natsStatus)atomic_load(&st.flush_status), NATS_OK);
    CHECK_STATUS((natsStatus)atomic_load(&st.request_status), NATS_OK);
    CHECK_STR(st.reply, "re:ping");

    natsSubscription_Destroy(work);
    natsSubscription_Destroy(svc);
    if (rnc != nc)
        natsConnection_Destroy(rnc);
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* Ordering                                                                 */

typedef struct {
    atomic_int count;
    atomic_int out_of_order;
    atomic_int first_bad;     /* index where order broke, -1 if none */
} order_state;

static void order_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    order_state *st = closure;
    int want = atomic_load(&st->count);
    int got = atoi(natsMsg_GetData(msg));
    if (got != want) {
        if (atomic_fetch_add(&st->out_of_order, 1) == 0)
            atomic_store(&st->first_bad, want);
    }
    natsMsg_Destroy(msg);
    atomic_fetch_add(&st->count, 1);
}

/* nsubs subscriptions on one connection, one publisher connection: every
 * subscription sees 0..n-1 in order. */
static void check_order(bool global, int nsubs, int n)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsConnection *pub = test_connect(g_srv.url);
    natsSubscription *subs[8] = { NULL };
    order_state st[8];
    char subj[32];

    CHECK(nsubs <= 8);
    snprintf(subj, sizeof(subj), "order.%s.%d", global ? "g" : "d", nsubs);
    for (int i = 0; i < nsubs; i++) {
        memset(&st[i], 0, sizeof(st[i]));
        atomic_store(&st[i].first_bad, -1);
        CHECK_OK(natsConnection_Subscribe(&subs[i], nc, subj, order_handler, &st[i]));
    }
    CHECK_OK(natsConnection_Flush(nc));

    char buf[32];
    for (int i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof(buf), "%d", i);
        CHECK_OK(natsConnection_Publish(pub, subj, buf, len));
    }
    CHECK_OK(natsConnection_Flush(pub));

    for (int i = 0; i < nsubs; i++) {
        CHECK_MSG(WAIT_FOR(atomic_load(&st[i].count) >= n, 30000),
                  "sub %d received %d of %d", i, atomic_load(&st[i].count), n);
        CHECK_MSG(atomic_load(&st[i].out_of_order) == 0,
                  "sub %d: %d messages out of order, first at index %d", i,
                  atomic_load(&st[i].out_of_order), atomic_load(&st[i].first_bad));
    }
    test_sleep_ms(50);
    for (int i = 0; i < nsubs; i++) {
        CHECK_EQ(atomic_load(&st[i].count), n);
        int64_t d = 0, dr = 0;
        CHECK_OK(natsSubscription_GetDelivered(subs[i], &d));
        CHECK_EQ(d, n);
        CHECK_OK(natsSubscription_GetDropped(subs[i], &dr));
        CHECK_EQ(dr, 0);
        natsSubscription_Destroy(subs[i]);
    }
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* SubscribeTimeout                                                         */

typedef struct {
    atomic_int msgs;
    atomic_int nulls;
    atomic_int wrong_sub;
    natsSubscription *_Atomic sub;
    atomic_int destroy_on_null;      /* destroy the sub from the NULL call */
    atomic_int calls_after_self_destroy;
    atomic_int self_destroyed;
} timeout_state;

static void timeout_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    timeout_state *st = closure;
    natsSubscription *want = atomic_load(&st->sub);
    if (want != NULL && sub != want)
        atomic_fetch_add(&st->wrong_sub, 1);
    if (atomic_load(&st->self_destroyed))
        atomic_fetch_add(&st->calls_after_self_destroy, 1);
    if (msg == NULL) {
        atomic_fetch_add(&st->nulls, 1);
        if (atomic_load(&st->destroy_on_null)) {
            atomic_store(&st->self_destroyed, 1);
            natsSubscription_Destroy(sub);
        }
        return;
    }
    natsMsg_Destroy(msg);
    atomic_fetch_add(&st->msgs, 1);
}

static void check_subscribe_timeout(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    timeout_state st;
    memset(&st, 0, sizeof(st));

    /* 100 ms inactivity timeout over a ~1 s window: about 10 NULL calls
     * (each needs 100 ms of silence, so never more than 11). */
    CHECK_OK(natsConnection_SubscribeTimeout(&sub, nc, "tmo", 100, timeout_handler, &st));
    atomic_store(&st.sub, sub);
    int64_t t0 = test_now_ms();
    test_sleep_ms(1050);
    int n = atomic_load(&st.nulls);
    int64_t el = test_now_ms() - t0;
    test_log("%d NULL calls in %lld ms (timeout 100 ms)", n, (long long)el);
    CHECK_MSG(n >= (test_under_valgrind() ? 2 : 4) && n <= el / 100 + 1,
              "%d NULL calls in %lld ms with a 100 ms timeout", n, (long long)el);
    CHECK_EQ(atomic_load(&st.msgs), 0);
    natsSubscription_Destroy(sub);
    sub = NULL;
    CHECK_EQ(atomic_load(&st.wrong_sub), 0);

    /* Messages keep resetting the timer: a 400 ms timeout with a message
     * every 50 ms never fires, then fires once they stop. */
    memset(&st, 0, sizeof(st));
    CHECK_OK(natsConnection_SubscribeTimeout(&sub, nc, "tmo2", 400, timeout_handler, &st));
    atomic_store(&st.sub, sub);
    CHECK_OK(natsConnection_Flush(nc));
    int sent = 0;
    int64_t end = test_now_ms() + 1000;
    while (test_now_ms() < end) {
        CHECK_OK(natsConnection_PublishString(nc, "tmo2", "tick"));
        CHECK_OK(natsConnection_Flush(nc));
        sent++;
        test_sleep_ms(50);
    }
    CHECK(WAIT_FOR(atomic_load(&st.msgs) == sent, 10000));
    CHECK_MSG(atomic_load(&st.nulls) == 0, "%d NULL calls while messages flowed",
              atomic_load(&st.nulls));
    CHECK(WAIT_FOR(atomic_load(&st.nulls) >= 1, 5000));
    natsSubscription_Destroy(sub);
    sub = NULL;
    CHECK_EQ(atomic_load(&st.wrong_sub), 0);

    /* The handler may destroy its subscription on the NULL call; nothing
     * is called after that. */
    memset(&st, 0, sizeof(st));
    atomic_store(&st.destroy_on_null, 1);
    CHECK_OK(natsConnection_SubscribeTimeout(&sub, nc, "tmo3", 50, timeout_handler, &st));
    atomic_store(&st.sub, sub);
    CHECK(WAIT_FOR(atomic_load(&st.self_destroyed) == 1, 5000));
    test_sleep_ms(300);
    CHECK_EQ(atomic_load(&st.nulls), 1);
    CHECK_EQ(atomic_load(&st.calls_after_self_destroy), 0);
    CHECK_EQ(atomic_load(&st.wrong_sub), 0);

    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* Handler calls stop after Destroy                                         */

typedef struct {
    atomic_int calls;
    atomic_int late;           /* handler entered after Destroy returned */
    atomic_int destroyed;
    int sleep_ms;
} late_state;

static void late_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    late_state *st = closure;
    if (atomic_load(&st->destroyed))
        atomic_fetch_add(&st->late, 1);
    if (st->sleep_ms > 0)
        test_sleep_ms(st->sleep_ms);
    atomic_fetch_add(&st->calls, 1);
    natsMsg_Destroy(msg);
}

/* Destroy while the handler works through a backlog that has already been
 * received: the handler calls stop and the rest of the backlog is dropped.
 * (Destroying while messages still arrive crashes nats.c now and then, see
 * bug_sub_destroy_while_receiving.c.) */
static void check_no_handler_after_sub_destroy(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsConnection *pub = test_connect(g_srv.url);
    const int backlog = 300;

    int rounds = test_under_valgrind() ? 3 : 10;
    int late_total = 0;
    for (int r = 0; r < rounds; r++) {
        late_state st;
        memset(&st, 0, sizeof(st));
        st.sleep_ms = 1;
        natsSubscription *sub = NULL;
        CHECK_OK(natsConnection_Subscribe(&sub, nc, "late.sub", late_handler, &st));
        CHECK_OK(natsConnection_Flush(nc));
        for (int i = 0; i < backlog; i++)
            CHECK_OK(natsConnection_PublishString(pub, "late.sub", "backlog"));
        CHECK_OK(natsConnection_Flush(pub));
        CHECK_OK(natsConnection_Flush(nc));     /* all of it received */
        CHECK(WAIT_FOR(atomic_load(&st.calls) >= 20, 10000));
        natsSubscription_Destroy(sub);
        atomic_store(&st.destroyed, 1);
        /* nats.c may still start the one call its dispatcher had already
         * dequeued (see bug_handler_after_destroy.c); nothing beyond. */
        test_sleep_ms(test_under_valgrind() ? 100 : 30);
        int settled = atomic_load(&st.calls);
        test_sleep_ms(test_under_valgrind() ? 200 : 100);
        CHECK_MSG(atomic_load(&st.calls) == settled,
                  "round %d: handler still called %d times after natsSubscription_Destroy",
                  r, atomic_load(&st.calls) - settled);
        CHECK_MSG(atomic_load(&st.late) <= 1,
                  "round %d: %d handler calls started after natsSubscription_Destroy returned",
                  r, atomic_load(&st.late));
        CHECK_MSG(settled < backlog, "round %d: the whole backlog was handled after Destroy", r);
        late_total += atomic_load(&st.late);
    }
    if (late_total > 0)
        test_log("%d late handler call(s) after natsSubscription_Destroy", late_total);

    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

static void check_no_handler_after_conn_destroy(bool global)
{
    test_flooder f = { .nc = test_connect(g_srv.url), .subject = "late.conn" };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, test_flood_main, &f) == 0);

    int rounds = test_under_valgrind() ? 3 : 10;
    int late_total = 0;
    for (int r = 0; r < rounds; r++) {
        natsConnection *nc = test_connect_delivery(g_srv.url, global);
        late_state st;
        memset(&st, 0, sizeof(st));
        natsSubscription *s1 = NULL, *s2 = NULL;
        CHECK_OK(natsConnection_Subscribe(&s1, nc, "late.conn", late_handler, &st));
        CHECK_OK(natsConnection_Subscribe(&s2, nc, "late.>", late_handler, &st));
        CHECK(WAIT_FOR(atomic_load(&st.calls) >= 100, 10000));
        natsConnection_Destroy(nc);
        atomic_store(&st.destroyed, 1);
        /* At most the call each dispatcher had already dequeued (nats.c);
         * then nothing. */
        test_sleep_ms(test_under_valgrind() ? 100 : 30);
        int settled = atomic_load(&st.calls);
        test_sleep_ms(test_under_valgrind() ? 200 : 100);
        CHECK_MSG(atomic_load(&st.calls) == settled,
                  "round %d: handlers still called %d times after natsConnection_Destroy",
                  r, atomic_load(&st.calls) - settled);
        CHECK_MSG(atomic_load(&st.late) <= 2,
                  "round %d: %d handler calls started after natsConnection_Destroy returned",
                  r, atomic_load(&st.late));
        late_total += atomic_load(&st.late);
        natsSubscription_Destroy(s1);
        natsSubscription_Destroy(s2);
    }
    if (late_total > 0)
        test_log("%d late handler call(s) after natsConnection_Destroy", late_total);

    atomic_store(&f.stop, 1);
    pthread_join(th, NULL);
    natsConnection_Destroy(f.nc);
}

/* ------------------------------------------------------------------------ */
/* AutoUnsubscribe and the completion callback                              */

static void check_auto_unsubscribe(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    test_counter st;

    /* Limit set before any message: exactly N handler calls. */
    memset(&st, 0, sizeof(st));
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "auto.a", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 7));
    test_publish_n(nc, "auto.a", 50, "x");
    CHECK(WAIT_FOR(atomic_load(&st.calls) >= 7, 10000));
    CHECK(WAIT_FOR(atomic_load(&st.completes) >= 1, 10000));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&st.calls), 7);
    CHECK(!natsSubscription_IsValid(sub));
    CHECK_EQ(atomic_load(&st.completes), 1);
    CHECK_EQ(atomic_load(&st.calls_at_complete), 7);
    CHECK_EQ(atomic_load(&st.complete_in_handler), 0);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Limit set while messages are already queued behind a blocked
     * handler: still exactly N. */
    memset(&st, 0, sizeof(st));
    st.gated = true;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "auto.b", test_counting_handler, &st));
    test_publish_n(nc, "auto.b", 20, "x");
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(sub, &pm, NULL); pm == 19; }), 10000));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 5));
    atomic_store(&st.gate, 1);
    CHECK(WAIT_FOR(atomic_load(&st.calls) >= 5, 10000));
    test_sleep_ms(200);
    CHECK_EQ(atomic_load(&st.calls), 5);
    CHECK(!natsSubscription_IsValid(sub));
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* AutoUnsubscribe(1) with a slow handler and many messages. */
    memset(&st, 0, sizeof(st));
    st.sleep_ms = 20;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "auto.c", test_counting_handler, &st));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 1));
    test_publish_n(nc, "auto.c", 10, "x");
    CHECK(WAIT_FOR(atomic_load(&st.calls) >= 1, 10000));
    test_sleep_ms(200);
    CHECK_EQ(atomic_load(&st.calls), 1);
    natsSubscription_Destroy(sub);
    sub = NULL;

    natsConnection_Destroy(nc);
}

static void check_on_complete(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    test_counter st;

    /* Argument checks. */
    CHECK_STATUS(natsSubscription_SetOnCompleteCB(NULL, test_counting_complete, NULL), NATS_INVALID_ARG);
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "oc.sync"));
    CHECK_STATUS(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, NULL),
                 NATS_INVALID_SUBSCRIPTION);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Unsubscribe from another thread while the handler runs: the callback
     * comes once, after the handler returned. */
    memset(&st, 0, sizeof(st));
    st.gated = true;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "oc.a", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    test_publish_n(nc, "oc.a", 5, "x");
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&st.completes), 0);
    atomic_store(&st.gate, 1);
    CHECK(WAIT_FOR(atomic_load(&st.completes) == 1, 10000));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&st.completes), 1);
    CHECK_EQ(atomic_load(&st.complete_in_handler), 0);
    CHECK(atomic_load(&st.calls) >= 1);
    CHECK_EQ(atomic_load(&st.calls_at_complete), atomic_load(&st.calls));
    /* Closed now: setting it again is refused. */
    CHECK_STATUS(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st),
                 NATS_INVALID_SUBSCRIPTION);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Callback replaced: only the last one runs; clearing with NULL works. */
    memset(&st, 0, sizeof(st));
    test_counter other;
    memset(&other, 0, sizeof(other));
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "oc.b", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &other));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    CHECK(WAIT_FOR(atomic_load(&st.completes) == 1, 10000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&other.completes), 0);
    natsSubscription_Destroy(sub);
    sub = NULL;

    memset(&st, 0, sizeof(st));
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "oc.c", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, NULL, NULL));
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    test_sleep_ms(150);
    CHECK_EQ(atomic_load(&st.completes), 0);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Closing the connection completes the subscription too. */
    memset(&st, 0, sizeof(st));
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "oc.d", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    test_publish_n(nc, "oc.d", 3, "x");
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 3, 10000));
    natsConnection_Close(nc);
    CHECK(WAIT_FOR(atomic_load(&st.completes) == 1, 10000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&st.completes), 1);
    natsSubscription_Destroy(sub);

    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */

static void run_all(bool global)
{
    test_log("delivery: %s", global ? "library pool" : "dedicated threads");
    check_handler_identity(global);
    check_reentrant(global);
    check_order(global, 1, scaled(10000));
    check_order(global, 4, scaled(3000));
    check_subscribe_timeout(global);
    check_no_handler_after_sub_destroy(global);
    check_no_handler_after_conn_destroy(global);
    check_auto_unsubscribe(global);
    check_on_complete(global);
}

int main(void)
{
    test_init("test_async_sub");
    g_main = pthread_self();
    server_start(&g_srv, NULL);

    CHECK_STATUS(nats_SetMessageDeliveryPoolSize(0), NATS_ERR);
    CHECK_STATUS(nats_SetMessageDeliveryPoolSize(-1), NATS_ERR);
    CHECK_OK(nats_SetMessageDeliveryPoolSize(3));
    /* Smaller than the current size: accepted, the pool does not shrink. */
    CHECK_OK(nats_SetMessageDeliveryPoolSize(2));
    CHECK_STATUS(natsOptions_UseGlobalMessageDelivery(NULL, true), NATS_INVALID_ARG);

    check_args();
    run_all(false);
    run_all(true);

    server_stop(&g_srv);
    return test_done();
}
