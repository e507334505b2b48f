/*
 * Synchronous subscriptions: SubscribeSync, QueueSubscribeSync, NextMsg,
 * Unsubscribe, AutoUnsubscribe, pending limits and statistics (exact on a
 * slow consumer), subscription accessors.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

static natsConnection *conn(void)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, g_srv.url));
    return nc;
}

static void check_args(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_STATUS(natsConnection_SubscribeSync(&sub, NULL, "foo"), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, NULL), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, ""), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, "foo bar"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, "foo."), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, ".foo"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, "foo..bar"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, "foo.>.bar"), NATS_INVALID_SUBJECT);
    CHECK(sub == NULL);

    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, NULL, "foo", "q"), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, nc, NULL, "q"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, nc, "", "q"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, nc, "foo", NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, nc, "foo", ""), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, nc, "foo", "a b"), NATS_INVALID_QUEUE_NAME);
    CHECK(sub == NULL);

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "args"));
    CHECK_STATUS(natsSubscription_NextMsg(NULL, sub, 10), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_NextMsg(&m, NULL, 10), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_Unsubscribe(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_AutoUnsubscribe(NULL, 1), NATS_INVALID_ARG);

    uint64_t q = 0;
    int a = 0, b = 0;
    int64_t d = 0;
    CHECK_STATUS(natsSubscription_QueuedMsgs(NULL, &q), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_QueuedMsgs(sub, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetPending(NULL, &a, &b), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_SetPendingLimits(NULL, 1, 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetPendingLimits(NULL, &a, &b), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetDelivered(NULL, &d), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetDelivered(sub, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetDropped(NULL, &d), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetDropped(sub, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetMaxPending(NULL, &a, &b), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_ClearMaxPending(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_GetStats(NULL, &a, &b, &a, &b, &d, &d), NATS_INVALID_ARG);

    /* Optional outputs may be NULL. */
    CHECK_OK(natsSubscription_GetPending(sub, NULL, NULL));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, NULL, NULL));
    CHECK_OK(natsSubscription_GetMaxPending(sub, NULL, NULL));
    CHECK_OK(natsSubscription_GetStats(sub, NULL, NULL, NULL, NULL, NULL, NULL));

    CHECK(!natsSubscription_IsValid(NULL));
    CHECK_EQ(natsSubscription_GetID(NULL), 0);
    CHECK(natsSubscription_GetSubject(NULL) == NULL);
    natsSubscription_Destroy(NULL);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

static void check_basic(void)
{
    natsConnection *nc = conn();
    natsSubscription *s1 = NULL, *s2 = NULL, *wc = NULL, *full = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsConnection_SubscribeSync(&s1, nc, "basic.one"));
    CHECK_OK(natsConnection_SubscribeSync(&s2, nc, "basic.one"));
    CHECK_OK(natsConnection_SubscribeSync(&wc, nc, "basic.*"));
    CHECK_OK(natsConnection_SubscribeSync(&full, nc, "basic.>"));

    CHECK(natsSubscription_IsValid(s1));
    CHECK_STR(natsSubscription_GetSubject(s1), "basic.one");
    CHECK_STR(natsSubscription_GetSubject(wc), "basic.*");
    CHECK(natsSubscription_GetID(s1) > 0);
    CHECK(natsSubscription_GetID(s1) != natsSubscription_GetID(s2));
    CHECK(natsSubscription_GetID(s2) != natsSubscription_GetID(wc));

    /* Nothing yet: zero timeout returns at once, positive waits. */
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsSubscription_NextMsg(&m, s1, 0), NATS_TIMEOUT);
    CHECK(m == NULL);
    CHECK(test_now_ms() - t0 < 1000);
    t0 = test_now_ms();
    CHECK_STATUS(natsSubscription_NextMsg(&m, s1, 150), NATS_TIMEOUT);
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el >= 100 && el < 2000, "NextMsg(150) timed out after %lld ms", (long long)el);
    CHECK(m == NULL);

    CHECK_OK(natsConnection_PublishString(nc, "basic.one", "1"));
    CHECK_OK(natsConnection_PublishString(nc, "basic.two.deep", "2"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_OK(natsSubscription_NextMsg(&m, s1, 5000));
    CHECK_STR(natsMsg_GetSubject(m), "basic.one");
    CHECK_STR(natsMsg_GetData(m), "1");
    natsMsg_Destroy(m);
    CHECK_OK(natsSubscription_NextMsg(&m, s2, 5000));
    natsMsg_Destroy(m);
    CHECK_OK(natsSubscription_NextMsg(&m, wc, 5000));
    CHECK_STR(natsMsg_GetSubject(m), "basic.one");
    natsMsg_Destroy(m);
    CHECK_STATUS(natsSubscription_NextMsg(&m, wc, 100), NATS_TIMEOUT);
    CHECK_OK(natsSubscription_NextMsg(&m, full, 5000));
    CHECK_STR(natsMsg_GetSubject(m), "basic.one");
    natsMsg_Destroy(m);
    CHECK_OK(natsSubscription_NextMsg(&m, full, 5000));
    CHECK_STR(natsMsg_GetSubject(m), "basic.two.deep");
    natsMsg_Destroy(m);

    /* A message already pending is returned even with timeout 0. */
    CHECK_OK(natsConnection_PublishString(nc, "basic.one", "p"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(s1, &pm, NULL); pm == 1; }), 5000));
    CHECK_OK(natsSubscription_NextMsg(&m, s1, 0));
    natsMsg_Destroy(m);

    natsSubscription_Destroy(s1);
    natsSubscription_Destroy(s2);
    natsSubscription_Destroy(wc);
    natsSubscription_Destroy(full);
    natsConnection_Destroy(nc);
}

