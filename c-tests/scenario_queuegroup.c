/*
 * nats.c's examples/queuegroup.c: members of one queue group, asynchronous
 * and synchronous, each as the example sets it up (error handler, no
 * pending limits, AutoUnsubscribe(count), statistics); a publisher sends
 * messages to the group's subject. Every message reaches exactly one member,
 * and each member stops at its limit.
 */
#include "scenario.h"

#include <string.h>

#define TOTAL 300       /* messages published */
#define LIMIT 200       /* each member's AutoUnsubscribe */

static test_server g_srv;
static atomic_int g_async_count;
static atomic_int g_errors;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    atomic_fetch_add(&g_async_count, 1);
    natsMsg_Destroy(msg);
}

static void async_cb(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    test_log("Async error: %u - %s", err, natsStatus_GetText(err));
    atomic_fetch_add(&g_errors, 1);
}

static natsConnection *member_conn(void)
{
    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    CHECK_OK(natsOptions_SetErrorHandler(opts, async_cb, NULL));
    CHECK_OK(natsConnection_Connect(&conn, opts));
    natsOptions_Destroy(opts);
    return conn;
}

int main(void)
{
    test_init("scenario_queuegroup");
    server_start(&g_srv, NULL);

    natsConnection *aconn = member_conn(), *sconn = member_conn();
    natsSubscription *asub = NULL, *ssub = NULL;
    natsStatistics *stats = NULL;
    CHECK_OK(natsStatistics_Create(&stats));

    CHECK_OK(natsConnection_QueueSubscribe(&asub, aconn, "scenario.q", "workers", on_msg, NULL));
    CHECK_OK(natsConnection_QueueSubscribeSync(&ssub, sconn, "scenario.q", "workers"));
    natsSubscription *subs[] = { asub, ssub };
    for (int i = 0; i < 2; i++) {
        CHECK_OK(natsSubscription_SetPendingLimits(subs[i], -1, -1));
        CHECK_OK(natsSubscription_AutoUnsubscribe(subs[i], LIMIT));
    }
    CHECK_OK(natsConnection_Flush(aconn));
    CHECK_OK(natsConnection_Flush(sconn));

    natsConnection *pub = test_connect(g_srv.url);
    for (int i = 0; i < TOTAL; i++)
        CHECK_OK(natsConnection_PublishString(pub, "scenario.q", "job"));
    CHECK_OK(natsConnection_FlushTimeout(pub, 1000));

    /* The synchronous member, as the example's -sync loop (with a short
     * timeout: it stops at the first gap once its share is in). */
    int scount = 0;
    natsStatus s = NATS_OK;
    while (s == NATS_OK && scount < LIMIT) {
        natsMsg *msg = NULL;
        s = natsSubscription_NextMsg(&msg, ssub, 500);
        if (s != NATS_OK)
            break;
        scount++;
        CHECK_OK(scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, sconn, ssub, stats));
        natsMsg_Destroy(msg);
    }
    CHECK_MSG(s == NATS_OK || s == NATS_TIMEOUT || s == NATS_MAX_DELIVERED_MSGS,
              "sync member: %d", (int)s);

    /* Every message went to exactly one member. */
    CHECK(WAIT_FOR(atomic_load(&g_async_count) + scount == TOTAL, 10000));
    CHECK(atomic_load(&g_async_count) <= LIMIT);
    CHECK(scount <= LIMIT);
    CHECK(scount > 0 && atomic_load(&g_async_count) > 0);
    CHECK_OK(scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, aconn, asub, stats));
    CHECK_OK(scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, sconn, ssub, stats));
    CHECK_EQ(atomic_load(&g_errors), 0);

    natsStatistics_Destroy(stats);
    natsSubscription_Destroy(asub);
    natsSubscription_Destroy(ssub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(aconn);
    natsConnection_Destroy(sconn);
    server_stop(&g_srv);
    return test_done();
}
