/*
 * Flush / FlushTimeout: argument checks, timeouts against a server that
 * does not answer PING, late PONGs, concurrent flushes, flush racing
 * close, flush after close.
 */
#include "harness.h"

#include <string.h>

static natsConnection *connect_fake(fake_server *f, fake_mode mode, int delay_ms)
{
    fake_config cfg = { .mode = mode, .delay_ms = delay_ms };
    fake_start(f, &cfg);
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f->url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

static void check_basic(test_server *srv)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));

    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    /* A tiny timeout may or may not be enough; only these two outcomes. */
    for (int i = 0; i < 20; i++) {
        natsStatus s = natsConnection_FlushTimeout(nc, 1);
        CHECK_MSG(s == NATS_OK || s == NATS_TIMEOUT, "FlushTimeout(1) -> %d", s);
    }
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_STATUS(natsConnection_FlushTimeout(nc, 0), NATS_INVALID_TIMEOUT);
    CHECK_STATUS(natsConnection_FlushTimeout(nc, -1), NATS_INVALID_TIMEOUT);
    CHECK_STATUS(natsConnection_FlushTimeout(nc, INT64_MIN), NATS_INVALID_TIMEOUT);
    CHECK_STATUS(natsConnection_Flush(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_FlushTimeout(NULL, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_FlushTimeout(NULL, 0), NATS_INVALID_ARG);

    /* Flushed data has reached the server: a subscriber elsewhere gets it. */
    natsConnection *other = NULL;
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_ConnectTo(&other, srv->url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, other, "flushed"));
    CHECK_OK(natsConnection_Flush(other));
    for (int i = 0; i < 1000; i++)
        CHECK_OK(natsConnection_PublishString(nc, "flushed", "data"));
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < 1000; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(other);

    /* After close. */
    natsConnection_Close(nc);
    CHECK_STATUS(natsConnection_Flush(nc), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_FlushTimeout(nc, 100), NATS_CONNECTION_CLOSED);
    natsConnection_Destroy(nc);
}

static void check_timeout(void)
{
    fake_server f;
    natsConnection *nc = connect_fake(&f, FAKE_NO_PONG, 0);

    for (int round = 0; round < 3; round++) {
        int64_t t0 = test_now_ms();
        CHECK_STATUS(natsConnection_FlushTimeout(nc, 200), NATS_TIMEOUT);
        int64_t el = test_now_ms() - t0;
        CHECK_MSG(el >= 150, "flush timed out after only %lld ms", (long long)el);
        CHECK_MSG(el < 1000, "FlushTimeout(200) returned after %lld ms", (long long)el);
        natsStatus s = NATS_OK;
        nats_GetLastError(&s);
        CHECK_EQ(s, NATS_TIMEOUT);
        /* A flush timeout does not break the connection. */
        CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
        CHECK(!natsConnection_IsClosed(nc));
    }
    /* Each flush sent its own PING. */
    CHECK(WAIT_FOR(atomic_load(&f.pings) >= 4, 2000));

    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* A flush only succeeds after the PONG for its own PING: a late PONG that
 * belongs to an earlier, timed-out flush must not complete a later one. */
static void check_late_pong(void)
{
    fake_server f;
    natsConnection *nc = connect_fake(&f, FAKE_DELAYED_PONG, 300);

    int64_t t0 = test_now_ms();
    CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el >= 250, "flush completed after %lld ms, before its PONG", (long long)el);
    CHECK(el < 5000);

    for (int round = 0; round < 3; round++) {
        CHECK_STATUS(natsConnection_FlushTimeout(nc, 100), NATS_TIMEOUT);
        /* The earlier PING's PONG arrives within ~200 ms; this flush must
         * wait for its own. */
        CHECK_OK(natsConnection_FlushTimeout(nc, 5000));
        int pings = atomic_load(&f.pings);
        int pongs = atomic_load(&f.pongs_sent);
        CHECK_MSG(pongs >= pings,
                  "flush returned OK with %d PINGs sent but only %d PONGs", pings, pongs);
    }

    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* Many threads flushing at once on one connection. */
typedef struct {
    natsConnection *nc;
    int rounds;
    int64_t timeout;
    natsStatus result;      /* first non-OK, or OK */
    int oks;
    int others;             /* results outside the allowed set */
    natsStatus allowed2;    /* a second allowed status besides OK */
    int64_t elapsed;
} flush_arg;

static void *flusher(void *p)
{
    flush_arg *a = p;
    int64_t t0 = test_now_ms();
    a->result = NATS_OK;
    for (int i = 0; i < a->rounds; i++) {
        natsStatus s = natsConnection_FlushTimeout(a->nc, a->timeout);
        if (s == NATS_OK) {
            a->oks++;
        } else {
            if (a->result == NATS_OK)
                a->result = s;
            if (s != a->allowed2)
                a->others++;
            if (s == NATS_CONNECTION_CLOSED)
                break;
        }
    }
    a->elapsed = test_now_ms() - t0;
    return NULL;
}

#define FLUSH_THREADS 8

static void check_concurrent(test_server *srv)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));

    pthread_t th[FLUSH_THREADS];
    flush_arg args[FLUSH_THREADS];
    memset(args, 0, sizeof(args));
    for (int i = 0; i < FLUSH_THREADS; i++) {
        args[i].nc = nc;
        args[i].rounds = 200;
        args[i].timeout = 10000;
        args[i].allowed2 = NATS_OK;
        CHECK(pthread_create(&th[i], NULL, flusher, &args[i]) == 0);
    }
    /* Publishing concurrently with the flushes. */
    for (int i = 0; i < 2000; i++)
        CHECK_OK(natsConnection_PublishString(nc, "concurrent.flush", "x"));
    for (int i = 0; i < FLUSH_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_OK(args[i].result);
        CHECK_EQ(args[i].oks, 200);
    }
    natsConnection_Destroy(nc);

    /* Against slow PONGs: every concurrent flush completes. */
    fake_server f;
    nc = connect_fake(&f, FAKE_DELAYED_PONG, 100);
    memset(args, 0, sizeof(args));
    for (int i = 0; i < FLUSH_THREADS; i++) {
        args[i].nc = nc;
        args[i].rounds = 3;
        args[i].timeout = 5000;
        CHECK(pthread_create(&th[i], NULL, flusher, &args[i]) == 0);
    }
    for (int i = 0; i < FLUSH_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_OK(args[i].result);
        CHECK_EQ(args[i].oks, 3);
    }
    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* Close while flushes are pending: they end with NATS_CONNECTION_CLOSED,
 * promptly, never OK (no PONG ever comes). */
