/*
 * nats.c's examples/asynctimeout.c: an asynchronous subscription with an
 * inactivity timeout (natsConnection_SubscribeTimeout, and
 * natsConnection_QueueSubscribeTimeout with -queue). The handler is called
 * with a NULL message when nothing arrived for the timeout; it destroys
 * the subscription itself, from inside the handler, either then or once it
 * received count messages. The main thread only waits for `done` and
 * destroys the connection.
 */
#include "scenario.h"

#include <string.h>

static test_server g_srv;

typedef struct {
    int total;
    atomic_int count;
    atomic_int timeouts;
    atomic_int after_done;   /* calls after the subscription was destroyed */
    atomic_bool done;
    int64_t last_msg_ms;
    int64_t timeout_after_ms;
} example;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    example *ex = closure;
    if (atomic_load(&ex->done)) {
        atomic_fetch_add(&ex->after_done, 1);
        natsMsg_Destroy(msg);
        return;
    }
    if (msg != NULL)
        ex->last_msg_ms = test_now_ms();
    else
        atomic_fetch_add(&ex->timeouts, 1);
    if (msg == NULL || atomic_fetch_add(&ex->count, 1) + 1 == ex->total) {
        if (msg == NULL)
            ex->timeout_after_ms = test_now_ms() - ex->last_msg_ms;
        test_log("%s, destroying subscription",
                 msg == NULL ? "Subscription timed-out" : "All messages received");
        natsSubscription_Destroy(sub);
        atomic_store(&ex->done, true);
    }
    /* It is safe to call natsMsg_Destroy() with a NULL message. */
    natsMsg_Destroy(msg);
}

/* Publishes `n` messages; the subscriber times out `timeout` ms after the
 * last one unless n reaches its count first. */
static void run(const char *queue, int n, int total, int64_t timeout, bool expect_timeout)
{
    static example ex;
    memset(&ex, 0, sizeof(ex));
    ex.total = total;
    ex.last_msg_ms = test_now_ms();

    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    natsSubscription *sub = NULL;
    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, g_srv.url));
    natsStatus s = natsConnection_Connect(&conn, opts);
    if (s == NATS_OK) {
        if (queue != NULL)
            s = natsConnection_QueueSubscribeTimeout(&sub, conn, "scenario.timeout", queue,
                                                     timeout, on_msg, &ex);
        else
            s = natsConnection_SubscribeTimeout(&sub, conn, "scenario.timeout", timeout,
                                                on_msg, &ex);
    }
    CHECK_OK(s);
    CHECK_OK(natsConnection_Flush(conn));

    natsConnection *pub = test_connect(g_srv.url);
    for (int i = 0; i < n; i++)
        CHECK_OK(natsConnection_PublishString(pub, "scenario.timeout", "tick"));
    CHECK_OK(natsConnection_FlushTimeout(pub, 1000));

    /* The example checks every half second; a shorter poll here. */
    CHECK(WAIT_FOR(atomic_load(&ex.done), 10000));
    test_sleep_ms(2 * timeout);
    if (expect_timeout) {
        CHECK_EQ(atomic_load(&ex.count), n);   /* the messages, then one NULL call */
        CHECK_EQ(atomic_load(&ex.timeouts), 1);
        CHECK_MSG(ex.timeout_after_ms >= timeout - 20,
                  "timed out %lld ms after the last message (timeout %lld)",
                  (long long)ex.timeout_after_ms, (long long)timeout);
    } else {
        CHECK_EQ(atomic_load(&ex.count), total);
        CHECK_EQ(atomic_load(&ex.timeouts), 0);
    }
    /* Destroyed from its own handler: no call afterwards. */
    CHECK_EQ(atomic_load(&ex.after_done), 0);

    /* Do not destroy the subscription: the handler did. */
    natsConnection_Destroy(pub);
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);
}

int main(void)
{
    test_init("scenario_async_timeout");
    server_start(&g_srv, NULL);

    run(NULL, 0, 10, 200, true);        /* nothing arrives: times out */
    run(NULL, 3, 10, 300, true);        /* 3 messages, then the timeout */
    run(NULL, 10, 10, 5000, false);     /* all messages before the timeout */
    run("workers", 2, 10, 300, true);   /* -queue */

    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
