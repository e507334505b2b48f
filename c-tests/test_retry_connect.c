/*
 * RetryOnFailedConnect: with a connected callback, Connect to a port with no
 * server returns NATS_NOT_YET_CONNECTED and a usable connection that connects
 * in the background once a server starts there (connected callback, not
 * reconnected; subscriptions and publishes made before that take effect);
 * without a callback, Connect itself retries (success when a server comes
 * up, NATS_NO_SERVER after MaxReconnect); giving up in the background closes
 * the connection. IPResolutionOrder: accepted and rejected values, IPv4-only
 * resolution of "localhost".
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    pthread_t main_thread;
    atomic_int connected;
    atomic_int disconnected;
    atomic_int reconnected;
    atomic_int closed;
    atomic_int on_main;
    natsConnection *_Atomic nc;
    atomic_int wrong_nc;
} retry_events;

static void note(retry_events *e, natsConnection *nc)
{
    if (pthread_equal(pthread_self(), e->main_thread))
        atomic_fetch_add(&e->on_main, 1);
    natsConnection *want = atomic_load(&e->nc);
    if (want != NULL && want != nc)
        atomic_fetch_add(&e->wrong_nc, 1);
}

static void on_connected(natsConnection *nc, void *closure)
{
    retry_events *e = closure;
    note(e, nc);
    atomic_fetch_add(&e->connected, 1);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    retry_events *e = closure;
    note(e, nc);
    atomic_fetch_add(&e->disconnected, 1);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    retry_events *e = closure;
    note(e, nc);
    atomic_fetch_add(&e->reconnected, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
    retry_events *e = closure;
    note(e, nc);
    atomic_fetch_add(&e->closed, 1);
}

typedef struct {
    atomic_int count;
    atomic_int early;   /* payload "early" seen */
} msg_count;

static void count_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    msg_count *c = closure;
    if (natsMsg_GetData(msg) != NULL && strcmp(natsMsg_GetData(msg), "early") == 0)
        atomic_fetch_add(&c->early, 1);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&c->count, 1);
}

static natsOptions *retry_opts(const char *url, retry_events *e, bool with_cb)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetTimeout(o, 2000));
    CHECK_OK(natsOptions_SetReconnectJitter(o, 0, 0));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsOptions_SetRetryOnFailedConnect(o, true, with_cb ? on_connected : NULL, e));
    return o;
}

/* A server that ran on a port and is gone: the port is free for a restart. */
static void server_start_down(test_server *s)
{
    server_start(s, NULL);
    server_kill(s);
}

/* ------------------------------------------------------------------------ */

