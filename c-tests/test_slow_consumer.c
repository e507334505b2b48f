/*
 * Pending limits and slow consumers: default limits, zero refused; an
 * asynchronous handler held up while messages flood in: exact pending,
 * queued, delivered and dropped counts, delivered + dropped == published,
 * NATS_SLOW_CONSUMER reported to the error handler once per episode (not
 * per dropped message); byte limits; a freely running slow handler;
 * synchronous subscriptions (NextMsg reports NATS_SLOW_CONSUMER once, then
 * the messages); the same with the library's delivery pool.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;
static pthread_t g_main;

typedef struct {
    atomic_int slow;              /* NATS_SLOW_CONSUMER for the watched sub */
    atomic_int other;             /* any other status, or another sub */
    atomic_int wrong_nc;
    atomic_int on_main;
    natsConnection *_Atomic nc;
    natsSubscription *_Atomic sub;
} err_state;

static err_state g_err;

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    err_state *e = closure;
    if (nc != atomic_load(&e->nc))
        atomic_fetch_add(&e->wrong_nc, 1);
    if (pthread_equal(pthread_self(), g_main))
        atomic_fetch_add(&e->on_main, 1);
    if (err == NATS_SLOW_CONSUMER && sub == atomic_load(&e->sub))
        atomic_fetch_add(&e->slow, 1);
    else
        atomic_fetch_add(&e->other, 1);
}

static void watch(natsConnection *nc, natsSubscription *sub)
{
    atomic_store(&g_err.nc, nc);
    atomic_store(&g_err.sub, sub);
    atomic_store(&g_err.slow, 0);
    atomic_store(&g_err.other, 0);
}

static natsConnection *connect_mode(bool global)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_srv.url));
    CHECK_OK(natsOptions_UseGlobalMessageDelivery(o, global));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_error, &g_err));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

/* The handler of these tests: a gated test_counter (it waits until gate is set). */
static void gated_counter(test_counter *st)
{
    memset(st, 0, sizeof(*st));
    st->gated = true;
}

/* Publishes n messages of `payload` from `pub`, then makes sure the
 * subscriber connection has read them all (its PONG comes after them). */
static void flood(natsConnection *pub, natsConnection *subc, const char *subj, int n,
                  const char *payload)
{
    for (int i = 0; i < n; i++)
        CHECK_OK(natsConnection_PublishString(pub, subj, payload));
    CHECK_OK(natsConnection_Flush(pub));
    CHECK_OK(natsConnection_Flush(subc));
}

static void check_limits_api(void)
{
    natsConnection *nc = connect_mode(false);
    natsSubscription *sub = NULL;
    test_counter st;
    gated_counter(&st);
    atomic_store(&st.gate, 1);
    int msgs = 0, bytes = 0;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "limits", test_counting_handler, &st));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 65536);
    CHECK_EQ(bytes, 64 * 1024 * 1024);
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 0, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 1000, 0), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_SetPendingLimits(NULL, 10, 10), NATS_INVALID_ARG);
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 65536);
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 7, 7000));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 7);
    CHECK_EQ(bytes, 7000);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* A handler blocked on its first message while `n` more arrive into a
 * 10-message queue: exact counts, one error per episode. */
