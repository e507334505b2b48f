/*
 * Subscription drain: argument and state checks; pending messages still go
 * to a slow handler, then the subscription ends (WaitForDrainCompletion OK,
 * DrainCompletionStatus NATS_OK, completion callback once, nothing after);
 * DrainTimeout cutting a very slow handler short (NATS_TIMEOUT status);
 * draining a synchronous subscription; the connection closed or the
 * subscription unsubscribed during a drain; dedicated and pooled delivery.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

/* ------------------------------------------------------------------------ */

static void check_args_and_state(void)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, false);
    natsSubscription *sub = NULL;
    test_counter st;
    memset(&st, 0, sizeof(st));

    CHECK_STATUS(natsSubscription_Drain(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_DrainTimeout(NULL, 100), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(NULL, 100), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(NULL), NATS_INVALID_ARG);

    /* Not draining: waiting or asking for the result is an illegal state. */
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.state", test_counting_handler, &st));
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 1000), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 0), NATS_ILLEGAL_STATE);
    CHECK_MSG(test_now_ms() - t0 < 900, "WaitForDrainCompletion on a non-draining subscription waited");
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_ILLEGAL_STATE);

    /* Unsubscribed: cannot be drained. */
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    CHECK_STATUS(natsSubscription_Drain(sub), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_DrainTimeout(sub, 100), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 100), NATS_ILLEGAL_STATE);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Synchronous, not draining. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "dr.state.sync"));
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 100), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_ILLEGAL_STATE);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Nothing pending: the drain completes at once; the drained subscription
     * is closed, so a second Drain is refused. */
    memset(&st, 0, sizeof(st));
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.empty", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    CHECK_OK(natsSubscription_Drain(sub));
    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 10000));
    CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sub), 5000));
    CHECK(WAIT_FOR(atomic_load(&st.completes) == 1, 5000));
    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 100));
    CHECK_STATUS(natsSubscription_Drain(sub), NATS_INVALID_SUBSCRIPTION);
    CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&st.completes), 1);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* DrainTimeout with zero or negative timeout: no limit. */
    for (int t = 0; t >= -1; t--) {
        memset(&st, 0, sizeof(st));
        CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.notimeout", test_counting_handler, &st));
        test_publish_n(nc, "dr.notimeout", 10, "m");
        CHECK(WAIT_FOR(atomic_load(&st.calls) == 10, 5000));
        CHECK_OK(natsSubscription_DrainTimeout(sub, t));
        CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, t));
        CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
        natsSubscription_Destroy(sub);
        sub = NULL;
    }

    natsConnection_Destroy(nc);
}

/* Pending messages reach a slow handler; then the subscription ends. */
static void check_drain_slow_handler(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsConnection *pub = test_connect_delivery(g_srv.url, false);
    natsSubscription *sub = NULL;
    test_counter st;
    memset(&st, 0, sizeof(st));
    st.gated = true;
    st.sleep_ms = test_under_valgrind() ? 10 : 5;
    const int n = test_under_valgrind() ? 50 : 100;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.slow", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    CHECK_OK(natsConnection_Flush(nc));
    test_publish_n(pub, "dr.slow", n, "m");
    /* All n are in the client (one in the blocked handler, the rest queued)
     * before the drain starts. */
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(sub, &pm, NULL); pm == n - 1; }), 10000));

    CHECK_OK(natsSubscription_Drain(sub));
    /* Still in progress. */
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 20), NATS_TIMEOUT);
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_ILLEGAL_STATE);
    CHECK_EQ(atomic_load(&st.completes), 0);
    atomic_store(&st.gate, 1);

    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 30000));
    CHECK_EQ(atomic_load(&st.calls), n);
    CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
    /* nats.c may report completion a moment before it drops the
     * subscription. */
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sub), 5000));
    CHECK(WAIT_FOR(atomic_load(&st.completes) >= 1, 5000));
    CHECK_EQ(atomic_load(&st.calls_at_complete), n);
    CHECK_EQ(atomic_load(&st.complete_in_handler), 0);

    /* Interest is gone: later messages are not delivered. */
    test_publish_n(pub, "dr.slow", 10, "m");
    CHECK_OK(natsConnection_Flush(nc));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&st.calls), n);
    CHECK_EQ(atomic_load(&st.completes), 1);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

