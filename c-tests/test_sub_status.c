/*
 * Statuses of the natsSubscription_* calls once a subscription is no longer
 * valid, as nats.c gives them:
 *   - after its AutoUnsubscribe limit was reached (and the last message handed
 *     out): NATS_INVALID_SUBSCRIPTION from every call that reports a status,
 *     except NextMsg (NATS_MAX_DELIVERED_MSGS) and the drain-status calls
 *     (NATS_ILLEGAL_STATE, no drain was started);
 *   - after its connection was closed: NATS_INVALID_SUBSCRIPTION from the
 *     statistics calls, NATS_CONNECTION_CLOSED from NextMsg, Unsubscribe and
 *     Drain.
 * NextMsg on an asynchronous subscription fails at once with
 * NATS_ILLEGAL_STATE. nats.c's examples/subscriber.c relies on the first rule
 * (it ignores exactly NATS_INVALID_SUBSCRIPTION from GetStats after the count).
 */
#include "harness.h"

#include <string.h>

static test_server g_srv;

/* Every statistics/limits call: `expected`. */
static void check_stat_calls(natsSubscription *sub, natsStatus expected)
{
    uint64_t q = 0;
    int a = 0, b = 0;
    int64_t d = 0;

    CHECK_STATUS(natsSubscription_QueuedMsgs(sub, &q), expected);
    CHECK_STATUS(natsSubscription_GetPending(sub, &a, &b), expected);
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 10, 10), expected);
    CHECK_STATUS(natsSubscription_GetPendingLimits(sub, &a, &b), expected);
    CHECK_STATUS(natsSubscription_GetDelivered(sub, &d), expected);
    CHECK_STATUS(natsSubscription_GetDropped(sub, &d), expected);
    CHECK_STATUS(natsSubscription_GetMaxPending(sub, &a, &b), expected);
    CHECK_STATUS(natsSubscription_ClearMaxPending(sub), expected);
    CHECK_STATUS(natsSubscription_GetStats(sub, &a, &b, &a, &b, &d, &d), expected);
    CHECK_STATUS(natsSubscription_GetStats(sub, NULL, NULL, NULL, NULL, NULL, NULL), expected);
}

/* What a subscription past its AutoUnsubscribe limit answers. */
static void check_after_limit(natsSubscription *sub)
{
    natsMsg *m = NULL;

    CHECK(!natsSubscription_IsValid(sub));
    CHECK_EQ(natsSubscription_GetID(sub), 0);
    CHECK(natsSubscription_GetSubject(sub) == NULL);
    check_stat_calls(sub, NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 0), NATS_MAX_DELIVERED_MSGS);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 50), NATS_MAX_DELIVERED_MSGS);
    CHECK(m == NULL);
    CHECK_STATUS(natsSubscription_AutoUnsubscribe(sub, 10), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_Drain(sub), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_DrainTimeout(sub, 100), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 10), NATS_ILLEGAL_STATE);
    /* nats.c marks the drain state of a subscription that reached its limit
     * as complete, with NATS_OK. */
    CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
    CHECK_OK(natsSubscription_NoDeliveryDelay(sub));
    CHECK_STATUS(natsSubscription_Unsubscribe(sub), NATS_INVALID_SUBSCRIPTION);
    /* The examples' way: only NATS_INVALID_SUBSCRIPTION is tolerated. */
    natsStatus s = natsSubscription_GetStats(sub, NULL, NULL, NULL, NULL, NULL, NULL);
    CHECK_MSG(s == NATS_INVALID_SUBSCRIPTION, "GetStats after the limit: %d", (int)s);
}

static void check_sync_limit(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    int pending = 0;
    int64_t delivered = 0;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "status.sync"));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 3));
    test_publish_n(nc, "status.sync", 5, "x");
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(sub, &pm, NULL); pm == 3; }), 5000));

    for (int i = 0; i < 2; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 1000));
        natsMsg_Destroy(m);
        m = NULL;
    }
    /* One message still to hand out: the subscription is valid. */
    CHECK(natsSubscription_IsValid(sub));
    CHECK_OK(natsSubscription_GetStats(sub, &pending, NULL, NULL, NULL, &delivered, NULL));
    CHECK_EQ(pending, 1);
    CHECK_EQ(delivered, 2);
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 1000));
    natsMsg_Destroy(m);
    m = NULL;

    check_after_limit(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* Inside the handler of the last message allowed by the limit, the
 * subscription is still valid (it closes when the handler returns). */
typedef struct {
    test_counter c;
    atomic_int last_valid;
    atomic_int last_stats;
    atomic_llong last_delivered;
} limit_probe;

static void probing_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    limit_probe *p = closure;
    if (atomic_load(&p->c.calls) == 2) {
        int64_t d = 0;
        atomic_store(&p->last_valid, natsSubscription_IsValid(sub) ? 1 : 0);
        atomic_store(&p->last_stats, (int)natsSubscription_GetDelivered(sub, &d));
        atomic_store(&p->last_delivered, (long long)d);
    }
    test_counting_handler(nc, sub, msg, &p->c);
}