static void check_blocked_handler(bool global)
{
    natsConnection *nc = connect_mode(global);
    natsConnection *pub = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    test_counter st;
    gated_counter(&st);
    const int n = test_under_valgrind() ? 100 : 500;
    const char *payload = "0123456789";     /* 10 bytes */
    int pm = -1, pb = -1, mpm = -1, mpb = -1;
    int64_t dl = -1, dr = -1;
    uint64_t q = 0;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "sc.blocked", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 10, 1024 * 1024));
    watch(nc, sub);
    CHECK_OK(natsConnection_Flush(nc));

    /* First message: taken by the handler, which then blocks. */
    flood(pub, nc, "sc.blocked", 1, payload);
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));

    /* Episode 1: n more; 10 queue up, n - 10 are dropped. */
    flood(pub, nc, "sc.blocked", n, payload);
    CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == n - 10; }), 10000));
    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, &mpm, &mpb, &dl, &dr));
    CHECK_EQ(pm, 10);
    CHECK_EQ(pb, 100);
    CHECK_EQ(mpm, 10);
    CHECK_EQ(mpb, 100);
    CHECK_EQ(dl, 1);
    CHECK_EQ(dr, n - 10);
    CHECK_OK(natsSubscription_QueuedMsgs(sub, &q));
    CHECK_EQ(q, 10);
    CHECK_OK(natsSubscription_GetPending(sub, &pm, &pb));
    CHECK_EQ(pm, 10);
    CHECK_EQ(pb, 100);
    CHECK(WAIT_FOR(atomic_load(&g_err.slow) >= 1, 5000));
    test_sleep_ms(100);
    CHECK_MSG(atomic_load(&g_err.slow) == 1, "%d slow consumer reports for one episode (%d dropped)",
              atomic_load(&g_err.slow), n - 10);

    /* Let it run: the 10 queued are handled, nothing else. */
    atomic_store(&st.gate, 1);
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 11, 10000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&st.calls), 11);
    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, NULL, NULL, &dl, &dr));
    CHECK_EQ(pm, 0);
    CHECK_EQ(pb, 0);
    CHECK_EQ(dl, 11);
    CHECK_EQ(dr, n - 10);
    CHECK_EQ(dl + dr, n + 1);

    /* Messages that fit: no report. */
    flood(pub, nc, "sc.blocked", 5, payload);
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 16, 10000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&g_err.slow), 1);

    /* Episode 2: blocked again, 30 more: a second report. */
    atomic_store(&st.gate, 0);
    flood(pub, nc, "sc.blocked", 1, payload);
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    flood(pub, nc, "sc.blocked", 30, payload);
    CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == n - 10 + 20; }), 10000));
    CHECK(WAIT_FOR(atomic_load(&g_err.slow) >= 2, 5000));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&g_err.slow), 2);
    atomic_store(&st.gate, 1);
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 27, 10000));
    CHECK_OK(natsSubscription_GetDelivered(sub, &dl));
    CHECK_OK(natsSubscription_GetDropped(sub, &dr));
    CHECK_EQ(dl, 27);
    CHECK_EQ(dl + dr, n + 1 + 5 + 31);

    CHECK_EQ(atomic_load(&g_err.other), 0);
    CHECK_EQ(atomic_load(&g_err.wrong_nc), 0);
    CHECK_EQ(atomic_load(&g_err.on_main), 0);
    watch(NULL, NULL);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

/* Byte limit: 25 bytes hold two 10-byte messages. */
static void check_byte_limit(bool global)
{
    natsConnection *nc = connect_mode(global);
    natsConnection *pub = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    test_counter st;
    gated_counter(&st);

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "sc.bytes", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 1000, 25));
    watch(nc, sub);
    CHECK_OK(natsConnection_Flush(nc));
    flood(pub, nc, "sc.bytes", 1, "0123456789");
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    flood(pub, nc, "sc.bytes", 20, "0123456789");
    CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == 18; }), 10000));
    int pm = 0, pb = 0;
    CHECK_OK(natsSubscription_GetPending(sub, &pm, &pb));
    CHECK_EQ(pm, 2);
    CHECK_EQ(pb, 20);
    CHECK(WAIT_FOR(atomic_load(&g_err.slow) >= 1, 5000));
    atomic_store(&st.gate, 1);
    CHECK(WAIT_FOR(atomic_load(&st.calls) == 3, 10000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&st.calls), 3);
    CHECK_EQ(atomic_load(&g_err.slow), 1);
    watch(NULL, NULL);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

/* A handler that is just slow (1 ms per message) under a flood: everything
 * is either delivered or dropped, and reports are far fewer than drops. */
