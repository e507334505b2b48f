/*
 * Shared by the event loop tests (test_evloop_*.c, bug_evloop_*.c): a connection driven
 * by an application's event loop through one of the adapters, with the adapter's
 * callbacks wrapped to count the calls and to check the socket they are given.
 *
 * The including file defines, before including this header:
 *   EVL_ATTACH, EVL_READ, EVL_WRITE, EVL_DETACH   the adapter's callbacks
 *   static void *evl_loop_new(void);              a new loop
 *   static void evl_loop_prepare(void *loop);     on the loop thread, before connecting
 *   static void evl_loop_run(void *loop);         runs it until it has nothing left to do
 *   static void evl_loop_free(void *loop);
 *   static void evl_loop_nudge(void *loop);       from another thread: make a loop that
 *                                                 has nothing left to do notice it
 *
 * The loop runs on its own thread, which also connects (the libuv adapter wants the first
 * attach on the loop's thread); the test drives the connection from the main thread.
 */
#ifndef RNATS_C_TESTS_EVLOOP_COMMON_H
#define RNATS_C_TESTS_EVLOOP_COMMON_H

#include "harness.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct evl {
    void *loop;
    pthread_t thread;
    pthread_t loop_thread;
    natsOptions *opts;
    natsConnection *nc;
    natsStatus connect_status;
    atomic_int connect_done;
    atomic_int stopped;

    atomic_int attaches;
    atomic_int reads_on, reads_off, writes_on, writes_off;
    atomic_int detaches;
    atomic_int after_detach;     /* adapter calls made after detach */
    atomic_int fd_violations;    /* a socket closed (or replaced) while still attached */
    int cur_fd;                  /* attached socket and its local port */
    int cur_port;

    atomic_int disconnected, reconnected, closed;
    atomic_int handler_calls;
    atomic_int handler_on_loop;  /* message handlers or callbacks run on the loop thread */
} evl;

/* The one connection under test (the callbacks only get the adapter's loop pointer). */
static evl *g_evl;

/* The loop must end by itself once the connection detached. Off, a loop still running
 * 3 s after the detach is nudged (nats.c's libevent adapter leaves it asleep: pinned by
 * bug_evloop_libevent). */
static bool g_evl_strict_stop = false;

/* The local port of socket fd, or -1 when fd is not an open socket. */
static int evl_sock_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* The socket attached last is still the same open socket. */
static void evl_check_cur_socket(evl *e, const char *when)
{
    if (e->cur_fd >= 0 && evl_sock_port(e->cur_fd) != e->cur_port) {
        fprintf(stderr, "[%s] socket %d (local port %d) was closed or replaced %s\n",
                test_name(), e->cur_fd, e->cur_port, when);
        atomic_fetch_add(&e->fd_violations, 1);
    }
}

static natsStatus evl_attach(void **userData, void *loop, natsConnection *nc, natsSock socket)
{
    evl *e = g_evl;
    if (atomic_load(&e->detaches) > 0)
        atomic_fetch_add(&e->after_detach, 1);
    evl_check_cur_socket(e, "before the new socket was attached");
    natsStatus s = EVL_ATTACH(userData, loop, nc, socket);
    if (s == NATS_OK) {
        e->cur_fd = socket;
        e->cur_port = evl_sock_port(socket);
        atomic_fetch_add(&e->attaches, 1);
    }
    return s;
}

static natsStatus evl_read(void *userData, bool add)
{
    evl *e = g_evl;
    if (atomic_load(&e->detaches) > 0)
        atomic_fetch_add(&e->after_detach, 1);
    atomic_fetch_add(add ? &e->reads_on : &e->reads_off, 1);
    return EVL_READ(userData, add);
}

static natsStatus evl_write(void *userData, bool add)
{
    evl *e = g_evl;
    if (atomic_load(&e->detaches) > 0)
        atomic_fetch_add(&e->after_detach, 1);
    atomic_fetch_add(add ? &e->writes_on : &e->writes_off, 1);
    return EVL_WRITE(userData, add);
}

