/*
 * nats.c's examples/connect.c, with no server at first:
 *   1. RetryOnFailedConnect without a connected callback: Connect blocks
 *      while it retries (MaxReconnect 5, ReconnectWait 100 ms), then fails;
 *   2. with a connected and a closed callback: Connect returns
 *      NATS_NOT_YET_CONNECTED at once; the closed callback (which reads
 *      natsConnection_GetLastError) runs when the retries are used up;
 *   3. the same without the closed callback: subscribe and publish while
 *      not yet connected, start the server: the connected callback runs, the
 *      message published before the connection existed arrives.
 * Also the plain connect variants: natsConnection_ConnectTo with a URL list,
 * and natsOptions_SetServers.
 */
#include "scenario.h"

#include <string.h>

static atomic_int g_connected;
static atomic_int g_closed;
static atomic_int g_count;
static char g_closed_err[256];

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    atomic_fetch_add(&g_count, 1);
    natsMsg_Destroy(msg);
}

static void connected_cb(natsConnection *nc, void *closure)
{
    (void)closure;
    char url[256];
    CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
    test_log("Connected to %s", url);
    atomic_fetch_add(&g_connected, 1);
}

static void closed_cb(natsConnection *nc, void *closure)
{
    (void)closure;
    const char *err = NULL;
    natsConnection_GetLastError(nc, &err);
    snprintf(g_closed_err, sizeof(g_closed_err), "%s", err ? err : "");
    test_log("Connect failed: %s", g_closed_err);
    atomic_fetch_add(&g_closed, 1);
}

int main(void)
{
    test_init("scenario_connect");

    /* A port for the server that is started late (step 3). */
    test_server srv;
    server_start(&srv, NULL);
    server_kill(&srv);

    natsOptions *opts = NULL;
    natsConnection *conn = NULL;
    natsSubscription *sub = NULL;
    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetURL(opts, srv.url));

    /* 1. Blocking connect with retries. */
    CHECK_OK(natsOptions_SetMaxReconnect(opts, 5));
    CHECK_OK(natsOptions_SetReconnectWait(opts, 100));
    CHECK_OK(natsOptions_SetRetryOnFailedConnect(opts, true, NULL, NULL));
    int64_t start = test_now_ms();
    natsStatus s = natsConnection_Connect(&conn, opts);
    int64_t elapsed = test_now_ms() - start;
    test_log("natsConnection_Connect call took %lld ms and returned: %s",
             (long long)elapsed, natsStatus_GetText(s));
    CHECK_STATUS(s, NATS_NO_SERVER);
    CHECK(conn == NULL);
    CHECK_MSG(elapsed >= 300, "Connect returned after %lld ms", (long long)elapsed);
    natsConnection_Destroy(conn);
    conn = NULL;

    /* 2. Asynchronous connect that fails: closed callback. */
    CHECK_OK(natsOptions_SetMaxReconnect(opts, 3));
    CHECK_OK(natsOptions_SetRetryOnFailedConnect(opts, true, connected_cb, NULL));
    CHECK_OK(natsOptions_SetClosedCB(opts, closed_cb, NULL));
    s = natsConnection_Connect(&conn, opts);
    test_log("natsConnection_Connect call returned: %s", natsStatus_GetText(s));
    CHECK_STATUS(s, NATS_NOT_YET_CONNECTED);
    CHECK(conn != NULL);
    CHECK(WAIT_FOR(atomic_load(&g_closed) == 1, 10000));
    CHECK(g_closed_err[0] != '\0');
    CHECK_EQ(atomic_load(&g_connected), 0);
    CHECK(natsConnection_IsClosed(conn));
    natsConnection_Destroy(conn);
    conn = NULL;

    /* 3. Asynchronous connect, then the server starts. */
    CHECK_OK(natsOptions_SetMaxReconnect(opts, 100));
    CHECK_OK(natsOptions_SetReconnectWait(opts, 100));
    CHECK_OK(natsOptions_SetClosedCB(opts, NULL, NULL));
    s = natsConnection_Connect(&conn, opts);
    test_log("Connect returned: %s", natsStatus_GetText(s));
    CHECK_STATUS(s, NATS_NOT_YET_CONNECTED);
    CHECK_OK(natsConnection_Subscribe(&sub, conn, "foo", on_msg, NULL));
    CHECK_OK(natsConnection_Publish(conn, "foo", "hello", 5));
    CHECK_EQ(natsConnection_Status(conn), NATS_CONN_STATUS_RECONNECTING);
    server_restart(&srv);
    CHECK(WAIT_FOR(atomic_load(&g_count) == 1, 10000));
    /* The connected callback runs on the callback thread, the message handler on its
       own: either may come first. */
    CHECK(WAIT_FOR(atomic_load(&g_connected) == 1, 10000));
    CHECK_EQ(natsConnection_Status(conn), NATS_CONN_STATUS_CONNECTED);
    test_log("Received %d message", atomic_load(&g_count));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(conn);
    conn = NULL;
    natsOptions_Destroy(opts);
    opts = NULL;

    /* Plain variants: a URL list with a dead server first, and SetServers. */
    char urls[256];
    snprintf(urls, sizeof(urls), "nats://127.0.0.1:%d, %s", test_closed_port(), srv.url);
    CHECK_OK(natsConnection_ConnectTo(&conn, urls));
    CHECK_OK(natsConnection_PublishString(conn, "foo", "again"));
    CHECK_OK(natsConnection_Flush(conn));
    natsConnection_Destroy(conn);
    conn = NULL;

    const char *servers[] = { srv.url };
    CHECK_OK(natsOptions_Create(&opts));
    CHECK_OK(natsOptions_SetServers(opts, servers, 1));
    CHECK_OK(natsOptions_SetNoRandomize(opts, true));
    CHECK_OK(natsConnection_Connect(&conn, opts));
    char url[128];
    CHECK_OK(natsConnection_GetConnectedUrl(conn, url, sizeof(url)));
    CHECK_STR(url, srv.url);
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);

    server_stop(&srv);
    nats_Close();
    return test_done();
}