typedef struct {
    natsSubscription *sub;
    int64_t timeout;
    natsStatus result;
    natsMsg *msg;
} wait_arg;

static void *waiter(void *p)
{
    wait_arg *a = p;
    a->result = natsSubscription_NextMsg(&a->msg, a->sub, a->timeout);
    return NULL;
}

static void check_blocking(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "block"));
    CHECK_OK(natsConnection_Flush(nc));

    /* Woken by a message. */
    wait_arg a = { .sub = sub, .timeout = 20000 };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, waiter, &a) == 0);
    test_sleep_ms(100);
    CHECK_OK(natsConnection_PublishString(nc, "block", "wake"));
    pthread_join(th, NULL);
    CHECK_OK(a.result);
    CHECK_STR(natsMsg_GetData(a.msg), "wake");
    natsMsg_Destroy(a.msg);

    /* Woken by Unsubscribe. */
    wait_arg b = { .sub = sub, .timeout = 20000 };
    int64_t t0 = test_now_ms();
    CHECK(pthread_create(&th, NULL, waiter, &b) == 0);
    test_sleep_ms(100);
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    pthread_join(th, NULL);
    CHECK_STATUS(b.result, NATS_INVALID_SUBSCRIPTION);
    CHECK(b.msg == NULL);
    CHECK(test_now_ms() - t0 < 10000);
    natsSubscription_Destroy(sub);

    /* Woken by connection close. */
    sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "block"));
    wait_arg c = { .sub = sub, .timeout = 20000 };
    t0 = test_now_ms();
    CHECK(pthread_create(&th, NULL, waiter, &c) == 0);
    test_sleep_ms(100);
    natsConnection_Close(nc);
    pthread_join(th, NULL);
    CHECK_STATUS(c.result, NATS_CONNECTION_CLOSED);
    CHECK(c.msg == NULL);
    CHECK(test_now_ms() - t0 < 10000);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