static natsStatus evl_detach(void *userData)
{
    evl *e = g_evl;
    evl_check_cur_socket(e, "before detach");
    atomic_fetch_add(&e->detaches, 1);
    return EVL_DETACH(userData);
}

static void evl_on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    evl *e = closure;
    if (pthread_equal(pthread_self(), e->loop_thread))
        atomic_fetch_add(&e->handler_on_loop, 1);
    atomic_fetch_add(&e->disconnected, 1);
}

static void evl_on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    evl *e = closure;
    if (pthread_equal(pthread_self(), e->loop_thread))
        atomic_fetch_add(&e->handler_on_loop, 1);
    atomic_fetch_add(&e->reconnected, 1);
}

static void evl_on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    evl *e = closure;
    if (pthread_equal(pthread_self(), e->loop_thread))
        atomic_fetch_add(&e->handler_on_loop, 1);
    atomic_fetch_add(&e->closed, 1);
}

/* Options for the connection under test: url, short reconnect wait, the callbacks. */
static natsOptions *evl_options(evl *e, const char *url)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetReconnectWait(o, 100));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 100));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, evl_on_disconnected, e));
    CHECK_OK(natsOptions_SetReconnectedCB(o, evl_on_reconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, evl_on_closed, e));
    return o;
}

static void *evl_thread_main(void *arg)
{
    evl *e = arg;
    evl_loop_prepare(e->loop);
    e->connect_status = natsConnection_Connect(&e->nc, e->opts);
    atomic_store(&e->connect_done, 1);
    if (e->connect_status == NATS_OK)
        evl_loop_run(e->loop);
    atomic_store(&e->stopped, 1);
    return NULL;
}

/* Connects with `opts` (destroyed here) on a new loop thread that then runs the loop. */
static natsConnection *evl_connect(evl *e, natsOptions *opts)
{
    memset(e, 0, sizeof(*e));
    e->cur_fd = -1;
    g_evl = e;
    e->loop = evl_loop_new();
    CHECK(e->loop != NULL);
    e->opts = opts;
    CHECK_OK(natsOptions_SetEventLoop(opts, e->loop, evl_attach, evl_read, evl_write, evl_detach));
    CHECK(pthread_create(&e->thread, NULL, evl_thread_main, e) == 0);
    e->loop_thread = e->thread;
    CHECK(WAIT_FOR(atomic_load(&e->connect_done), 20000));
    CHECK_OK(e->connect_status);
    natsOptions_Destroy(opts);
    e->opts = NULL;
    CHECK_EQ(atomic_load(&e->attaches), 1);
    return e->nc;
}

/* Destroys the connection: detach exactly once, the loop then runs out of work. */
static void evl_destroy(evl *e)
{
    natsConnection_Destroy(e->nc);
    e->nc = NULL;
    CHECK_EQ(atomic_load(&e->detaches), 1);
    if (!g_evl_strict_stop && !WAIT_FOR(atomic_load(&e->stopped), 3000))
        evl_loop_nudge(e->loop);
    CHECK_MSG(WAIT_FOR(atomic_load(&e->stopped), 10000), "the loop did not stop after detach");
    pthread_join(e->thread, NULL);
    CHECK_EQ(atomic_load(&e->detaches), 1);
    CHECK_EQ(atomic_load(&e->after_detach), 0);
    CHECK_EQ(atomic_load(&e->handler_on_loop), 0);
    evl_loop_free(e->loop);
    e->loop = NULL;
}

static void evl_counting_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    evl *e = closure;
    if (pthread_equal(pthread_self(), e->loop_thread))
        atomic_fetch_add(&e->handler_on_loop, 1);
    atomic_fetch_add(&e->handler_calls, 1);
    natsMsg_Destroy(msg);
}

/* Answers every request with "re:" + the request. */
static void evl_replier(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    evl *e = closure;
    if (e != NULL && pthread_equal(pthread_self(), e->loop_thread))
        atomic_fetch_add(&e->handler_on_loop, 1);
    char buf[256];
    snprintf(buf, sizeof(buf), "re:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    if (natsMsg_GetReply(msg) != NULL)
        natsConnection_PublishString(nc, natsMsg_GetReply(msg), buf);
    natsMsg_Destroy(msg);
}

static natsConnection *evl_plain(const char *url)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetReconnectWait(o, 100));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 100));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

