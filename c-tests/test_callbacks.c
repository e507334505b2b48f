/*
 * Connection callbacks: disconnected and closed (reconnect disabled) when
 * the server dies or the connection is closed, their order, arguments and
 * thread; the error handler on a slow consumer; the discovered-servers
 * callback; nothing for a connection that never connected.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    atomic_int disconnected;
    atomic_int closed;
    atomic_int discovered;
    atomic_int errors;
    atomic_int order_bad;            /* closed seen before disconnected */
    atomic_int wrong_nc;
    atomic_int on_caller_thread;
    atomic_int last_err;             /* natsStatus */
    _Atomic(natsSubscription *) err_sub;
    natsConnection *_Atomic nc;      /* expected connection */
    pthread_t caller;
} events;

static void on_disconnected(natsConnection *nc, void *closure)
{
    events *e = closure;
    natsConnection *want = atomic_load(&e->nc);
    if (want != NULL && nc != want)
        atomic_fetch_add(&e->wrong_nc, 1);
    if (pthread_equal(pthread_self(), e->caller))
        atomic_fetch_add(&e->on_caller_thread, 1);
    atomic_fetch_add(&e->disconnected, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
    events *e = closure;
    natsConnection *want = atomic_load(&e->nc);
    if (want != NULL && nc != want)
        atomic_fetch_add(&e->wrong_nc, 1);
    if (pthread_equal(pthread_self(), e->caller))
        atomic_fetch_add(&e->on_caller_thread, 1);
    if (atomic_load(&e->disconnected) == 0)
        atomic_fetch_add(&e->order_bad, 1);
    atomic_fetch_add(&e->closed, 1);
}

static void on_discovered(natsConnection *nc, void *closure)
{
    events *e = closure;
    natsConnection *want = atomic_load(&e->nc);
    if (want != NULL && nc != want)
        atomic_fetch_add(&e->wrong_nc, 1);
    atomic_fetch_add(&e->discovered, 1);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
                     void *closure)
{
    events *e = closure;
    natsConnection *want = atomic_load(&e->nc);
    if (want != NULL && nc != want)
        atomic_fetch_add(&e->wrong_nc, 1);
    if (pthread_equal(pthread_self(), e->caller))
        atomic_fetch_add(&e->on_caller_thread, 1);
    atomic_store(&e->err_sub, sub);
    atomic_store(&e->last_err, (int)err);
    atomic_fetch_add(&e->errors, 1);
}

static natsOptions *make_opts(const char *url, events *e)
{
    natsOptions *o = NULL;
    memset(e, 0, sizeof(*e));
    e->caller = pthread_self();
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_error, e));
    CHECK_OK(natsOptions_SetDiscoveredServersCB(o, on_discovered, e));
    return o;
}

static void expect_clean(events *e)
{
    CHECK_EQ(atomic_load(&e->order_bad), 0);
    CHECK_EQ(atomic_load(&e->wrong_nc), 0);
    CHECK_EQ(atomic_load(&e->on_caller_thread), 0);
}

/* The server dies: disconnected, then closed, once each. */
static void check_server_killed(void)
{
    test_server srv;
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = NULL;

    server_start(&srv, NULL);
    natsOptions *o = make_opts(srv.url, &e);
    CHECK_OK(natsConnection_Connect(&nc, o));
    atomic_store(&e.nc, nc);
    CHECK_OK(natsConnection_Flush(nc));

    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&e.closed) == 1, 10000));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e.disconnected), 1);
    CHECK_EQ(atomic_load(&e.closed), 1);
    expect_clean(&e);
    CHECK(natsConnection_IsClosed(nc));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "y"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_Flush(nc), NATS_CONNECTION_CLOSED);

    /* Closing an already closed connection fires nothing more. */
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e.disconnected), 1);
    CHECK_EQ(atomic_load(&e.closed), 1);

    /* A server back on the same port is usable by a new connection. */
    server_restart(&srv);
    static events e2;
    natsOptions_Destroy(o);
    o = make_opts(srv.url, &e2);
    nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    atomic_store(&e2.nc, nc);
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Close(nc);
    CHECK(WAIT_FOR(atomic_load(&e2.closed) == 1, 5000));
    expect_clean(&e2);
    natsConnection_Destroy(nc);

    natsOptions_Destroy(o);
    server_stop(&srv);
}

/* An explicit Close fires both callbacks once; Destroy after that adds
 * nothing. */
static void check_explicit_close(test_server *srv)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = NULL;
    natsOptions *o = make_opts(srv->url, &e);

    CHECK_OK(natsConnection_Connect(&nc, o));
    atomic_store(&e.nc, nc);
    natsConnection_Close(nc);
    CHECK(WAIT_FOR(atomic_load(&e.closed) == 1, 5000));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e.disconnected), 1);
    CHECK_EQ(atomic_load(&e.closed), 1);
    expect_clean(&e);
    natsConnection_Destroy(nc);
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e.closed), 1);
    CHECK_EQ(atomic_load(&e.errors), 0);
    natsOptions_Destroy(o);
}