static void check_queue(void)
{
    natsConnection *nc = conn();
    natsConnection *pub = conn();
    natsSubscription *q1 = NULL, *q2 = NULL, *q3 = NULL, *plain = NULL;
    const int n = 300;

    CHECK_OK(natsConnection_QueueSubscribeSync(&q1, nc, "work", "workers"));
    CHECK_OK(natsConnection_QueueSubscribeSync(&q2, nc, "work", "workers"));
    CHECK_OK(natsConnection_QueueSubscribeSync(&q3, nc, "work", "other"));
    CHECK_OK(natsConnection_SubscribeSync(&plain, nc, "work"));
    CHECK_STR(natsSubscription_GetSubject(q1), "work");
    CHECK_OK(natsConnection_Flush(nc));

    test_publish_n(pub, "work", n, "job");
    CHECK_OK(natsConnection_Flush(nc));

    /* Wait until all copies arrived: n for each group, n for plain. */
    CHECK(WAIT_FOR(({
        int a = 0, b = 0, c = 0, d = 0;
        natsSubscription_GetPending(q1, &a, NULL);
        natsSubscription_GetPending(q2, &b, NULL);
        natsSubscription_GetPending(q3, &c, NULL);
        natsSubscription_GetPending(plain, &d, NULL);
        a + b == n && c == n && d == n;
    }), 10000));

    int c1 = 0, c2 = 0;
    natsSubscription_GetPending(q1, &c1, NULL);
    natsSubscription_GetPending(q2, &c2, NULL);
    /* Spread over both members (each would get 0 with probability 2^-300). */
    CHECK_MSG(c1 > 0 && c2 > 0, "queue spread %d/%d", c1, c2);

    natsMsg *m = NULL;
    for (int i = 0; i < c1; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, q1, 1000));
        natsMsg_Destroy(m);
    }
    CHECK_STATUS(natsSubscription_NextMsg(&m, q1, 50), NATS_TIMEOUT);
    int64_t d1 = 0, d2 = 0;
    CHECK_OK(natsSubscription_GetDelivered(q1, &d1));
    CHECK_EQ(d1, c1);
    CHECK_OK(natsSubscription_GetDelivered(q2, &d2));
    CHECK_EQ(d2, 0);

    natsSubscription_Destroy(q1);
    natsSubscription_Destroy(q2);
    natsSubscription_Destroy(q3);
    natsSubscription_Destroy(plain);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(pub);
}

static void check_unsubscribe(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "unsub"));
    test_publish_n(nc, "unsub", 3, "x");
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(sub, &pm, NULL); pm == 3; }), 5000));

    CHECK_OK(natsSubscription_Unsubscribe(sub));
    CHECK(!natsSubscription_IsValid(sub));
    CHECK_EQ(natsSubscription_GetID(sub), 0);
    CHECK(natsSubscription_GetSubject(sub) == NULL);
    /* Pending messages are gone with the subscription. */
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 10), NATS_INVALID_SUBSCRIPTION);
    CHECK(m == NULL);
    CHECK_STATUS(natsSubscription_Unsubscribe(sub), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_AutoUnsubscribe(sub, 5), NATS_INVALID_SUBSCRIPTION);

    uint64_t q = 0;
    int a = 0, b = 0;
    int64_t d = 0;
    CHECK_STATUS(natsSubscription_QueuedMsgs(sub, &q), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetPending(sub, &a, &b), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 10, 10), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetPendingLimits(sub, &a, &b), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetDelivered(sub, &d), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetDropped(sub, &d), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetMaxPending(sub, &a, &b), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_ClearMaxPending(sub), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetStats(sub, &a, &b, &a, &b, &d, &d), NATS_INVALID_SUBSCRIPTION);

    /* The server stopped sending: a new subscription on the same subject
     * sees only new messages, and exactly once. */
    natsSubscription *again = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&again, nc, "unsub"));
    test_publish_n(nc, "unsub", 1, "new");
    CHECK_OK(natsSubscription_NextMsg(&m, again, 5000));
    CHECK_STR(natsMsg_GetData(m), "new");
    natsMsg_Destroy(m);
    CHECK_STATUS(natsSubscription_NextMsg(&m, again, 100), NATS_TIMEOUT);

    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(again);

    /* Subscription calls on a closed connection. */
    sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "closing"));
    natsConnection_Close(nc);
    CHECK(!natsSubscription_IsValid(sub));
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 10), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsSubscription_Unsubscribe(sub), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsSubscription_AutoUnsubscribe(sub, 1), NATS_CONNECTION_CLOSED);
    natsSubscription *late = NULL;
    CHECK_STATUS(natsConnection_SubscribeSync(&late, nc, "x"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&late, nc, "x", "q"), NATS_CONNECTION_CLOSED);
    CHECK(late == NULL);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