/* ------------------------------------------------------------------------ */
/* What works the same on every adapter and on both libraries               */
/* ------------------------------------------------------------------------ */

/* Connect, publish + flush, subscribe (sync and async) and receive, request/reply both
 * ways, a server restart (re-attach, resubscribe), close with one detach. */
__attribute__((unused)) static void evl_scenario_basic(void)
{
    test_server srv;
    server_start(&srv, NULL);
    evl e;
    natsConnection *nc = evl_connect(&e, evl_options(&e, srv.url));
    natsConnection *plain = evl_plain(srv.url);
    natsMsg *m = NULL;

    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);

    /* Publish + flush: everything reaches a subscriber elsewhere. */
    natsSubscription *ps = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&ps, plain, "evl.pub"));
    CHECK_OK(natsConnection_Flush(plain));
    for (int i = 0; i < 500; i++)
        CHECK_OK(natsConnection_PublishString(nc, "evl.pub", "hello"));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    for (int i = 0; i < 500; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, ps, 5000));
        CHECK_STR(natsMsg_GetData(m), "hello");
        natsMsg_Destroy(m);
    }
    /* Write interest was asked for, and given back once the output ran out. */
    CHECK(atomic_load(&e.writes_on) >= 1);
    CHECK(WAIT_FOR(atomic_load(&e.writes_off) >= 1, 5000));

    /* Subscriptions on the loop's connection: sync and async. */
    natsSubscription *es = NULL, *as = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&es, nc, "evl.sync"));
    CHECK_OK(natsConnection_Subscribe(&as, nc, "evl.async", evl_counting_handler, &e));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    for (int i = 0; i < 100; i++) {
        CHECK_OK(natsConnection_PublishString(plain, "evl.sync", "s"));
        CHECK_OK(natsConnection_PublishString(plain, "evl.async", "a"));
    }
    CHECK_OK(natsConnection_FlushTimeout(plain, 5000));
    for (int i = 0; i < 100; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, es, 5000));
        natsMsg_Destroy(m);
    }
    CHECK(WAIT_FOR(atomic_load(&e.handler_calls) == 100, 5000));

    /* Request/reply: the loop's connection asks, and answers. */
    natsSubscription *rs = NULL, *ers = NULL;
    CHECK_OK(natsConnection_Subscribe(&rs, plain, "evl.svc", evl_replier, NULL));
    CHECK_OK(natsConnection_Flush(plain));
    for (int i = 0; i < 20; i++) {
        CHECK_OK(natsConnection_RequestString(&m, nc, "evl.svc", "ping", 5000));
        CHECK_STR(natsMsg_GetData(m), "re:ping");
        natsMsg_Destroy(m);
    }
    CHECK_OK(natsConnection_Subscribe(&ers, nc, "evl.esvc", evl_replier, &e));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    for (int i = 0; i < 20; i++) {
        CHECK_OK(natsConnection_RequestString(&m, plain, "evl.esvc", "pong", 5000));
        CHECK_STR(natsMsg_GetData(m), "re:pong");
        natsMsg_Destroy(m);
    }

    /* Server restart: the connection re-attaches its new socket and resubscribes. */
    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&e.disconnected) >= 1, 10000));
    server_restart(&srv);
    CHECK_MSG(WAIT_FOR(atomic_load(&e.reconnected) >= 1, 15000), "no reconnect");
    CHECK_EQ(atomic_load(&e.attaches), 2);
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    CHECK_OK(natsConnection_FlushTimeout(plain, 10000));
    /* plain resubscribed too: the loop's publishes reach it again. */
    CHECK_OK(natsConnection_PublishString(nc, "evl.pub", "again"));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    CHECK_OK(natsSubscription_NextMsg(&m, ps, 5000));
    CHECK_STR(natsMsg_GetData(m), "again");
    natsMsg_Destroy(m);
    CHECK_OK(natsConnection_PublishString(plain, "evl.sync", "after"));
    CHECK_OK(natsConnection_FlushTimeout(plain, 5000));
    CHECK_OK(natsSubscription_NextMsg(&m, es, 5000));
    CHECK_STR(natsMsg_GetData(m), "after");
    natsMsg_Destroy(m);
    CHECK_OK(natsConnection_RequestString(&m, nc, "evl.svc", "back", 5000));
    CHECK_STR(natsMsg_GetData(m), "re:back");
    natsMsg_Destroy(m);

    natsSubscription_Destroy(es);
    natsSubscription_Destroy(as);
    natsSubscription_Destroy(ers);
    evl_destroy(&e);
    CHECK(WAIT_FOR(atomic_load(&e.closed) == 1, 5000));
    natsSubscription_Destroy(ps);
    natsSubscription_Destroy(rs);
    natsConnection_Destroy(plain);
    server_stop(&srv);
}

