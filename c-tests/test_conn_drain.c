/*
 * Connection drain: natsConnection_Drain returns at once while a slow
 * handler still has messages queued; IsDraining and Status during the
 * drain; new subscriptions refused with NATS_DRAINING; every pending
 * message handled (async and sync subscriptions), publishes made during the
 * drain delivered; then the closed callback once and Status CLOSED.
 * DrainTimeout shorter than the work left: the error handler gets
 * NATS_TIMEOUT and the connection closes anyway. Drain with nothing to
 * drain, on a closed connection, while reconnecting, twice, and NULL.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    pthread_t main_thread;
    atomic_int closed;
    atomic_int disconnected;
    atomic_int errors;
    atomic_int timeouts;       /* error handler calls with NATS_TIMEOUT */
    atomic_int other_errors;   /* ... with anything else */
    atomic_int on_main;
    atomic_int handled_at_close;
    atomic_int *handled;       /* counter to sample when closed */
    atomic_llong closed_at;
} drain_events;

static void ev_init(drain_events *e)
{
    memset(e, 0, sizeof(*e));
    e->main_thread = pthread_self();
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    drain_events *e = closure;
    if (pthread_equal(pthread_self(), e->main_thread))
        atomic_fetch_add(&e->on_main, 1);
    if (e->handled != NULL)
        atomic_store(&e->handled_at_close, atomic_load(e->handled));
    atomic_store(&e->closed_at, test_now_ms());
    atomic_fetch_add(&e->closed, 1);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    drain_events *e = closure;
    atomic_fetch_add(&e->disconnected, 1);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    drain_events *e = closure;
    if (pthread_equal(pthread_self(), e->main_thread))
        atomic_fetch_add(&e->on_main, 1);
    if (err == NATS_TIMEOUT)
        atomic_fetch_add(&e->timeouts, 1);
    else
        atomic_fetch_add(&e->other_errors, 1);
    atomic_fetch_add(&e->errors, 1);
}

static natsConnection *connect_events(const char *url, drain_events *e)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_error, e));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

static natsConnection *connect_plain(const char *url)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    return nc;
}

/* A handler that can be held shut, then runs slowly. */
typedef struct {
    atomic_int handled;
    atomic_int in_handler;
    atomic_int open;          /* 0: the handler waits */
    atomic_int out_of_order;
    atomic_int last;
    int sleep_ms;
} slow_handler_state;

static void slow_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    slow_handler_state *h = closure;
    atomic_store(&h->in_handler, 1);
    int64_t deadline = test_now_ms() + 40000;
    while (!atomic_load(&h->open) && test_now_ms() < deadline)
        test_sleep_ms(1);
    if (h->sleep_ms > 0)
        test_sleep_ms(h->sleep_ms);
    int v = atoi(natsMsg_GetData(msg));
    if (v != atomic_load(&h->last) + 1)
        atomic_fetch_add(&h->out_of_order, 1);
    atomic_store(&h->last, v);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&h->handled, 1);
    atomic_store(&h->in_handler, 0);
}

static void publish_numbered(natsConnection *nc, const char *subj, int n)
{
    char buf[16];
    for (int i = 1; i <= n; i++) {
        snprintf(buf, sizeof(buf), "%d", i);
        CHECK_OK(natsConnection_PublishString(nc, subj, buf));
    }
    CHECK_OK(natsConnection_Flush(nc));
}

static int pending_of(natsSubscription *sub)
{
    int msgs = -1;
    if (natsSubscription_GetPending(sub, &msgs, NULL) != NATS_OK)
        return -1;
    return msgs;
}

/* ------------------------------------------------------------------------ */