static void check_auto_unsubscribe(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    /* Exactly N messages, then NATS_MAX_DELIVERED_MSGS. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "auto"));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 5));
    test_publish_n(nc, "auto", 20, "x");
    for (int i = 0; i < 5; i++) {
        CHECK(natsSubscription_IsValid(sub));
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
        m = NULL;
    }
    CHECK(!natsSubscription_IsValid(sub));
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_MAX_DELIVERED_MSGS);
    CHECK(m == NULL);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_MAX_DELIVERED_MSGS);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* The later limit replaces the earlier one. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "auto2"));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 2));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 4));
    test_publish_n(nc, "auto2", 10, "x");
    for (int i = 0; i < 4; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
    }
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_MAX_DELIVERED_MSGS);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Set after messages are already pending: still exactly N. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "auto3"));
    test_publish_n(nc, "auto3", 6, "x");
    CHECK(WAIT_FOR(({ int pm = 0; natsSubscription_GetPending(sub, &pm, NULL); pm == 6; }), 5000));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 3));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
    }
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_MAX_DELIVERED_MSGS);
    int64_t d = 0;
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* A limit already reached invalidates at once. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "auto4"));
    test_publish_n(nc, "auto4", 2, "x");
    for (int i = 0; i < 2; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
    }
    CHECK_OK(natsSubscription_GetDelivered(sub, &d));
    CHECK_EQ(d, 2);
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 2));
    CHECK(!natsSubscription_IsValid(sub));
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Queue subscription with a limit. */
    CHECK_OK(natsConnection_QueueSubscribeSync(&sub, nc, "auto5", "g"));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 1));
    test_publish_n(nc, "auto5", 3, "x");
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    natsMsg_Destroy(m);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_MAX_DELIVERED_MSGS);
    natsSubscription_Destroy(sub);

    natsConnection_Destroy(nc);
}

static void check_limits(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    int msgs = 0, bytes = 0;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "limits"));
    /* Defaults. */
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 65536);
    CHECK_EQ(bytes, 65536 * 1024);

    CHECK_OK(natsSubscription_SetPendingLimits(sub, 100, 2000));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 100);
    CHECK_EQ(bytes, 2000);
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, NULL));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, NULL, &bytes));

    /* Zero is refused; negative means unlimited. */
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 0, 100), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 100, 0), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_SetPendingLimits(sub, 0, 0), NATS_INVALID_ARG);
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 100);
    CHECK_EQ(bytes, 2000);
    CHECK_OK(natsSubscription_SetPendingLimits(sub, -1, 100));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 100, -1));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, -1, -1));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, -1);
    CHECK_EQ(bytes, -1);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* Statistics are exact on a slow consumer with small limits. */