static void check_background_connect(void)
{
    test_server srv;
    server_start_down(&srv);
    retry_events ev;
    memset(&ev, 0, sizeof(ev));
    ev.main_thread = pthread_self();

    natsOptions *o = retry_opts(srv.url, &ev, true);
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    natsConnection *nc = NULL;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NOT_YET_CONNECTED);
    CHECK_MSG(test_now_ms() - t0 < 5000, "Connect blocked for %lld ms",
              (long long)(test_now_ms() - t0));
    natsOptions_Destroy(o);
    CHECK(nc != NULL);
    atomic_store(&ev.nc, nc);

    CHECK(!natsConnection_IsClosed(nc));
    CHECK(natsConnection_IsReconnecting(nc));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_RECONNECTING);
    CHECK_EQ(atomic_load(&ev.connected), 0);

    /* Subscriptions and a publish before the connection exists. */
    msg_count cnt;
    memset(&cnt, 0, sizeof(cnt));
    natsSubscription *sub = NULL, *ssync = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "retry.subj", count_handler, &cnt));
    CHECK_OK(natsConnection_SubscribeSync(&ssync, nc, "retry.sync"));
    CHECK_OK(natsConnection_PublishString(nc, "retry.subj", "early"));
    /* A short flush cannot complete without a server. */
    CHECK_STATUS(natsConnection_FlushTimeout(nc, 100), NATS_TIMEOUT);

    test_sleep_ms(200);  /* a few failed attempts */
    CHECK_EQ(atomic_load(&ev.connected), 0);
    server_restart(&srv);
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.connected) == 1, 15000), "connected callback not called");
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    CHECK(!natsConnection_IsReconnecting(nc));
    char url[128];
    CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
    CHECK_STR(url, srv.url);

    /* The publish buffered before the connect reached the subscription that
     * was also created before it. */
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_MSG(WAIT_FOR(atomic_load(&cnt.early) == 1, 5000), "message published before the connect "
              "not delivered (%d messages)", atomic_load(&cnt.count));

    /* Publish and flush work as on any connection. */
    natsConnection *other = NULL;
    CHECK_OK(natsConnection_ConnectTo(&other, srv.url));
    for (int i = 0; i < 10; i++)
        CHECK_OK(natsConnection_PublishString(other, "retry.subj", "later"));
    CHECK_OK(natsConnection_PublishString(other, "retry.sync", "sync"));
    CHECK_OK(natsConnection_Flush(other));
    CHECK(WAIT_FOR(atomic_load(&cnt.count) == 11, 5000));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, ssync, 5000));
    CHECK_STR(natsMsg_GetData(m), "sync");
    natsMsg_Destroy(m);
    CHECK_OK(natsConnection_PublishString(nc, "retry.sync", "self"));
    CHECK_OK(natsConnection_Flush(nc));
    m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, ssync, 5000));
    CHECK_STR(natsMsg_GetData(m), "self");
    natsMsg_Destroy(m);

    /* The initial connect is not a reconnect. */
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&ev.connected), 1);
    CHECK_EQ(atomic_load(&ev.reconnected), 0);
    CHECK_EQ(atomic_load(&ev.disconnected), 0);
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    CHECK_EQ(atomic_load(&ev.wrong_nc), 0);

    /* A later outage is an ordinary reconnect. */
    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.disconnected) == 1, 10000));
    server_restart(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 15000));
    CHECK_EQ(atomic_load(&ev.connected), 1);

    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(ssync);
    natsConnection_Destroy(other);
    natsConnection_Destroy(nc);
    CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1, 5000));
    server_stop(&srv);
}

/* Background retries that run out close the connection. */
static void check_background_gives_up(void)
{
    int port = test_closed_port();
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
    retry_events ev;
    memset(&ev, 0, sizeof(ev));
    ev.main_thread = pthread_self();
    natsOptions *o = retry_opts(url, &ev, true);
    CHECK_OK(natsOptions_SetMaxReconnect(o, 3));
    CHECK_OK(natsOptions_SetReconnectWait(o, 20));
    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NOT_YET_CONNECTED);
    natsOptions_Destroy(o);
    CHECK(nc != NULL);
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.closed) == 1, 15000), "connection not closed after the "
              "retries ran out");
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(nc));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&ev.closed), 1);
    CHECK_EQ(atomic_load(&ev.connected), 0);
    CHECK_EQ(atomic_load(&ev.disconnected), 0);
    CHECK_EQ(atomic_load(&ev.reconnected), 0);
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "y"), NATS_CONNECTION_CLOSED);
    natsConnection_Destroy(nc);
}

/* Without a connected callback, Connect itself retries. Connect runs on a
 * helper thread; the server is started from the main thread (a server
 * started from a thread that ends would die with it). */
typedef struct {
    natsOptions *opts;
    natsConnection *nc;
    natsStatus status;
    int64_t took_ms;
    atomic_int done;
} connect_call;

static void *connect_thread(void *arg)
{
    connect_call *cc = arg;
    int64_t t0 = test_now_ms();
    cc->status = natsConnection_Connect(&cc->nc, cc->opts);
    cc->took_ms = test_now_ms() - t0;
    atomic_store(&cc->done, 1);
    return NULL;
}

