/*
 * Keepalive: the client PINGs at the configured interval; a server that
 * stops answering makes the connection stale after max-pings-out; with
 * reconnect disabled that means disconnected + closed callbacks, status
 * CLOSED, last error NATS_STALE_CONNECTION, and a pending flush fails.
 * The client answers the server's PINGs.
 */
#include "harness.h"

#include <string.h>

typedef struct {
    atomic_int disconnected;
    atomic_int closed;
    atomic_int errors;
} events;

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    atomic_fetch_add(&((events *)closure)->disconnected, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    atomic_fetch_add(&((events *)closure)->closed, 1);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)err;
    atomic_fetch_add(&((events *)closure)->errors, 1);
}

static natsConnection *connect_with(fake_server *f, fake_mode mode, events *e,
                                    int64_t interval, int max_out)
{
    fake_config cfg = { .mode = mode };
    fake_start(f, &cfg);
    memset(e, 0, sizeof(*e));
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f->url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsOptions_SetPingInterval(o, interval));
    CHECK_OK(natsOptions_SetMaxPingsOut(o, max_out));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_error, e));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

/* A healthy server: PINGs flow, the connection stays up. */
static void check_healthy(void)
{
    fake_server f;
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = connect_with(&f, FAKE_NORMAL, &e, 50, 2);

    /* Connect PING plus several keepalive PINGs. */
    CHECK(WAIT_FOR(atomic_load(&f.pings) >= 6, 5000));
    test_sleep_ms(200);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    CHECK_EQ(atomic_load(&e.disconnected), 0);
    CHECK_EQ(atomic_load(&e.closed), 0);
    CHECK_OK(natsConnection_Flush(nc));

    natsConnection_Destroy(nc);
    fake_stop(&f);
}

typedef struct {
    natsConnection *nc;
    natsStatus result;
    int64_t elapsed;
} flush_arg;

static void *flusher(void *p)
{
    flush_arg *a = p;
    int64_t t0 = test_now_ms();
    a->result = natsConnection_FlushTimeout(a->nc, 20000);
    a->elapsed = test_now_ms() - t0;
    return NULL;
}

/* The server never answers keepalive PINGs. */
static void check_stale(void)
{
    fake_server f;
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    int64_t t0 = test_now_ms();
    natsConnection *nc = connect_with(&f, FAKE_NO_PONG, &e, 100, 2);

    /* A flush waiting when the connection goes stale fails. */
    flush_arg fa = { .nc = nc };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, flusher, &fa) == 0);

    CHECK(WAIT_FOR(atomic_load(&e.closed) == 1, 10000));
    int64_t el = test_now_ms() - t0;
    /* Two unanswered PINGs are allowed, so it takes a few intervals. */
    CHECK_MSG(el >= 150, "stale after only %lld ms", (long long)el);

    pthread_join(th, NULL);
    CHECK(fa.result != NATS_OK);
    CHECK_MSG(fa.result == NATS_CONNECTION_CLOSED || fa.result == NATS_STALE_CONNECTION
                  || fa.result == NATS_CONNECTION_DISCONNECTED,
              "pending flush ended with %d (%s)", fa.result, natsStatus_GetText(fa.result));
    CHECK(fa.elapsed < 15000);

    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&e.disconnected), 1);
    CHECK_EQ(atomic_load(&e.closed), 1);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(nc));

    const char *txt = NULL;
    CHECK_STATUS(natsConnection_GetLastError(nc, &txt), NATS_STALE_CONNECTION);
    CHECK(txt != NULL && txt[0] != '\0');

    /* At least connect PING + two keepalive PINGs reached the server. */
    CHECK(atomic_load(&f.pings) >= 3);
    CHECK_STATUS(natsConnection_Flush(nc), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "y"), NATS_CONNECTION_CLOSED);

    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* Any traffic does not mask missing PONGs: publishing keeps going but the
 * connection still goes stale. */
static void check_stale_while_publishing(void)
{
    fake_server f;
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = connect_with(&f, FAKE_NO_PONG, &e, 100, 1);

    int64_t deadline = test_now_ms() + 10000;
    while (atomic_load(&e.closed) == 0 && test_now_ms() < deadline) {
        natsStatus s = natsConnection_PublishString(nc, "keepalive.pub", "data");
        CHECK_MSG(s == NATS_OK || s == NATS_CONNECTION_CLOSED
                      || s == NATS_CONNECTION_DISCONNECTED,
                  "publish -> %d (%s)", s, natsStatus_GetText(s));
        test_sleep_ms(5);
    }
    CHECK_EQ(atomic_load(&e.closed), 1);
    const char *txt = NULL;
    CHECK_STATUS(natsConnection_GetLastError(nc, &txt), NATS_STALE_CONNECTION);
    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* The client answers the server's PING with PONG. */
static void check_answers_ping(void)
{
    fake_server f;
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static events e;
    natsConnection *nc = connect_with(&f, FAKE_NORMAL, &e, 60000, 2);

    CHECK(!fake_received_contains(&f, "PONG"));
    CHECK(fake_send_str(&f, "PING\r\n"));
    CHECK(WAIT_FOR(fake_received_contains(&f, "PONG\r\n"), 5000));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    CHECK_OK(natsConnection_Flush(nc));

    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* Ping interval 0 or negative: no keepalive PINGs at all. */
static void check_disabled(void)
{
    /* Static, one per round: nats.c may still run callbacks after Destroy
     * returned. */
    static events all[2];
    for (int v = 0; v < 2; v++) {
        fake_server f;
        events *e = &all[v];
        natsConnection *nc = connect_with(&f, FAKE_NO_PONG, e, v == 0 ? 0 : -1, 1);
        test_sleep_ms(400);
        CHECK_EQ(atomic_load(&f.pings), 1);
        CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
        CHECK_EQ(atomic_load(&e->closed), 0);
        natsConnection_Destroy(nc);
        fake_stop(&f);
    }
}

int main(void)
{
    test_init("test_keepalive");
    check_healthy();
    check_stale();
    check_stale_while_publishing();
    check_answers_ping();
    check_disabled();
    return test_done();
}