static void check_close_during_flush(void)
{
    for (int round = 0; round < 5; round++) {
        fake_server f;
        natsConnection *nc = connect_fake(&f, FAKE_NO_PONG, 0);

        pthread_t th[4];
        flush_arg args[4];
        memset(args, 0, sizeof(args));
        for (int i = 0; i < 4; i++) {
            args[i].nc = nc;
            args[i].rounds = 1;
            args[i].timeout = 20000;
            args[i].allowed2 = NATS_CONNECTION_CLOSED;
            CHECK(pthread_create(&th[i], NULL, flusher, &args[i]) == 0);
        }
        /* Let all four PINGs go out. */
        CHECK(WAIT_FOR(atomic_load(&f.pings) >= 5, 5000));
        test_sleep_ms(round * 10);
        natsConnection_Close(nc);
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK_STATUS(args[i].result, NATS_CONNECTION_CLOSED);
            CHECK_EQ(args[i].oks, 0);
            CHECK_MSG(args[i].elapsed < 10000, "flush took %lld ms after close",
                      (long long)args[i].elapsed);
        }
        CHECK(natsConnection_IsClosed(nc));
        natsConnection_Destroy(nc);
        fake_stop(&f);
    }

    /* Same with a real server: each flush is OK (PONG came first) or
     * NATS_CONNECTION_CLOSED, nothing else. */
    test_server srv;
    server_start(&srv, NULL);
    for (int round = 0; round < 10; round++) {
        natsConnection *nc = NULL;
        CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
        pthread_t th[4];
        flush_arg args[4];
        memset(args, 0, sizeof(args));
        for (int i = 0; i < 4; i++) {
            args[i].nc = nc;
            args[i].rounds = 100000;
            args[i].timeout = 5000;
            args[i].allowed2 = NATS_CONNECTION_CLOSED;
            CHECK(pthread_create(&th[i], NULL, flusher, &args[i]) == 0);
        }
        test_sleep_ms(20 + round * 5);
        natsConnection_Close(nc);
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK_EQ(args[i].others, 0);
            CHECK_STATUS(args[i].result, NATS_CONNECTION_CLOSED);
        }
        natsConnection_Destroy(nc);
    }
    server_stop(&srv);
}

/* The server goes away during a flush (no reconnect): error, never OK. */
static void check_server_gone(void)
{
    fake_server f;
    natsConnection *nc = connect_fake(&f, FAKE_NO_PONG, 0);

    flush_arg arg;
    memset(&arg, 0, sizeof(arg));
    arg.nc = nc;
    arg.rounds = 1;
    arg.timeout = 20000;
    arg.allowed2 = NATS_CONNECTION_CLOSED;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, flusher, &arg) == 0);
    CHECK(WAIT_FOR(atomic_load(&f.pings) >= 2, 5000));
    fake_close_client(&f);
    pthread_join(th, NULL);
    CHECK(arg.result != NATS_OK);
    CHECK_EQ(arg.oks, 0);
    CHECK_MSG(arg.result == NATS_CONNECTION_CLOSED
                  || arg.result == NATS_CONNECTION_DISCONNECTED,
              "flush ended with %d (%s)", arg.result, natsStatus_GetText(arg.result));
    CHECK(arg.elapsed < 10000);
    CHECK(WAIT_FOR(natsConnection_IsClosed(nc), 5000));
    natsConnection_Destroy(nc);
    fake_stop(&f);
}

int main(void)
{
    test_server srv;

    test_init("test_flush");
    server_start(&srv, NULL);
    int64_t t0 = test_now_ms();
    check_basic(&srv);
    test_log("basic done at %lld ms", (long long)(test_now_ms() - t0));
    check_timeout();
    test_log("timeout done at %lld ms", (long long)(test_now_ms() - t0));
    check_late_pong();
    test_log("late pong done at %lld ms", (long long)(test_now_ms() - t0));
    check_concurrent(&srv);
    test_log("concurrent done at %lld ms", (long long)(test_now_ms() - t0));
    check_close_during_flush();
    test_log("close during flush done at %lld ms", (long long)(test_now_ms() - t0));
    check_server_gone();
    test_log("server gone done at %lld ms", (long long)(test_now_ms() - t0));
    server_stop(&srv);

    return test_done();
}
