/*
 * nats.c 3.4.1 defect pinned here: a message handler can run after
 * natsSubscription_Destroy or natsConnection_Destroy has returned.
 *
 * nats.c's Destroy only marks the subscription closed; it neither waits for
 * a handler that is running on the delivery thread nor stops the call the
 * delivery thread has already taken off the queue. Its documentation of
 * natsSubscription_SetOnCompleteCB describes the resulting risk: a handler
 * invoked "one last time" after the caller freed what the handler uses.
 * Once Destroy returns (called from a thread other than the handler's), no
 * handler for that subscription may be running or start.
 *
 * Part 1: a handler is running (slow) while Destroy is called from the main
 * thread; it must have returned by the time Destroy returns.
 * Part 2: messages flood while Destroy is called; no handler may start after
 * Destroy returned.
 * Both for dedicated delivery threads and the library's delivery pool.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

/* ---- Part 1: a running handler ---------------------------------------- */

typedef struct {
    atomic_int entered;
    atomic_int exited;
} slow_state;

static void slow_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    slow_state *st = closure;
    atomic_fetch_add(&st->entered, 1);
    test_sleep_ms(300);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&st->exited, 1);
}

static void running_handler(bool global, bool whole_connection)
{
    natsConnection *nc = test_connect_delivery(g_srv.url, global);
    natsSubscription *sub = NULL;
    /* Static: if Destroy returns early the handler still touches it. */
    static slow_state st;
    memset(&st, 0, sizeof(st));

    CHECK_OK(natsConnection_Subscribe(&sub, nc, "slow.one", slow_handler, &st));
    CHECK_OK(natsSubscription_AutoUnsubscribe(sub, 1));
    CHECK_OK(natsConnection_PublishString(nc, "slow.one", "x"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(atomic_load(&st.entered) == 1, 10000));

    if (whole_connection) {
        natsConnection_Destroy(nc);
        CHECK_MSG(atomic_load(&st.exited) == 1,
                  "natsConnection_Destroy returned while a handler was still running "
                  "(%s delivery)", global ? "pool" : "dedicated");
        natsSubscription_Destroy(sub);
    } else {
        natsSubscription_Destroy(sub);
        CHECK_MSG(atomic_load(&st.exited) == 1,
                  "natsSubscription_Destroy returned while its handler was still running "
                  "(%s delivery)", global ? "pool" : "dedicated");
        natsConnection_Destroy(nc);
    }
    CHECK(WAIT_FOR(atomic_load(&st.exited) == 1, 5000));
}

/* ---- Part 2: flood while destroying ------------------------------------ */

typedef struct {
    atomic_int calls;
    atomic_int late;
    atomic_int destroyed;
} late_state;

/* Kept for the whole run: a late handler must not touch dead memory. */
static late_state g_late_states[64];

static void late_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    late_state *st = closure;
    if (atomic_load(&st->destroyed))
        atomic_fetch_add(&st->late, 1);
    atomic_fetch_add(&st->calls, 1);
    natsMsg_Destroy(msg);
}

static void flood_destroy(bool global, bool whole_connection)
{
    test_flooder f;
    memset(&f, 0, sizeof(f));
    f.subject = "flood.x";
    CHECK_OK(natsConnection_ConnectTo(&f.nc, g_srv.url));
    pthread_t th;
    CHECK(pthread_create(&th, NULL, test_flood_main, &f) == 0);

    int rounds = test_under_valgrind() ? 8 : 60;
    int late = 0;
    natsConnection *nc = whole_connection ? NULL : test_connect_delivery(g_srv.url, global);
    for (int r = 0; r < rounds; r++) {
        late_state *st = &g_late_states[r % 64];
        memset(st, 0, sizeof(*st));
        if (whole_connection)
            nc = test_connect_delivery(g_srv.url, global);
        natsSubscription *sub = NULL;
        CHECK_OK(natsConnection_Subscribe(&sub, nc, "flood.x", late_handler, st));
        CHECK(WAIT_FOR(atomic_load(&st->calls) >= 20, 10000));
        if (whole_connection) {
            natsConnection_Destroy(nc);
            atomic_store(&st->destroyed, 1);
            nc = NULL;
            natsSubscription_Destroy(sub);
        } else {
            natsSubscription_Destroy(sub);
            atomic_store(&st->destroyed, 1);
        }
        test_sleep_ms(20);
        late += atomic_load(&st->late);
    }
    if (nc != NULL)
        natsConnection_Destroy(nc);
    atomic_store(&f.stop, 1);
    pthread_join(th, NULL);
    natsConnection_Destroy(f.nc);

    CHECK_MSG(late == 0, "%d handler calls started after %s returned (%s delivery, %d rounds)",
              late, whole_connection ? "natsConnection_Destroy" : "natsSubscription_Destroy",
              global ? "pool" : "dedicated", rounds);
}

int main(void)
{
    test_init("bug_handler_after_destroy");
    server_start(&g_srv, NULL);
    CHECK_OK(nats_SetMessageDeliveryPoolSize(2));

    for (int g = 0; g < 2; g++) {
        running_handler(g == 1, false);
        running_handler(g == 1, true);
    }
    for (int g = 0; g < 2; g++) {
        flood_destroy(g == 1, false);
        flood_destroy(g == 1, true);
    }

    server_stop(&g_srv);
    return test_done();
}