static void check_drain_completes(test_server *srv)
{
    const int n = test_under_valgrind() ? 40 : 100;
    drain_events ev;
    ev_init(&ev);
    natsConnection *nc = connect_events(srv->url, &ev);
    natsConnection *pub = connect_plain(srv->url);
    natsConnection *watcher = connect_plain(srv->url);

    slow_handler_state h;
    memset(&h, 0, sizeof(h));
    h.sleep_ms = 2;
    ev.handled = &h.handled;
    natsSubscription *sub = NULL, *ssync = NULL, *wsub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "cd.async", slow_handler, &h));
    CHECK_OK(natsConnection_SubscribeSync(&ssync, nc, "cd.sync"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsConnection_SubscribeSync(&wsub, watcher, "cd.out"));
    CHECK_OK(natsConnection_Flush(watcher));

    publish_numbered(pub, "cd.async", n);
    publish_numbered(pub, "cd.sync", 5);
    /* All in the client: one held in the handler, the rest queued. */
    CHECK(WAIT_FOR(atomic_load(&h.in_handler) == 1, 10000));
    CHECK(WAIT_FOR(pending_of(sub) == n - 1, 10000));
    CHECK(WAIT_FOR(pending_of(ssync) == 5, 10000));
    CHECK(!natsConnection_IsDraining(nc));

    int64_t t0 = test_now_ms();
    CHECK_OK(natsConnection_Drain(nc));
    int64_t took = test_now_ms() - t0;
    CHECK_MSG(took < 2000, "Drain blocked for %lld ms", (long long)took);
    CHECK_EQ(atomic_load(&h.handled), 0);

    /* Draining: the handler is still held, so the drain cannot be over. */
    CHECK(natsConnection_IsDraining(nc));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_DRAINING_SUBS);
    CHECK(!natsConnection_IsClosed(nc));
    natsSubscription *late = NULL;
    CHECK_STATUS(natsConnection_SubscribeSync(&late, nc, "cd.late"), NATS_DRAINING);
    CHECK(late == NULL);
    CHECK_STATUS(natsConnection_Subscribe(&late, nc, "cd.late", slow_handler, &h), NATS_DRAINING);
    CHECK_STATUS(natsConnection_QueueSubscribe(&late, nc, "cd.late", "q", slow_handler, &h),
                 NATS_DRAINING);
    /* Draining again is accepted and changes nothing. */
    CHECK_OK(natsConnection_Drain(nc));
    /* Publishing is still possible while subscriptions drain. */
    for (int i = 0; i < 5; i++)
        CHECK_OK(natsConnection_PublishString(nc, "cd.out", "during"));

    /* The synchronous subscription's pending messages can still be read;
     * keep the last one for now. */
    for (int i = 1; i <= 4; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, ssync, 5000));
        char want[16];
        snprintf(want, sizeof(want), "%d", i);
        CHECK_STR(natsMsg_GetData(m), want);
        natsMsg_Destroy(m);
    }
    CHECK_EQ(atomic_load(&ev.closed), 0);

    /* The async subscription drains and goes away... */
    atomic_store(&h.open, 1);
    CHECK_MSG(WAIT_FOR(!natsSubscription_IsValid(sub), 30000),
              "async subscription still valid (handled %d of %d)", atomic_load(&h.handled), n);
    CHECK_EQ(atomic_load(&h.handled), n);
    CHECK_EQ(atomic_load(&h.out_of_order), 0);
    /* ...the connection waits for the sync subscription's last message. */
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&ev.closed), 0);
    CHECK(natsConnection_IsDraining(nc));
    natsMsg *last = NULL;
    CHECK_OK(natsSubscription_NextMsg(&last, ssync, 5000));
    CHECK_STR(natsMsg_GetData(last), "5");
    natsMsg_Destroy(last);

    CHECK_MSG(WAIT_FOR(atomic_load(&ev.closed) == 1, 30000),
              "connection not closed after the drain");
    CHECK_EQ(atomic_load(&ev.handled_at_close), n);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(nc));
    CHECK(!natsConnection_IsDraining(nc));
    CHECK_EQ(atomic_load(&ev.errors), 0);
    CHECK_EQ(atomic_load(&ev.on_main), 0);

    /* What was published during the drain was delivered. */
    for (int i = 0; i < 5; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, wsub, 5000));
        CHECK_STR(natsMsg_GetData(m), "during");
        natsMsg_Destroy(m);
    }

    /* Closed: drain again, publish, subscribe. */
    CHECK_STATUS(natsConnection_Drain(nc), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_DrainTimeout(nc, 1000), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishString(nc, "cd.out", "x"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_SubscribeSync(&late, nc, "cd.late"), NATS_CONNECTION_CLOSED);
    CHECK(!natsSubscription_IsValid(sub));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&ev.closed), 1);
    CHECK_EQ(atomic_load(&h.handled), n);

    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(ssync);
    natsSubscription_Destroy(wsub);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(watcher);
}

/* The handler is slower than the drain timeout allows. */
static void check_drain_timeout(test_server *srv)
{
    const int n = 20;
    drain_events ev;
    ev_init(&ev);
    natsConnection *nc = connect_events(srv->url, &ev);
    natsConnection *pub = connect_plain(srv->url);
    slow_handler_state h;
    memset(&h, 0, sizeof(h));
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "cd.slow", slow_handler, &h));
    CHECK_OK(natsConnection_Flush(nc));
    publish_numbered(pub, "cd.slow", n);
    CHECK(WAIT_FOR(atomic_load(&h.in_handler) == 1, 10000));
    CHECK(WAIT_FOR(pending_of(sub) == n - 1, 10000));

    int64_t t0 = test_now_ms();
    CHECK_OK(natsConnection_DrainTimeout(nc, 300));
    CHECK(natsConnection_IsDraining(nc));
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.closed) == 1, 15000), "connection not closed after the "
              "drain timeout");
    int64_t took = atomic_load(&ev.closed_at) - t0;
    CHECK_MSG(took >= 250 && took < 10000, "closed %lld ms after DrainTimeout(300)", (long long)took);
    CHECK_MSG(atomic_load(&ev.timeouts) >= 1, "error handler not told about the timeout "
              "(%d errors)", atomic_load(&ev.errors));
    CHECK_EQ(atomic_load(&ev.other_errors), 0);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(!natsConnection_IsDraining(nc));
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    /* The held handler never finished a message. */
    CHECK_EQ(atomic_load(&h.handled), 0);
    atomic_store(&h.open, 1);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(pub);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&ev.closed), 1);
}

