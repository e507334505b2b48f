/*
 * nats.c 3.4.1 defect pinned here: connection callbacks run after
 * natsConnection_Destroy has returned.
 *
 * nats.c posts the disconnected and closed callbacks to a library thread
 * and natsConnection_Destroy returns without waiting for them. Code that
 * frees the callbacks' closure right after Destroy (the normal thing to
 * do) then has it used after free. Once Destroy returns, no callback for
 * that connection may start.
 *
 * A slow disconnected callback makes the window wide; a second part
 * repeats plain connect/destroy cycles.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

static atomic_int g_destroyed;     /* set right after Destroy returns */
static atomic_int g_late;          /* callbacks that started after that */
static atomic_int g_calls;

static void slow_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    if (atomic_load(&g_destroyed))
        atomic_fetch_add(&g_late, 1);
    atomic_fetch_add(&g_calls, 1);
    test_sleep_ms(50);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    if (atomic_load(&g_destroyed))
        atomic_fetch_add(&g_late, 1);
    atomic_fetch_add(&g_calls, 1);
}

int main(void)
{
    test_server srv;
    natsOptions *o = NULL;

    test_init("bug_callback_after_destroy");
    server_start(&srv, NULL);

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv.url));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, slow_disconnected, NULL));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, NULL));

    for (int i = 0; i < 5; i++) {
        natsConnection *nc = NULL;
        atomic_store(&g_destroyed, 0);
        CHECK_OK(natsConnection_Connect(&nc, o));
        natsConnection_Destroy(nc);
        atomic_store(&g_destroyed, 1);
        /* Give any deferred callback time to show up. */
        test_sleep_ms(150);
    }

    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_closed, NULL));
    for (int i = 0; i < 200; i++) {
        natsConnection *nc = NULL;
        atomic_store(&g_destroyed, 0);
        CHECK_OK(natsConnection_Connect(&nc, o));
        natsConnection_Destroy(nc);
        atomic_store(&g_destroyed, 1);
    }
    test_sleep_ms(300);

    test_log("%d callbacks, %d of them after Destroy returned", atomic_load(&g_calls),
             atomic_load(&g_late));
    CHECK_EQ(atomic_load(&g_late), 0);

    natsOptions_Destroy(o);
    server_stop(&srv);
    return test_done();
}
