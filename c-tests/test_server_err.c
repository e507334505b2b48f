/*
 * Server errors with reconnection allowed (the default), as nats.c handles
 * them:
 *   - a generic -ERR (not a stale connection, permission or authorization
 *     error) closes the connection for good: disconnected callback, then
 *     closed callback, no reconnect; natsConnection_GetLastError gives
 *     NATS_ERR with the server's text;
 *   - -ERR 'Stale Connection' makes the client reconnect;
 *   - a real server refusing a connection ("maximum connections exceeded")
 *     fails natsConnection_Connect with NATS_ERR and the server's text in
 *     nats_GetLastError.
 */
#include "harness.h"

#include <string.h>

typedef struct {
    pthread_mutex_t mu;
    char seq[64];          /* 'D' disconnected, 'R' reconnected, 'C' closed */
    atomic_int closed;
    atomic_int reconnected;
} events;

static void record(events *e, char c)
{
    pthread_mutex_lock(&e->mu);
    size_t n = strlen(e->seq);
    if (n + 1 < sizeof(e->seq)) {
        e->seq[n] = c;
        e->seq[n + 1] = '\0';
    }
    pthread_mutex_unlock(&e->mu);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    record(closure, 'D');
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    record(closure, 'R');
    atomic_fetch_add(&((events *)closure)->reconnected, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    record(closure, 'C');
    atomic_fetch_add(&((events *)closure)->closed, 1);
}

static bool seq_is(events *e, const char *want)
{
    pthread_mutex_lock(&e->mu);
    bool same = strcmp(e->seq, want) == 0;
    pthread_mutex_unlock(&e->mu);
    return same;
}

static natsConnection *connect_fake(fake_server *f, events *e)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f->url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, true));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 10));
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    CHECK_OK(natsConnection_Flush(nc));
    return nc;
}

static void check_generic_err(const char *text)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static fake_server f;
    static events e;
    memset(&e, 0, sizeof(e));
    pthread_mutex_init(&e.mu, NULL);
    fake_config cfg = { .mode = FAKE_SEND_ERR, .text = text };
    fake_start(&f, &cfg);

    natsConnection *nc = connect_fake(&f, &e);
    fake_trigger(&f);
    CHECK(WAIT_FOR(atomic_load(&e.closed) == 1, 10000));
    /* Time for a reconnect that must not happen. */
    test_sleep_ms(300);
    CHECK_MSG(seq_is(&e, "DC"), "callbacks after -ERR '%s': \"%s\"", text, e.seq);
    CHECK_EQ(atomic_load(&e.reconnected), 0);
    CHECK_EQ(atomic_load(&f.connections), 1);
    CHECK(natsConnection_IsClosed(nc));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);

    const char *txt = NULL;
    CHECK_STATUS(natsConnection_GetLastError(nc, &txt), NATS_ERR);
    CHECK_MSG(txt != NULL && strstr(txt, text) != NULL, "last error text: \"%s\"",
              txt ? txt : "(null)");
    CHECK_STATUS(natsConnection_PublishString(nc, "foo", "x"), NATS_CONNECTION_CLOSED);

    natsConnection_Destroy(nc);
    fake_stop(&f);
    pthread_mutex_destroy(&e.mu);
}

static void check_stale_reconnects(void)
{
    static fake_server f;
    static events e;
    memset(&e, 0, sizeof(e));
    pthread_mutex_init(&e.mu, NULL);
    fake_config cfg = { .mode = FAKE_SEND_ERR, .text = "Stale Connection" };
    fake_start(&f, &cfg);

    natsConnection *nc = connect_fake(&f, &e);
    fake_trigger(&f);
    CHECK(WAIT_FOR(atomic_load(&e.reconnected) == 1, 10000));
    CHECK(WAIT_FOR(natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED, 5000));
    CHECK_EQ(atomic_load(&e.closed), 0);
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(seq_is(&e, "DR"));

    natsConnection_Destroy(nc);
    CHECK(WAIT_FOR(atomic_load(&e.closed) == 1, 5000));
    fake_stop(&f);
    pthread_mutex_destroy(&e.mu);
}

static void check_max_connections(void)
{
    test_server srv;
    server_start_conf(&srv, "max_connections: 1\n", NULL);
    natsConnection *first = NULL;
    natsConnection *second = NULL;
    /* The harness's readiness probe may still count as a connection for a
     * moment: retry the first one. */
    CHECK(WAIT_FOR(natsConnection_ConnectTo(&first, srv.url) == NATS_OK, 5000));

    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv.url));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 0));
    natsStatus s = natsConnection_Connect(&second, o);
    /* nats.c 3.4.1 reports the refusal during the handshake as a protocol
     * error ("Expected 'PONG', got ''"); rnats as NATS_ERR with the text. */
    CHECK_MSG(s == NATS_ERR || s == NATS_PROTOCOL_ERROR, "Connect: %d", (int)s);
    CHECK(second == NULL);
    if (s == NATS_ERR) {
        const char *txt = nats_GetLastError(NULL);
        CHECK_MSG(txt != NULL && strstr(txt, "maximum connections exceeded") != NULL,
                  "last error text: \"%s\"", txt ? txt : "(null)");
    }
    natsOptions_Destroy(o);

    /* The first connection is not disturbed. */
    CHECK_OK(natsConnection_Flush(first));
    natsConnection_Destroy(first);
    server_stop(&srv);
}

int main(void)
{
    test_init("test_server_err");

    check_generic_err("Unknown Protocol Operation");
    check_generic_err("maximum connections exceeded");
    check_generic_err("some text");
    check_stale_reconnects();
    check_max_connections();

    return test_done();
}