static void check_drain_edges(test_server *srv)
{
    CHECK_STATUS(natsConnection_Drain(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_DrainTimeout(NULL, 100), NATS_INVALID_ARG);
    CHECK(!natsConnection_IsDraining(NULL));

    /* Nothing to drain: closes promptly. */
    drain_events ev;
    ev_init(&ev);
    natsConnection *nc = connect_events(srv->url, &ev);
    CHECK_OK(natsConnection_Drain(nc));
    CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1, 10000));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK_EQ(atomic_load(&ev.errors), 0);
    natsConnection_Destroy(nc);

    /* Closed by Close: drain refused. */
    drain_events ev2;
    ev_init(&ev2);
    nc = connect_events(srv->url, &ev2);
    natsConnection_Close(nc);
    CHECK_STATUS(natsConnection_Drain(nc), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_DrainTimeout(nc, 100), NATS_CONNECTION_CLOSED);
    CHECK(!natsConnection_IsDraining(nc));
    CHECK(WAIT_FOR(atomic_load(&ev2.closed) == 1, 5000));
    natsConnection_Destroy(nc);

    /* A subscription drained on its own is refused once the connection
     * drains. */
    drain_events ev3;
    ev_init(&ev3);
    nc = connect_events(srv->url, &ev3);
    slow_handler_state h;
    memset(&h, 0, sizeof(h));
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "cd.edge", slow_handler, &h));
    natsConnection *pub = connect_plain(srv->url);
    CHECK_OK(natsConnection_Flush(nc));
    publish_numbered(pub, "cd.edge", 3);
    CHECK(WAIT_FOR(atomic_load(&h.in_handler) == 1, 10000));
    CHECK_OK(natsConnection_DrainTimeout(nc, 20000));
    CHECK_STATUS(natsSubscription_Drain(sub), NATS_DRAINING);
    atomic_store(&h.open, 1);
    CHECK(WAIT_FOR(atomic_load(&ev3.closed) == 1, 15000));
    CHECK_EQ(atomic_load(&h.handled), 3);
    CHECK_EQ(atomic_load(&ev3.errors), 0);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(pub);
}

/* While reconnecting a drain is illegal; once reconnected it works. */
static int64_t hold_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    (void)attempts;
    atomic_int *release = closure;
    int64_t deadline = test_now_ms() + 30000;
    while (!atomic_load(release) && test_now_ms() < deadline)
        test_sleep_ms(1);
    return 1;
}

typedef struct {
    atomic_int reconnected;
} rec_state;

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    rec_state *r = closure;
    atomic_fetch_add(&r->reconnected, 1);
}

static void check_drain_while_reconnecting(void)
{
    test_server srv;
    server_start(&srv, NULL);
    drain_events ev;
    ev_init(&ev);
    atomic_int release = 0;
    rec_state rs;
    memset(&rs, 0, sizeof(rs));
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv.url));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, &ev));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, &ev));
    CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, &rs));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, hold_delay, &release));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    slow_handler_state h;
    memset(&h, 0, sizeof(h));
    atomic_store(&h.open, 1);
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "cd.rec", slow_handler, &h));
    CHECK_OK(natsConnection_Flush(nc));

    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.disconnected) == 1, 10000));
    CHECK(natsConnection_IsReconnecting(nc));
    CHECK_STATUS(natsConnection_Drain(nc), NATS_ILLEGAL_STATE);
    CHECK(!natsConnection_IsDraining(nc));
    CHECK(!natsConnection_IsClosed(nc));

    server_restart(&srv);
    atomic_store(&release, 1);
    CHECK(WAIT_FOR(atomic_load(&rs.reconnected) == 1, 15000));
    CHECK_OK(natsConnection_Flush(nc));
    /* The subscription is back: a message reaches it, then the drain. */
    natsConnection *pub = connect_plain(srv.url);
    publish_numbered(pub, "cd.rec", 1);
    CHECK(WAIT_FOR(atomic_load(&h.handled) == 1, 5000));
    natsConnection_Destroy(pub);
    CHECK_OK(natsConnection_Drain(nc));
    CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1, 15000));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

int main(void)
{
    test_init("test_conn_drain");
    test_server srv;
    server_start(&srv, NULL);

    test_log("drain with a slow handler");
    check_drain_completes(&srv);
    test_log("drain timeout");
    check_drain_timeout(&srv);
    test_log("edge cases");
    check_drain_edges(&srv);
    test_log("drain while reconnecting");
    check_drain_while_reconnecting();

    server_stop(&srv);
    return test_done();
}
