/*
 * nats.c 3.4.1 defect pinned here: a connection drain does not finish while
 * a synchronous subscription has nothing pending; it runs into its timeout,
 * reports NATS_TIMEOUT to the error handler and only then closes.
 *
 * nats.c completes a synchronous subscription's drain only inside
 * natsSubscription_NextMsg, when a call takes the last queued message. A
 * subscription with an empty queue when the drain starts never gets there,
 * so natsConnection_Drain waits for the whole drain timeout (30 s by
 * default) although there is nothing left to drain. Here DrainTimeout is
 * 10 s; the connection must close well before that, without an error.
 * (natsSubscription_Drain on such a subscription does complete at once in
 * nats.c; it is checked first, as the contrast.)
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static atomic_int g_closed;
static atomic_int g_errors;
static atomic_int g_last_error;

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    atomic_fetch_add(&g_closed, 1);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    atomic_store(&g_last_error, (int)err);
    atomic_fetch_add(&g_errors, 1);
}

int main(void)
{
    test_init("bug_drain_idle_sync_sub");
    test_server srv;
    server_start(&srv, NULL);

    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv.url));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, NULL));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_error, NULL));

    /* Subscription drain. */
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "idle.one"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsSubscription_DrainTimeout(sub, 10000));
    CHECK_MSG(natsSubscription_WaitForDrainCompletion(sub, 5000) == NATS_OK,
              "drain of an idle synchronous subscription not complete after 5 s");
    CHECK_OK(natsSubscription_DrainCompletionStatus(sub));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    CHECK(WAIT_FOR(atomic_load(&g_closed) == 1, 5000));

    /* Connection drain. */
    atomic_store(&g_closed, 0);
    nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "idle.two"));
    CHECK_OK(natsConnection_Flush(nc));
    int64_t t0 = test_now_ms();
    CHECK_OK(natsConnection_DrainTimeout(nc, 10000));
    CHECK_MSG(WAIT_FOR(atomic_load(&g_closed) == 1, 5000),
              "connection drain with an idle synchronous subscription not over after 5 s");
    test_log("closed %lld ms after the drain started", (long long)(test_now_ms() - t0));
    CHECK_MSG(atomic_load(&g_errors) == 0, "error handler called (%d, last status %d)",
              atomic_load(&g_errors), atomic_load(&g_last_error));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    server_stop(&srv);
    return test_done();
}