/* A connection that never connected calls nothing. */
static void check_failed_connect(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    char url[64];
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", test_closed_port());
    natsOptions *o = make_opts(url, &e);
    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    test_sleep_ms(200);
    CHECK_EQ(atomic_load(&e.disconnected), 0);
    CHECK_EQ(atomic_load(&e.closed), 0);
    CHECK_EQ(atomic_load(&e.errors), 0);
    natsOptions_Destroy(o);
}

/* The error handler reports a slow consumer with its subscription. */
static void check_error_handler(test_server *srv)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsOptions *o = make_opts(srv->url, &e);

    CHECK_OK(natsConnection_Connect(&nc, o));
    atomic_store(&e.nc, nc);
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "slow.cb"));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 2, 1024 * 1024));
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < 10; i++)
        CHECK_OK(natsConnection_PublishString(nc, "slow.cb", "m"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK(WAIT_FOR(atomic_load(&e.errors) >= 1, 5000));
    CHECK_EQ(atomic_load(&e.last_err), NATS_SLOW_CONSUMER);
    CHECK(atomic_load(&e.err_sub) == sub);
    expect_clean(&e);
    /* The connection is unaffected. */
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    CHECK_EQ(atomic_load(&e.closed), 0);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

static const char *INFO_WITH_URLS =
    "INFO {\"server_id\":\"FAKE\",\"version\":\"2.10.0\",\"proto\":1,"
    "\"headers\":true,\"max_payload\":1048576,"
    "\"connect_urls\":[\"127.0.0.1:4991\",\"127.0.0.1:4992\"]}\r\n";

/* New servers in an async INFO fire the discovered callback once; the same
 * list again fires nothing; ignoring discovered servers fires nothing. */
static void check_discovered(void)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_NORMAL };
    fake_start(&f, &cfg);

    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = NULL;
    natsOptions *o = make_opts(f.url, &e);
    CHECK_OK(natsConnection_Connect(&nc, o));
    atomic_store(&e.nc, nc);
    CHECK(fake_send_str(&f, INFO_WITH_URLS));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(atomic_load(&e.discovered) == 1, 5000));
    CHECK(fake_send_str(&f, INFO_WITH_URLS));
    CHECK_OK(natsConnection_Flush(nc));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e.discovered), 1);
    expect_clean(&e);
    natsConnection_Destroy(nc);
    nc = NULL;
    natsOptions_Destroy(o);

    /* A second connection, with its own event record. */
    static events e2;
    o = make_opts(f.url, &e2);
    CHECK_OK(natsOptions_SetIgnoreDiscoveredServers(o, true));
    CHECK_OK(natsConnection_Connect(&nc, o));
    atomic_store(&e2.nc, nc);
    CHECK(WAIT_FOR(atomic_load(&f.connections) == 2 && atomic_load(&f.handshake_done), 5000));
    CHECK(fake_send_str(&f, INFO_WITH_URLS));
    CHECK_OK(natsConnection_Flush(nc));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e2.discovered), 0);
    expect_clean(&e2);
    char **list = NULL;
    int count = -1;
    CHECK_OK(natsConnection_GetDiscoveredServers(nc, &list, &count));
    CHECK_EQ(count, 0);
    free(list);
    natsConnection_Destroy(nc);

    natsOptions_Destroy(o);
    fake_stop(&f);
}

/* Callbacks can call back into the library for their connection. */
typedef struct {
    atomic_int closed;
    atomic_int status_in_cb;
    atomic_int publish_in_cb;
} reentrant_state;

static void reentrant_closed(natsConnection *nc, void *closure)
{
    reentrant_state *st = closure;
    atomic_store(&st->status_in_cb, (int)natsConnection_Status(nc));
    atomic_store(&st->publish_in_cb, (int)natsConnection_PublishString(nc, "x", "y"));
    atomic_fetch_add(&st->closed, 1);
}

static void check_reentrant(test_server *srv)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static reentrant_state st;
    memset(&st, 0, sizeof(st));
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv->url));
    CHECK_OK(natsOptions_SetClosedCB(o, reentrant_closed, &st));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsConnection_Close(nc);
    CHECK(WAIT_FOR(atomic_load(&st.closed) == 1, 5000));
    CHECK_EQ(atomic_load(&st.status_in_cb), NATS_CONN_STATUS_CLOSED);
    CHECK_EQ(atomic_load(&st.publish_in_cb), NATS_CONNECTION_CLOSED);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

int main(void)
{
    test_server srv;

    test_init("test_callbacks");
    server_start(&srv, NULL);

    check_server_killed();
    check_explicit_close(&srv);
    check_failed_connect();
    check_error_handler(&srv);
    check_discovered();
    check_reentrant(&srv);

    server_stop(&srv);
    return test_done();
}
