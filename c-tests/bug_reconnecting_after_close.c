/*
 * nats.c 3.4.1 defect pinned here: natsConnection_IsReconnecting stays true
 * after the connection is closed, when the close happened while it was
 * reconnecting.
 *
 * nats.c answers IsReconnecting from the presence of its reconnect buffer,
 * which is not released when the reconnect gives up (MaxReconnect
 * exhausted) or when the application closes the connection meanwhile. So a
 * connection whose Status is NATS_CONN_STATUS_CLOSED (and IsClosed true)
 * also claims to be reconnecting, which it will never do again. Once
 * closed, IsReconnecting must be false.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static atomic_int g_closed;
static atomic_int g_disconnected;

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    atomic_fetch_add(&g_closed, 1);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    atomic_fetch_add(&g_disconnected, 1);
}

static natsConnection *connect_to(const char *url, int max_reconnect, int64_t wait_ms)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetMaxReconnect(o, max_reconnect));
    CHECK_OK(natsOptions_SetReconnectWait(o, wait_ms));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, NULL));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, NULL));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

int main(void)
{
    test_init("bug_reconnecting_after_close");
    test_server srv;
    server_start(&srv, NULL);

    /* The reconnect gives up. */
    natsConnection *nc = connect_to(srv.url, 2, 10);
    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&g_closed) == 1, 15000));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(nc));
    CHECK_MSG(!natsConnection_IsReconnecting(nc),
              "closed connection (reconnect gave up) reports IsReconnecting");
    natsConnection_Destroy(nc);

    /* The application closes it while it reconnects. */
    server_restart(&srv);
    atomic_store(&g_closed, 0);
    atomic_store(&g_disconnected, 0);
    nc = connect_to(srv.url, -1, 60000);
    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&g_disconnected) == 1, 15000));
    CHECK(natsConnection_IsReconnecting(nc));
    natsConnection_Close(nc);
    CHECK(WAIT_FOR(atomic_load(&g_closed) == 1, 15000));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK_MSG(!natsConnection_IsReconnecting(nc),
              "connection closed while reconnecting reports IsReconnecting");
    natsConnection_Destroy(nc);

    server_stop(&srv);
    return test_done();
}
