/*
 * nats.c's examples/requestor.c against examples/replier.c: the replier
 * (SendAsap, error handler, no pending limits, AutoUnsubscribe(count)) in
 * asynchronous mode (the handler publishes the reply) and in synchronous
 * mode (NextMsg, then PublishString to the reply subject, FlushTimeout);
 * the requestor sends count requests with RequestString and a 1 s timeout,
 * then FlushTimeout and statistics. Both sides print statistics the
 * examples' way.
 */
#include "scenario.h"

#include <string.h>

#define TOTAL 200

static test_server g_srv;

typedef struct {
    const char *subj;
    natsConnection *conn;
    natsSubscription *sub;
    atomic_int replies;
    natsStatus result;
} replier;

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    replier *r = closure;
    if (natsConnection_PublishString(nc, natsMsg_GetReply(msg), "here's some help") == NATS_OK)
        atomic_fetch_add(&r->replies, 1);
    natsMsg_Destroy(msg);
}

static void async_cb(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    FAIL("async error %u - %s", err, natsStatus_GetText(err));
}

static void replier_start(replier *r, bool async)
{
    natsOptions *opts = NULL;
    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    CHECK_OK(natsOptions_SetErrorHandler(opts, async_cb, NULL));
    CHECK_OK(natsOptions_SetSendAsap(opts, true));
    CHECK_OK(natsConnection_Connect(&r->conn, opts));
    natsOptions_Destroy(opts);
    if (async)
        CHECK_OK(natsConnection_Subscribe(&r->sub, r->conn, r->subj, on_request, r));
    else
        CHECK_OK(natsConnection_SubscribeSync(&r->sub, r->conn, r->subj));
    CHECK_OK(natsSubscription_SetPendingLimits(r->sub, -1, -1));
    CHECK_OK(natsSubscription_AutoUnsubscribe(r->sub, TOTAL));
    CHECK_OK(natsConnection_Flush(r->conn));
}

/* The synchronous replier's loop, on its own thread. */
static void *sync_replier_main(void *arg)
{
    replier *r = arg;
    natsStatistics *stats = NULL;
    natsStatus s = natsStatistics_Create(&stats);
    int count;
    for (count = 0; s == NATS_OK && count < TOTAL; count++) {
        natsMsg *msg = NULL;
        s = natsSubscription_NextMsg(&msg, r->sub, 10000);
        if (s == NATS_OK)
            s = natsConnection_PublishString(r->conn, natsMsg_GetReply(msg), "here's some help");
        if (s == NATS_OK) {
            atomic_fetch_add(&r->replies, 1);
            if (count % 100 == 0)
                s = scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, r->conn, r->sub, stats);
        }
        natsMsg_Destroy(msg);
    }
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(r->conn, 1000);
    if (s == NATS_OK)
        s = scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, r->conn, r->sub, stats);
    natsStatistics_Destroy(stats);
    r->result = s;
    return NULL;
}

static void requestor(const char *subj)
{
    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    natsStatistics *stats = NULL;
    natsStatus s;
    int count;

    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    s = natsConnection_Connect(&conn, opts);
    if (s == NATS_OK)
        s = natsStatistics_Create(&stats);
    for (count = 0; s == NATS_OK && count < TOTAL; count++) {
        natsMsg *reply = NULL;
        s = natsConnection_RequestString(&reply, conn, subj, "help", 1000);
        if (s != NATS_OK)
            break;
        CHECK_EQ(natsMsg_GetDataLength(reply), 16);
        CHECK(memcmp(natsMsg_GetData(reply), "here's some help", 16) == 0);
        natsMsg_Destroy(reply);
    }
    CHECK_OK(s);
    CHECK_EQ(count, TOTAL);
    CHECK_OK(natsConnection_FlushTimeout(conn, 1000));
    CHECK_OK(scenario_print_stats(SCENARIO_STATS_OUT, conn, NULL, stats));
    uint64_t out_msgs = 0;
    CHECK_OK(natsStatistics_GetCounts(stats, NULL, NULL, &out_msgs, NULL, NULL));
    CHECK(out_msgs >= TOTAL);
    natsStatistics_Destroy(stats);
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);
}

int main(void)
{
    test_init("scenario_request_reply");
    server_start(&g_srv, NULL);

    /* Asynchronous replier. */
    static replier ar;
    memset(&ar, 0, sizeof(ar));
    ar.subj = "scenario.help";
    replier_start(&ar, true);
    requestor(ar.subj);
    /* The handler counts a reply after publishing it: the requestor can have the last
     * reply before the count moved. */
    CHECK(WAIT_FOR(atomic_load(&ar.replies) == TOTAL, 5000));
    natsStatistics *stats = NULL;
    CHECK_OK(natsStatistics_Create(&stats));
    CHECK(WAIT_FOR(!natsSubscription_IsValid(ar.sub), 5000));
    CHECK_OK(scenario_print_stats(SCENARIO_STATS_IN | SCENARIO_STATS_COUNT, ar.conn, ar.sub, stats));
    natsStatistics_Destroy(stats);
    natsSubscription_Destroy(ar.sub);
    natsConnection_Destroy(ar.conn);

    /* Synchronous replier. */
    static replier sr;
    memset(&sr, 0, sizeof(sr));
    sr.subj = "scenario.help.sync";
    replier_start(&sr, false);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sync_replier_main, &sr) == 0);
    requestor(sr.subj);
    pthread_join(t, NULL);
    CHECK_OK(sr.result);
    CHECK_EQ(atomic_load(&sr.replies), TOTAL);
    natsSubscription_Destroy(sr.sub);
    natsConnection_Destroy(sr.conn);

    server_stop(&g_srv);
    return test_done();
}
