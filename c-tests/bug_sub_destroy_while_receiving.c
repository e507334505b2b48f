/*
 * nats.c 3.4.1 defect pinned here: destroying an asynchronous subscription
 * while messages for it are still arriving crashes the process now and
 * then. The connection's reader goes on processing a message for the
 * subscription that natsSubscription_Destroy (called from another thread)
 * is tearing down, and aborts in a mutex operation on freed memory
 * (natsConn_processMsg -> abort, glibc "__pthread_tpp_change_priority" or
 * "__pthread_mutex_lock_full" assertions, or SIGSEGV).
 *
 * The scenario is ordinary: a publisher floods a subject; a subscriber
 * repeatedly subscribes, handles a few messages and destroys the
 * subscription. It runs in a child process for a few seconds; the child
 * must end normally.
 *
 * Expected to FAIL against nats.c (the child is killed by a signal within
 * a second or so).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;
static atomic_int g_calls;

static void handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    atomic_fetch_add(&g_calls, 1);
    natsMsg_Destroy(msg);
}

static int child(void *arg)
{
    bool global = arg != NULL;
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    test_flooder f;
    memset(&f, 0, sizeof(f));
    f.subject = "busy.subject";

    if (natsOptions_Create(&o) != NATS_OK || natsOptions_SetURL(o, g_srv.url) != NATS_OK ||
        natsOptions_UseGlobalMessageDelivery(o, global) != NATS_OK ||
        natsConnection_Connect(&nc, o) != NATS_OK ||
        natsConnection_ConnectTo(&f.nc, g_srv.url) != NATS_OK)
        return 2;
    natsOptions_Destroy(o);

    pthread_t th;
    if (pthread_create(&th, NULL, test_flood_main, &f) != 0)
        return 2;

    int64_t end = test_now_ms() + (getenv("RNATS_TEST_VALGRIND") != NULL ? 3000 : 4000);
    int rounds = 0;
    while (test_now_ms() < end) {
        natsSubscription *sub = NULL;
        atomic_store(&g_calls, 0);
        if (natsConnection_Subscribe(&sub, nc, "busy.subject", handler, NULL) != NATS_OK)
            return 3;
        int64_t wait_end = test_now_ms() + 10000;
        while (atomic_load(&g_calls) < 5 && test_now_ms() < wait_end)
            test_sleep_ms(0);
        if (atomic_load(&g_calls) < 5)
            return 4;
        natsSubscription_Destroy(sub);
        rounds++;
    }
    atomic_store(&f.stop, 1);
    pthread_join(th, NULL);
    test_log("%s delivery: %d subscribe/destroy rounds", global ? "pool" : "dedicated", rounds);
    natsConnection_Destroy(f.nc);
    natsConnection_Destroy(nc);
    return 0;
}

int main(void)
{
    test_init("bug_sub_destroy_while_receiving");
    server_start(&g_srv, NULL);

    for (int g = 0; g < 2; g++) {
        int rc = test_run_in_child(child, g == 1 ? (void *)1 : NULL, 40);
        CHECK_MSG(rc == 0, "%s delivery: the child ended with %s %d",
                  g == 1 ? "pool" : "dedicated", rc >= 128 ? "signal" : "exit code",
                  rc >= 128 ? rc - 128 : rc);
    }

    server_stop(&g_srv);
    return test_done();
}