/* Keepalive PINGs go out although nobody publishes: the timer only asks for write
 * interest; the loop writes. */
__attribute__((unused)) static void evl_scenario_keepalive(void)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_NORMAL };
    fake_start(&f, &cfg);
    evl e;
    natsOptions *o = evl_options(&e, f.url);
    CHECK_OK(natsOptions_SetPingInterval(o, 50));
    natsConnection *nc = evl_connect(&e, o);
    (void)nc;
    /* The connect PING, then keepalive PINGs. */
    CHECK_MSG(WAIT_FOR(atomic_load(&f.pings) >= 4, 5000), "pings seen: %d", atomic_load(&f.pings));
    CHECK_EQ(natsConnection_Status(e.nc), NATS_CONN_STATUS_CONNECTED);
    evl_destroy(&e);
    fake_stop(&f);
}

/* ------------------------------------------------------------------------ */
/* Where nats.c's adapters crash (bug_evloop_*): each runs in a child process   */
/* ------------------------------------------------------------------------ */

/* (a) The server freezes (SIGSTOP: no FIN, no answers) until reconnects are exhausted;
 * the connection closes, detaches once, and the loop ends. */
__attribute__((unused)) static int evl_case_frozen_server(void *arg)
{
    (void)arg;
    test_server srv;
    server_start(&srv, NULL);
    evl e;
    natsOptions *o = evl_options(&e, srv.url);
    CHECK_OK(natsOptions_SetPingInterval(o, 100));
    CHECK_OK(natsOptions_SetMaxPingsOut(o, 2));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 2));
    CHECK_OK(natsOptions_SetTimeout(o, 300));
    natsConnection *nc = evl_connect(&e, o);
    CHECK_OK(natsConnection_PublishString(nc, "evl.frozen", "x"));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    kill(srv.pid, SIGSTOP);
    /* Publishing goes on while the server is frozen. */
    for (int i = 0; i < 50 && !natsConnection_IsClosed(nc); i++) {
        natsConnection_PublishString(nc, "evl.frozen", "x");
        test_sleep_ms(20);
    }
    CHECK_MSG(WAIT_FOR(atomic_load(&e.closed) == 1, 20000), "the connection never closed");
    CHECK(WAIT_FOR(atomic_load(&e.detaches) == 1, 5000));
    CHECK(natsConnection_IsClosed(nc));
    evl_destroy(&e);
    kill(srv.pid, SIGCONT);
    server_stop(&srv);
    return 0;
}

/* (b) The connection is destroyed while the loop thread is busy in ProcessReadEvent
 * (a flood of messages), from another thread, or from a message handler. */
typedef struct {
    evl *e;
    atomic_int destroy_now;
    atomic_int destroyed;
} evl_destroyer;

static void evl_destroying_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    evl_destroyer *d = closure;
    natsMsg_Destroy(msg);
    if (atomic_load(&d->destroy_now) && !atomic_exchange(&d->destroyed, 1)) {
        natsSubscription_Destroy(sub);
        natsConnection_Destroy(nc);
        atomic_store(&d->destroyed, 2);
    }
}