static void check_slow_consumer_stats(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    int pm = -1, pb = -1, mpm = -1, mpb = -1;
    int64_t dl = -1, dr = -1;
    uint64_t q = 0;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "slow"));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 10, 1000000));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, &mpm, &mpb, &dl, &dr));
    CHECK_EQ(pm, 0);
    CHECK_EQ(pb, 0);
    CHECK_EQ(mpm, 0);
    CHECK_EQ(mpb, 0);
    CHECK_EQ(dl, 0);
    CHECK_EQ(dr, 0);

    /* 50 messages of 10 bytes into a 10-message queue: 40 dropped. */
    test_publish_n(nc, "slow", 50, "0123456789");
    CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == 40; }), 5000));
    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, &mpm, &mpb, &dl, &dr));
    CHECK_EQ(pm, 10);
    CHECK_EQ(pb, 100);
    CHECK_EQ(mpm, 10);
    CHECK_EQ(mpb, 100);
    CHECK_EQ(dl, 0);
    CHECK_EQ(dr, 40);
    CHECK_OK(natsSubscription_QueuedMsgs(sub, &q));
    CHECK_EQ(q, 10);
    CHECK_OK(natsSubscription_GetPending(sub, &pm, &pb));
    CHECK_EQ(pm, 10);
    CHECK_EQ(pb, 100);
    CHECK_OK(natsSubscription_GetMaxPending(sub, &mpm, &mpb));
    CHECK_EQ(mpm, 10);
    CHECK_EQ(mpb, 100);

    /* The first NextMsg after drops reports the slow consumer once, without
     * consuming a message; then the queued messages come. */
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 1000), NATS_SLOW_CONSUMER);
    CHECK(m == NULL);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 1000));
        CHECK_STR(natsMsg_GetData(m), "0123456789");
        natsMsg_Destroy(m);
        m = NULL;
    }
    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, &mpm, &mpb, &dl, &dr));
    CHECK_EQ(pm, 7);
    CHECK_EQ(pb, 70);
    CHECK_EQ(mpm, 10);
    CHECK_EQ(mpb, 100);
    CHECK_EQ(dl, 3);
    CHECK_EQ(dr, 40);
    CHECK_OK(natsSubscription_GetDelivered(sub, &dl));
    CHECK_EQ(dl, 3);
    CHECK_OK(natsSubscription_GetDropped(sub, &dr));
    CHECK_EQ(dr, 40);

    /* ClearMaxPending resets the high-water marks only. */
    CHECK_OK(natsSubscription_ClearMaxPending(sub));
    CHECK_OK(natsSubscription_GetMaxPending(sub, &mpm, &mpb));
    CHECK_EQ(mpm, 0);
    CHECK_EQ(mpb, 0);
    CHECK_OK(natsSubscription_GetPending(sub, &pm, &pb));
    CHECK_EQ(pm, 7);

    /* 5 more: 3 fit, 2 dropped. */
    test_publish_n(nc, "slow", 5, "abcdefghij");
    CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == 42; }), 5000));
    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, &mpm, &mpb, &dl, &dr));
    CHECK_EQ(pm, 10);
    CHECK_EQ(pb, 100);
    CHECK_EQ(mpm, 10);
    CHECK_EQ(mpb, 100);
    CHECK_EQ(dr, 42);

    /* Drain everything: in order, the newest batch last. */
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 1000), NATS_SLOW_CONSUMER);
    for (int i = 0; i < 10; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 1000));
        CHECK_STR(natsMsg_GetData(m), i < 7 ? "0123456789" : "abcdefghij");
        natsMsg_Destroy(m);
        m = NULL;
    }
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 50), NATS_TIMEOUT);
    CHECK_OK(natsSubscription_GetStats(sub, &pm, &pb, NULL, NULL, &dl, &dr));
    CHECK_EQ(pm, 0);
    CHECK_EQ(pb, 0);
    CHECK_EQ(dl, 13);
    CHECK_EQ(dr, 42);
    natsSubscription_Destroy(sub);
    sub = NULL;

    /* Byte limit: 25 bytes hold two 10-byte messages. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "slowbytes"));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 1000, 25));
    CHECK_OK(natsConnection_Flush(nc));
    test_publish_n(nc, "slowbytes", 10, "0123456789");
    CHECK(WAIT_FOR(({ int64_t x = 0; natsSubscription_GetDropped(sub, &x); x == 8; }), 5000));
    CHECK_OK(natsSubscription_GetPending(sub, &pm, &pb));
    CHECK_EQ(pm, 2);
    CHECK_EQ(pb, 20);
    natsSubscription_Destroy(sub);

    /* Connection statistics count what went through. */
    natsStatistics *st = NULL;
    uint64_t im = 0, ib = 0, om = 0, ob = 0;
    CHECK_OK(natsStatistics_Create(&st));
    CHECK_OK(natsConnection_GetStats(nc, st));
    CHECK_OK(natsStatistics_GetCounts(st, &im, &ib, &om, &ob, NULL));
    CHECK_EQ(om, 65);
    CHECK_EQ(ob, 650);
    CHECK_EQ(im, 65);
    CHECK_EQ(ib, 650);
    natsStatistics_Destroy(st);

    natsConnection_Destroy(nc);
}

