/*
 * nats.c's examples/publisher.c and examples/subscriber.c, run together:
 * the subscriber (asynchronous, with and without the global delivery pool,
 * and synchronous) sets no pending limits, AutoUnsubscribe(count), and
 * prints statistics while and after it receives, tolerating only
 * NATS_INVALID_SUBSCRIPTION once the limit closed the subscription; the
 * publisher publishes count messages and flushes with FlushTimeout(1000).
 * The publisher sends more than count: the subscriber must see exactly
 * count.
 */
#include "scenario.h"

#include <string.h>

static test_server g_srv;

#define TOTAL 2000
#define EXTRA 100

typedef struct {
    atomic_int count;
    atomic_int errors;
} sub_state;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    sub_state *st = closure;
    CHECK(natsMsg_GetDataLength(msg) == 5);
    atomic_fetch_add(&st->count, 1);
    natsMsg_Destroy(msg);
}

static void on_async_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)err;
    atomic_fetch_add(&((sub_state *)closure)->errors, 1);
}

/* examples/publisher.c: connect, publish, FlushTimeout, statistics. */
static void publisher(const char *subj, int total)
{
    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    natsStatistics *stats = NULL;
    natsStatus s;

    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    s = natsConnection_Connect(&conn, opts);
    if (s == NATS_OK)
        s = natsStatistics_Create(&stats);
    for (int count = 0; s == NATS_OK && count < total; count++)
        s = natsConnection_Publish(conn, subj, "hello", 5);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(conn, 1000);
    if (s == NATS_OK)
        s = scenario_print_stats(SCENARIO_STATS_OUT, conn, NULL, stats);
    CHECK_OK(s);
    uint64_t out_msgs = 0;
    CHECK_OK(natsStatistics_GetCounts(stats, NULL, NULL, &out_msgs, NULL, NULL));
    CHECK_EQ(out_msgs, total);
    natsStatistics_Destroy(stats);
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);
}

/* examples/subscriber.c, asynchronous (optionally with -gd). */
static void async_subscriber(const char *subj, bool global)
{
    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    natsSubscription *sub = NULL;
    natsStatistics *stats = NULL;
    sub_state st;
    memset(&st, 0, sizeof(st));
    natsStatus s;

    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    if (global)
        CHECK_OK(natsOptions_UseGlobalMessageDelivery(opts, true));
    s = natsOptions_SetErrorHandler(opts, on_async_error, &st);
    if (s == NATS_OK)
        s = natsConnection_Connect(&conn, opts);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&sub, conn, subj, on_msg, &st);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s == NATS_OK)
        s = natsSubscription_AutoUnsubscribe(sub, TOTAL);
    if (s == NATS_OK)
        s = natsStatistics_Create(&stats);
    CHECK_OK(s);
    CHECK_OK(natsConnection_Flush(conn));

    publisher(subj, TOTAL + EXTRA);

    /* The example's loop (with a shorter sleep): statistics until done. */
    int64_t deadline = test_now_ms() + 20000;
    int64_t dropped = 0;
    while (s == NATS_OK) {
        s = scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, conn, sub, stats);
        if (natsSubscription_GetDropped(sub, &dropped) != NATS_OK)
            dropped = 0;
        if (atomic_load(&st.count) + dropped == TOTAL)
            break;
        CHECK(test_now_ms() < deadline);
        test_sleep_ms(20);
    }
    CHECK_OK(s);
    /* After the limit: the subscription is closed, statistics still print. */
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sub), 5000));
    CHECK_OK(scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, conn, sub, stats));
    CHECK_STATUS(natsSubscription_GetDropped(sub, &dropped), NATS_INVALID_SUBSCRIPTION);
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&st.count), TOTAL);
    CHECK_EQ(atomic_load(&st.errors), 0);

    natsStatistics_Destroy(stats);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);
}

/* examples/subscriber.c with -sync. */
static void sync_subscriber(const char *subj)
{
    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    natsSubscription *sub = NULL;
    natsStatistics *stats = NULL;
    natsMsg *msg = NULL;
    natsStatus s;
    int count;

    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    s = natsConnection_Connect(&conn, opts);
    if (s == NATS_OK)
        s = natsConnection_SubscribeSync(&sub, conn, subj);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s == NATS_OK)
        s = natsSubscription_AutoUnsubscribe(sub, TOTAL);
    if (s == NATS_OK)
        s = natsStatistics_Create(&stats);
    CHECK_OK(s);
    CHECK_OK(natsConnection_Flush(conn));

    publisher(subj, TOTAL + EXTRA);

    int64_t last = 0;
    for (count = 0; s == NATS_OK && count < TOTAL; count++) {
        s = natsSubscription_NextMsg(&msg, sub, 10000);
        if (s != NATS_OK)
            break;
        /* Every 1000th message instead of every second: statistics while
         * receiving, and right after the last one. */
        if (count % 1000 == 0 || count == TOTAL - 1 || test_now_ms() - last >= 1000) {
            s = scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, conn, sub, stats);
            last = test_now_ms();
        }
        natsMsg_Destroy(msg);
        msg = NULL;
    }
    CHECK_OK(s);
    CHECK_EQ(count, TOTAL);
    CHECK_OK(scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, conn, sub, stats));
    /* One more NextMsg: the limit, not a message. */
    CHECK_STATUS(natsSubscription_NextMsg(&msg, sub, 100), NATS_MAX_DELIVERED_MSGS);

    natsStatistics_Destroy(stats);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);
}

int main(void)
{
    test_init("scenario_pubsub");
    server_start(&g_srv, NULL);

    async_subscriber("scenario.async", false);
    async_subscriber("scenario.async.gd", true);
    sync_subscriber("scenario.sync");

    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