__attribute__((unused)) static int evl_case_destroy_while_reading(void *arg)
{
    (void)arg;
    test_server srv;
    server_start(&srv, NULL);
    natsConnection *plain = evl_plain(srv.url);
    test_flooder fl = { .nc = plain, .subject = "evl.flood" };
    pthread_t ft;
    CHECK(pthread_create(&ft, NULL, test_flood_main, &fl) == 0);

    /* Fewer rounds under valgrind, to stay well inside the time limit. */
    int rounds = test_under_valgrind() ? 4 : 6;
    for (int round = 0; round < rounds; round++) {
        bool from_handler = (round % 2) == 1;
        evl e;
        natsConnection *nc = evl_connect(&e, evl_options(&e, srv.url));
        evl_destroyer d = { .e = &e };
        natsSubscription *sub = NULL;
        if (from_handler)
            CHECK_OK(natsConnection_Subscribe(&sub, nc, "evl.flood", evl_destroying_handler, &d));
        else
            CHECK_OK(natsConnection_Subscribe(&sub, nc, "evl.flood", test_noop_handler, NULL));
        CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
        test_sleep_ms(100 + 20 * round);
        if (from_handler) {
            atomic_store(&d.destroy_now, 1);
            CHECK_MSG(WAIT_FOR(atomic_load(&d.destroyed) == 2, 10000), "the handler never destroyed the connection");
            CHECK_MSG(WAIT_FOR(atomic_load(&e.stopped), 10000), "the loop did not stop after detach");
            pthread_join(e.thread, NULL);
            CHECK_EQ(atomic_load(&e.detaches), 1);
            evl_loop_free(e.loop);
        } else {
            natsSubscription_Destroy(sub);
            evl_destroy(&e);
        }
    }
    atomic_store(&fl.stop, 1);
    pthread_join(ft, NULL);
    natsConnection_Destroy(plain);
    server_stop(&srv);
    return 0;
}

/* (c) The socket stays open while attached: through a reconnect until the new socket is
 * attached, and at close until detach returned. */
__attribute__((unused)) static int evl_case_socket_outlives_polling(void *arg)
{
    (void)arg;
    test_server srv;
    server_start(&srv, NULL);
    evl e;
    natsConnection *nc = evl_connect(&e, evl_options(&e, srv.url));
    CHECK_OK(natsConnection_PublishString(nc, "evl.c", "x"));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&e.disconnected) >= 1, 10000));
    server_restart(&srv);
    CHECK_MSG(WAIT_FOR(atomic_load(&e.reconnected) >= 1, 15000), "no reconnect");
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    evl_destroy(&e);
    CHECK_EQ(atomic_load(&e.fd_violations), 0);
    server_stop(&srv);
    return 0;
}

/* (d) Once the connection detached, the loop has nothing left to do and ends by itself. */
__attribute__((unused)) static int evl_case_loop_ends(void *arg)
{
    (void)arg;
    test_server srv;
    server_start(&srv, NULL);
    g_evl_strict_stop = true;
    for (int round = 0; round < 5; round++) {
        evl e;
        natsConnection *nc = evl_connect(&e, evl_options(&e, srv.url));
        CHECK_OK(natsConnection_PublishString(nc, "evl.d", "x"));
        CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
        evl_destroy(&e);
    }
    server_stop(&srv);
    return 0;
}

/* Runs one case in a child process. RNATS_EVL_CASES=ab (say) runs only those cases, by
 * the letter that starts `what` ("(a) ..."). */
__attribute__((unused)) static void evl_run_case(const char *what, int (*fn)(void *))
{
    const char *only = getenv("RNATS_EVL_CASES");
    if (only != NULL && *only != '\0' && strchr(only, what[1]) == NULL)
        return;
    test_log("%s", what);
    int rc = test_run_in_child(fn, NULL, 45);
    CHECK_MSG(rc == 0, "%s: the child ended with %d%s", what, rc, rc > 128 ? " (killed by a signal)" : "");
}

#endif /* RNATS_C_TESTS_EVLOOP_COMMON_H */