/* Many subscriptions on one connection: each gets exactly its messages. */
static void check_many(void)
{
    natsConnection *nc = conn();
    enum { N = 300 };
    natsSubscription *subs[N];
    char subj[64];

    for (int i = 0; i < N; i++) {
        subs[i] = NULL;
        snprintf(subj, sizeof(subj), "many.%d", i);
        CHECK_OK(natsConnection_SubscribeSync(&subs[i], nc, subj));
    }
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < N; i++) {
        snprintf(subj, sizeof(subj), "many.%d", i);
        for (int k = 0; k <= i % 3; k++)
            CHECK_OK(natsConnection_PublishString(nc, subj, subj));
    }
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < N; i++) {
        snprintf(subj, sizeof(subj), "many.%d", i);
        for (int k = 0; k <= i % 3; k++) {
            natsMsg *m = NULL;
            CHECK_OK(natsSubscription_NextMsg(&m, subs[i], 5000));
            CHECK_STR(natsMsg_GetSubject(m), subj);
            CHECK_STR(natsMsg_GetData(m), subj);
            natsMsg_Destroy(m);
        }
        natsMsg *m = NULL;
        CHECK_STATUS(natsSubscription_NextMsg(&m, subs[i], 0), NATS_TIMEOUT);
    }
    /* Destroy without Unsubscribe: the others keep working. */
    for (int i = 0; i < N; i += 2)
        natsSubscription_Destroy(subs[i]);
    for (int i = 0; i < N; i++) {
        snprintf(subj, sizeof(subj), "many.%d", i);
        CHECK_OK(natsConnection_PublishString(nc, subj, "again"));
    }
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 1; i < N; i += 2) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, subs[i], 5000));
        CHECK_STR(natsMsg_GetData(m), "again");
        natsMsg_Destroy(m);
        natsSubscription_Destroy(subs[i]);
    }
    natsConnection_Destroy(nc);
}

/* Several threads draining one subscription: every message exactly once. */
#define DRAIN_THREADS 4
#define DRAIN_MSGS 2000

typedef struct {
    natsSubscription *sub;
    unsigned char *seen;    /* shared, one slot per message index */
    pthread_mutex_t *mu;
    int got;
    int dup;
} drain_arg;

static void *drainer(void *p)
{
    drain_arg *a = p;
    for (;;) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, a->sub, 1000);
        if (s != NATS_OK)
            break;
        int idx = atoi(natsMsg_GetData(m));
        pthread_mutex_lock(a->mu);
        if (idx < 0 || idx >= DRAIN_MSGS || a->seen[idx])
            a->dup++;
        else
            a->seen[idx] = 1;
        pthread_mutex_unlock(a->mu);
        a->got++;
        natsMsg_Destroy(m);
    }
    return NULL;
}

static void check_concurrent_next(void)
{
    natsConnection *nc = conn();
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "drain.threads"));
    CHECK_OK(natsConnection_Flush(nc));

    static unsigned char seen[DRAIN_MSGS];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_t th[DRAIN_THREADS];
    drain_arg args[DRAIN_THREADS];
    for (int i = 0; i < DRAIN_THREADS; i++) {
        args[i] = (drain_arg){ .sub = sub, .seen = seen, .mu = &mu };
        CHECK(pthread_create(&th[i], NULL, drainer, &args[i]) == 0);
    }
    char buf[16];
    for (int i = 0; i < DRAIN_MSGS; i++) {
        snprintf(buf, sizeof(buf), "%d", i);
        CHECK_OK(natsConnection_PublishString(nc, "drain.threads", buf));
    }
    CHECK_OK(natsConnection_Flush(nc));
    int total = 0, dups = 0;
    for (int i = 0; i < DRAIN_THREADS; i++) {
        pthread_join(th[i], NULL);
        total += args[i].got;
        dups += args[i].dup;
    }
    CHECK_EQ(dups, 0);
    CHECK_EQ(total, DRAIN_MSGS);
    int64_t delivered = 0;
    CHECK_OK(natsSubscription_GetDelivered(sub, &delivered));
    CHECK_EQ(delivered, DRAIN_MSGS);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("test_sync_sub");
    server_start(&g_srv, NULL);

    check_args();
    check_basic();
    check_blocking();
    check_queue();
    check_unsubscribe();
    check_auto_unsubscribe();
    check_limits();
    check_slow_consumer_stats();
    check_many();
    check_concurrent_next();

    server_stop(&g_srv);
    return test_done();
}