static void check_free_running(bool global)
{
    natsConnection *nc = connect_mode(global);
    natsConnection *pub = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    test_counter st;
    gated_counter(&st);
    atomic_store(&st.gate, 1);
    st.sleep_ms = 1;
    const int n = test_under_valgrind() ? 1000 : 5000;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "sc.free", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 50, 1024 * 1024));
    watch(nc, sub);
    CHECK_OK(natsConnection_Flush(nc));
    flood(pub, nc, "sc.free", n, "payload");
    int64_t dr = 0, dl = 0;
    CHECK(WAIT_FOR(({
        natsSubscription_GetDropped(sub, &dr);
        natsSubscription_GetDelivered(sub, &dl);
        atomic_load(&st.calls) == dl && dl + dr == n && atomic_load(&st.in_handler) == 0;
    }), 30000));
    CHECK_OK(natsSubscription_GetDropped(sub, &dr));
    CHECK_OK(natsSubscription_GetDelivered(sub, &dl));
    CHECK_EQ(dl + dr, n);
    CHECK_EQ(atomic_load(&st.calls), dl);
    int reports = atomic_load(&g_err.slow);
    test_log("%d delivered, %lld dropped, %d slow consumer reports", (int)dl, (long long)dr, reports);
    CHECK(dr > 0);
    CHECK(reports >= 1);
    CHECK_MSG(reports * 10 <= dr, "%d reports for %lld dropped messages", reports, (long long)dr);
    watch(NULL, NULL);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

/* Synchronous subscription: NextMsg reports the episode once, then returns
 * the queued messages; a later episode is reported again. */
static void check_sync(void)
{
    natsConnection *nc = connect_mode(false);
    natsConnection *pub = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "sc.sync"));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 5, 1024 * 1024));
    watch(nc, sub);
    CHECK_OK(natsConnection_Flush(nc));

    for (int episode = 0; episode < 2; episode++) {
        char buf[16];
        for (int i = 0; i < 20; i++) {
            int len = snprintf(buf, sizeof(buf), "%d", i);
            CHECK_OK(natsConnection_Publish(pub, "sc.sync", buf, len));
        }
        CHECK_OK(natsConnection_Flush(pub));
        CHECK_OK(natsConnection_Flush(nc));
        CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == 15 * (episode + 1); }), 10000));

        CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 1000), NATS_SLOW_CONSUMER);
        CHECK(m == NULL);
        /* The first five were kept, in order. */
        for (int i = 0; i < 5; i++) {
            CHECK_OK(natsSubscription_NextMsg(&m, sub, 1000));
            snprintf(buf, sizeof(buf), "%d", i);
            CHECK_STR(natsMsg_GetData(m), buf);
            natsMsg_Destroy(m);
            m = NULL;
        }
        CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 50), NATS_TIMEOUT);
        int64_t dl = 0;
        CHECK_OK(natsSubscription_GetDelivered(sub, &dl));
        CHECK_EQ(dl, 5 * (episode + 1));
    }

    /* The error handler heard of each episode once too. */
    CHECK(WAIT_FOR(atomic_load(&g_err.slow) >= 2, 5000));

    /* Fits again: no report. */
    CHECK_OK(natsConnection_PublishString(pub, "sc.sync", "fine"));
    CHECK_OK(natsConnection_Flush(pub));
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "fine");
    natsMsg_Destroy(m);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&g_err.slow), 2);
    CHECK_EQ(atomic_load(&g_err.other), 0);

    watch(NULL, NULL);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("test_slow_consumer");
    g_main = pthread_self();
    server_start(&g_srv, NULL);
    CHECK_OK(nats_SetMessageDeliveryPoolSize(2));

    check_limits_api();
    check_sync();
    for (int g = 0; g < 2; g++) {
        bool global = g == 1;
        test_log("delivery: %s", global ? "library pool" : "dedicated threads");
        check_blocked_handler(global);
        check_byte_limit(global);
        check_free_running(global);
    }

    server_stop(&g_srv);
    return test_done();
}