static void check_async_limit(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    static limit_probe p;
    memset(&p, 0, sizeof(p));
    atomic_store(&p.last_valid, -1);
    atomic_store(&p.last_stats, -1);
    test_counter c;
    memset(&c, 0, sizeof(c));

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "status.async", probing_handler, &p));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 3));
    test_publish_n(nc, "status.async", 5, "x");
    CHECK(WAIT_FOR(atomic_load(&p.c.calls) == 3, 5000));
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sub), 5000));
    CHECK_EQ(atomic_load(&p.last_valid), 1);
    CHECK_EQ(atomic_load(&p.last_stats), NATS_OK);
    CHECK_EQ(atomic_load(&p.last_delivered), 3);

    check_after_limit(sub);
    CHECK_STATUS(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &c),
                 NATS_INVALID_SUBSCRIPTION);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&p.c.calls), 3);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* NextMsg on an asynchronous subscription: NATS_ILLEGAL_STATE, without
 * waiting for the timeout. */
static void check_next_msg_on_async(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    test_counter c;
    memset(&c, 0, sizeof(c));

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "status.next", test_counting_handler, &c));
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 3000), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 0), NATS_ILLEGAL_STATE);
    CHECK_MSG(test_now_ms() - t0 < 1000, "NextMsg on an async subscription waited %lld ms",
              (long long)(test_now_ms() - t0));
    CHECK(m == NULL);

    /* Also with messages waiting, and with a SubscribeTimeout subscription. */
    test_publish_n(nc, "status.next", 2, "x");
    CHECK(WAIT_FOR(atomic_load(&c.calls) == 2, 5000));
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_ILLEGAL_STATE);
    natsSubscription_Destroy(sub);
    sub = NULL;

    CHECK_OK(natsConnection_SubscribeTimeout(&sub, nc, "status.next2", 10000, test_counting_handler, &c));
    t0 = test_now_ms();
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 3000), NATS_ILLEGAL_STATE);
    CHECK(test_now_ms() - t0 < 1000);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

static void check_after_connection_closed(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sync_sub = NULL, *async_sub = NULL;
    natsMsg *m = NULL;
    test_counter c;
    memset(&c, 0, sizeof(c));

    CHECK_OK(natsConnection_SubscribeSync(&sync_sub, nc, "status.closed"));
    CHECK_OK(natsConnection_Subscribe(&async_sub, nc, "status.closed2", test_counting_handler, &c));
    natsConnection_Close(nc);

    CHECK(!natsSubscription_IsValid(sync_sub));
    check_stat_calls(sync_sub, NATS_INVALID_SUBSCRIPTION);
    check_stat_calls(async_sub, NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sync_sub, 10), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsSubscription_Unsubscribe(sync_sub), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsSubscription_AutoUnsubscribe(sync_sub, 2), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsSubscription_Drain(sync_sub), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsSubscription_SetOnCompleteCB(async_sub, test_counting_complete, &c),
                 NATS_INVALID_SUBSCRIPTION);

    natsSubscription_Destroy(sync_sub);
    natsSubscription_Destroy(async_sub);
    natsConnection_Destroy(nc);
}

/* After Unsubscribe: NATS_INVALID_SUBSCRIPTION from NextMsg too. */
static void check_after_unsubscribe(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "status.unsub"));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 3));
    test_publish_n(nc, "status.unsub", 1, "x");
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 1000));
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    check_stat_calls(sub, NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 10), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_Unsubscribe(sub), NATS_INVALID_SUBSCRIPTION);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("test_sub_status");
    server_start(&g_srv, NULL);

    check_sync_limit();
    check_async_limit();
    check_next_msg_on_async();
    check_after_connection_closed();
    check_after_unsubscribe();

    server_stop(&g_srv);
    return test_done();
}