static void check_synchronous_retry(void)
{
    /* Nothing ever listens: NATS_NO_SERVER after the retries. */
    int port = test_closed_port();
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
    retry_events ev;
    memset(&ev, 0, sizeof(ev));
    ev.main_thread = pthread_self();
    natsOptions *o = retry_opts(url, &ev, false);
    CHECK_OK(natsOptions_SetMaxReconnect(o, 3));
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    natsConnection *nc = NULL;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    int64_t el = test_now_ms() - t0;
    /* It did wait between attempts (3 waits of 50 ms), and gave up. */
    CHECK_MSG(el >= 100 && el < 10000, "Connect with 3 retries took %lld ms", (long long)el);
    CHECK(nc == NULL);
    natsOptions_Destroy(o);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&ev.closed) + atomic_load(&ev.connected) + atomic_load(&ev.disconnected), 0);

    /* A server shows up while Connect retries: Connect succeeds. */
    test_server srv;
    server_start_down(&srv);
    o = retry_opts(srv.url, &ev, false);
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    connect_call cc;
    memset(&cc, 0, sizeof(cc));
    cc.opts = o;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, connect_thread, &cc) == 0);
    test_sleep_ms(300);
    CHECK_EQ(atomic_load(&cc.done), 0);      /* still retrying */
    server_restart(&srv);
    CHECK(WAIT_FOR(atomic_load(&cc.done), 15000));
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_OK(cc.status);
    nc = cc.nc;
    CHECK(nc != NULL);
    CHECK_MSG(cc.took_ms >= 250, "Connect returned after %lld ms, before the server started",
              (long long)cc.took_ms);
    natsOptions_Destroy(o);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "sync.retry"));
    CHECK_OK(natsConnection_PublishString(nc, "sync.retry", "hi"));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);

    /* Retry off: the failure is immediate. */
    o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetRetryOnFailedConnect(o, false, NULL, NULL));
    nc = NULL;
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    CHECK(nc == NULL);
    natsOptions_Destroy(o);

    CHECK_STATUS(natsOptions_SetRetryOnFailedConnect(NULL, true, NULL, NULL), NATS_INVALID_ARG);
}

/* ------------------------------------------------------------------------ */
/* IP resolution order                                                      */
/* ------------------------------------------------------------------------ */

static void check_ip_resolution_order(void)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    const int good[] = {46, 64, 4, 6, 0};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK_OK(natsOptions_IPResolutionOrder(o, good[i]));
    const int bad[] = {1, 5, 44, 66, 45, 446, -4, 464, 7, 10, 40, 60, 100};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        natsStatus s = natsOptions_IPResolutionOrder(o, bad[i]);
        CHECK_MSG(s == NATS_INVALID_ARG, "IPResolutionOrder(%d) = %d", bad[i], (int)s);
    }
    CHECK_STATUS(natsOptions_IPResolutionOrder(NULL, 4), NATS_INVALID_ARG);
    natsOptions_Destroy(o);

    /* The server listens on 127.0.0.1 only. */
    test_server srv;
    server_start(&srv, NULL);
    char url[64];
    snprintf(url, sizeof(url), "nats://localhost:%d", srv.port);
    const int connecting[] = {4, 46, 64, 0};
    for (size_t i = 0; i < sizeof(connecting) / sizeof(connecting[0]); i++) {
        o = NULL;
        CHECK_OK(natsOptions_Create(&o));
        CHECK_OK(natsOptions_SetURL(o, url));
        CHECK_OK(natsOptions_IPResolutionOrder(o, connecting[i]));
        natsConnection *nc = NULL;
        natsStatus s = natsConnection_Connect(&nc, o);
        CHECK_MSG(s == NATS_OK, "connect to localhost with order %d: %d", connecting[i], (int)s);
        natsSubscription *sub = NULL;
        CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "ipo"));
        CHECK_OK(natsConnection_PublishString(nc, "ipo", "v4"));
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        CHECK_STR(natsMsg_GetData(m), "v4");
        natsMsg_Destroy(m);
        natsSubscription_Destroy(sub);
        natsConnection_Destroy(nc);
        natsOptions_Destroy(o);
    }

    /* IPv6 only: nothing listens on an IPv6 address. */
    o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetTimeout(o, 2000));
    CHECK_OK(natsOptions_IPResolutionOrder(o, 6));
    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    CHECK(nc == NULL);
    /* An IPv4 literal cannot be used with IPv6 only either. */
    char url4[64];
    snprintf(url4, sizeof(url4), "nats://127.0.0.1:%d", srv.port);
    CHECK_OK(natsOptions_SetURL(o, url4));
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    CHECK(nc == NULL);
    natsOptions_Destroy(o);
    server_stop(&srv);
}

int main(void)
{
    test_init("test_retry_connect");

    test_log("connect in the background");
    check_background_connect();
    test_log("background retries run out");
    check_background_gives_up();
    test_log("Connect retrying itself");
    check_synchronous_retry();
    test_log("IP resolution order");
    check_ip_resolution_order();

    return test_done();
}