/* DrainTimeout shorter than the work left: the subscription is closed when
 * the timeout elapses, and the status says so. */
static void check_drain_timeout(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    test_counter st;
    memset(&st, 0, sizeof(st));
    st.sleep_ms = 100;
    const int n = 30;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.tmo", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    test_publish_n(nc, "dr.tmo", n, "m");
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    int64_t t0 = test_now_ms();
    CHECK_OK(natsSubscription_DrainTimeout(sub, 300));
    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 20000));
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el < 3000, "drain with a 300 ms timeout completed after %lld ms", (long long)el);
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_TIMEOUT);
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sub), 5000));
    test_sleep_ms(300);
    int calls = atomic_load(&st.calls);
    CHECK_MSG(calls < n, "all %d messages handled despite the drain timeout", calls);
    CHECK(WAIT_FOR(atomic_load(&st.completes) == 1, 5000));
    test_sleep_ms(150);
    CHECK_EQ(atomic_load(&st.calls), calls);
    CHECK_EQ(atomic_load(&st.completes), 1);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* Draining a synchronous subscription: the queued messages can still be
 * taken with NextMsg; the drain completes once they are. */
static void check_drain_sync(void)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, false);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "dr.sync"));
    test_publish_n(nc, "dr.sync", 5, "m");
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(sub, &pm, NULL); pm == 5; }), 5000));
    CHECK_OK(natsSubscription_Drain(sub));
    CHECK_STATUS(natsSubscription_WaitForDrainCompletion(sub, 200), NATS_TIMEOUT);
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_ILLEGAL_STATE);
    for (int i = 0; i < 5; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
        m = NULL;
    }
    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 10000));
    CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sub), 5000));
    /* Published after the drain: not received. */
    test_publish_n(nc, "dr.sync", 2, "m");
    CHECK(natsSubscription_NextMsg(&m, sub, 100) != NATS_OK);
    CHECK(m == NULL);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* The connection closes while a drain waits on a blocked handler. */
static void check_drain_connection_closed(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    test_counter st;
    memset(&st, 0, sizeof(st));
    st.gated = true;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.close", test_counting_handler, &st));
    CHECK_OK(natsSubscription_SetOnCompleteCB(sub, test_counting_complete, &st));
    test_publish_n(nc, "dr.close", 20, "m");
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    CHECK_OK(natsSubscription_Drain(sub));
    test_sleep_ms(50);
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_ILLEGAL_STATE);

    /* Close waits for nothing the handler does; release it shortly after. */
    natsConnection_Close(nc);
    atomic_store(&st.gate, 1);
    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 20000));
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_CONNECTION_CLOSED);
    CHECK(WAIT_FOR(atomic_load(&st.completes) == 1, 5000));
    test_sleep_ms(100);
    CHECK(atomic_load(&st.calls) < 20);
    CHECK_EQ(atomic_load(&st.completes), 1);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* Unsubscribe during a drain stops it. */
static void check_drain_unsubscribed(bool global)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    test_counter st;
    memset(&st, 0, sizeof(st));
    st.gated = true;

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "dr.unsub", test_counting_handler, &st));
    test_publish_n(nc, "dr.unsub", 20, "m");
    CHECK(WAIT_FOR(atomic_load(&st.in_handler) == 1, 10000));
    CHECK_OK(natsSubscription_Drain(sub));
    test_sleep_ms(50);
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    atomic_store(&st.gate, 1);
    CHECK_OK(natsSubscription_WaitForDrainCompletion(sub, 20000));
    CHECK_STATUS(natsSubscription_DrainCompletionStatus(sub), NATS_INVALID_SUBSCRIPTION);
    test_sleep_ms(100);
    CHECK(atomic_load(&st.calls) < 20);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("test_sub_drain");
    server_start(&g_srv, NULL);
    CHECK_OK(nats_SetMessageDeliveryPoolSize(2));

    check_args_and_state();
    check_drain_sync();
    for (int g = 0; g < 2; g++) {
        bool global = g == 1;
        test_log("delivery: %s", global ? "library pool" : "dedicated threads");
        check_drain_slow_handler(global);
        check_drain_timeout(global);
        check_drain_connection_closed(global);
        check_drain_unsubscribed(global);
    }

    server_stop(&g_srv);
    return test_done();
}
