/*
 * Misbehaving servers (scripted fake): -ERR texts, protocol garbage, a
 * socket closed in the middle of a message or at any time. Reconnect is
 * disabled; the connection must close cleanly with the right last error
 * and callbacks, and never crash.
 */
#include "harness.h"

#include <string.h>

typedef struct {
    atomic_int disconnected;
    atomic_int closed;
    atomic_int errors;
    atomic_int last_err;
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
    atomic_store(&((events *)closure)->last_err, (int)err);
    atomic_fetch_add(&((events *)closure)->errors, 1);
}

typedef struct {
    fake_server f;
    events e;
    natsConnection *nc;
    natsSubscription *sub;
} scenario;

static void start(scenario *sc, fake_mode mode, const char *text)
{
    fake_config cfg = { .mode = mode, .text = text };
    fake_start(&sc->f, &cfg);
    memset(&sc->e, 0, sizeof(sc->e));
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, sc->f.url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, &sc->e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, &sc->e));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_error, &sc->e));
    sc->nc = NULL;
    CHECK_OK(natsConnection_Connect(&sc->nc, o));
    natsOptions_Destroy(o);
    sc->sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sc->sub, sc->nc, "foo"));
    CHECK_OK(natsConnection_Flush(sc->nc));
    CHECK(WAIT_FOR(fake_sid_for(&sc->f, "foo") > 0, 5000));
}

static void expect_closed(scenario *sc, natsStatus last)
{
    CHECK(WAIT_FOR(atomic_load(&sc->e.closed) == 1, 10000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&sc->e.disconnected), 1);
    CHECK_EQ(atomic_load(&sc->e.closed), 1);
    CHECK(natsConnection_IsClosed(sc->nc));
    CHECK_EQ(natsConnection_Status(sc->nc), NATS_CONN_STATUS_CLOSED);

    const char *txt = NULL;
    CHECK_STATUS(natsConnection_GetLastError(sc->nc, &txt), last);
    CHECK(txt != NULL && txt[0] != '\0');

    /* Everything that needs the connection now fails cleanly. */
    natsMsg *m = NULL;
    CHECK_STATUS(natsSubscription_NextMsg(&m, sc->sub, 50), NATS_CONNECTION_CLOSED);
    CHECK(m == NULL);
    CHECK_STATUS(natsConnection_Flush(sc->nc), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishString(sc->nc, "foo", "x"), NATS_CONNECTION_CLOSED);
}

static void finish(scenario *sc)
{
    natsSubscription_Destroy(sc->sub);
    natsConnection_Destroy(sc->nc);
    fake_stop(&sc->f);
}

/* -ERR with an arbitrary text closes the connection; the text is kept. */
static void check_err_text(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_SEND_ERR, "some text");
    fake_trigger(&sc.f);
    expect_closed(&sc, NATS_ERR);
    const char *txt = NULL;
    natsConnection_GetLastError(sc.nc, &txt);
    CHECK_MSG(strstr(txt, "some text") != NULL, "last error text: \"%s\"", txt);
    finish(&sc);
}

/* -ERR 'Stale Connection' maps to NATS_STALE_CONNECTION. */
static void check_err_stale(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_SEND_ERR, "Stale Connection");
    fake_trigger(&sc.f);
    expect_closed(&sc, NATS_STALE_CONNECTION);
    finish(&sc);
}

/* A permissions violation is reported asynchronously and does not close
 * the connection. */
static void check_err_permissions(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_SEND_ERR, "Permissions Violation for Publish to \"foo\"");
    fake_trigger(&sc.f);
    CHECK(WAIT_FOR(atomic_load(&sc.e.errors) == 1, 5000));
    CHECK_EQ(atomic_load(&sc.e.last_err), NATS_NOT_PERMITTED);
    const char *txt = NULL;
    CHECK_STATUS(natsConnection_GetLastError(sc.nc, &txt), NATS_NOT_PERMITTED);
    CHECK_MSG(strstr(txt, "Permissions Violation") != NULL, "last error text: \"%s\"", txt);
    CHECK_EQ(natsConnection_Status(sc.nc), NATS_CONN_STATUS_CONNECTED);
    CHECK_OK(natsConnection_Flush(sc.nc));
    CHECK_EQ(atomic_load(&sc.e.closed), 0);
    finish(&sc);
}

/* Unknown protocol line: protocol error, connection closed. */
static void check_garbage(const char *garbage)
{
    /* Static, one per call: nats.c may still run callbacks after Destroy
     * returned. */
    static scenario all[8];
    static int used = 0;
    CHECK(used < 8);
    scenario *sc = &all[used++];
    start(sc, FAKE_SEND_GARBAGE, garbage);
    fake_trigger(&sc->f);
    expect_closed(sc, NATS_PROTOCOL_ERROR);
    finish(sc);
}

/* The server closes the socket in the middle of a message payload. */
static void check_partial_msg(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_PARTIAL_MSG, "foo");
    fake_trigger(&sc.f);
    expect_closed(&sc, NATS_CONNECTION_CLOSED);
    finish(&sc);
}

/* The server closes the socket between messages. */
static void check_close(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_CLOSE, NULL);
    fake_trigger(&sc.f);
    expect_closed(&sc, NATS_CONNECTION_CLOSED);
    finish(&sc);
}

/* Messages that arrive before a fault are still delivered. */
static void check_messages_before_close(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_CLOSE, NULL);
    char frames[256];
    int sid = fake_sid_for(&sc.f, "foo");
    CHECK(sid > 0);
    snprintf(frames, sizeof(frames), "MSG foo %d 5\r\nhello\r\nMSG foo %d reply.to 3\r\nbye\r\n",
             sid, sid);
    CHECK(fake_send_str(&sc.f, frames));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sc.sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "hello");
    CHECK(natsMsg_GetReply(m) == NULL || natsMsg_GetReply(m)[0] == '\0');
    natsMsg_Destroy(m);
    CHECK_OK(natsSubscription_NextMsg(&m, sc.sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "bye");
    CHECK_STR(natsMsg_GetReply(m), "reply.to");
    natsMsg_Destroy(m);
    fake_trigger(&sc.f);
    expect_closed(&sc, NATS_CONNECTION_CLOSED);
    finish(&sc);
}

/* A message split into many tiny TCP segments is reassembled. */
static void check_fragmented(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_NORMAL, NULL);
    char frame[64];
    snprintf(frame, sizeof(frame), "MSG foo %d 11\r\nhello world\r\n", fake_sid_for(&sc.f, "foo"));
    for (const char *p = frame; *p; p++) {
        CHECK(fake_send(&sc.f, p, 1));
        test_sleep_ms(2);
    }
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sc.sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "hello world");
    CHECK_EQ(natsMsg_GetDataLength(m), 11);
    natsMsg_Destroy(m);
    CHECK_OK(natsConnection_Flush(sc.nc));
    CHECK_EQ(atomic_load(&sc.e.closed), 0);
    finish(&sc);
}

/* A message for an unknown subscription id is ignored. */
static void check_unknown_sid(void)
{
    /* Static: nats.c may still run callbacks after Destroy returned. */
    static scenario sc;
    start(&sc, FAKE_NORMAL, NULL);
    char frames[128];
    int sid = fake_sid_for(&sc.f, "foo");
    CHECK(sid > 0);
    snprintf(frames, sizeof(frames), "MSG foo %d 3\r\nabc\r\nMSG foo %d 3\r\nxyz\r\n",
             sid + 1000, sid);
    CHECK(fake_send_str(&sc.f, frames));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sc.sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "xyz");
    natsMsg_Destroy(m);
    CHECK_OK(natsConnection_Flush(sc.nc));
    CHECK_EQ(natsConnection_Status(sc.nc), NATS_CONN_STATUS_CONNECTED);
    finish(&sc);
}

int main(void)
{
    test_init("test_fault");
    check_err_text();
    check_err_stale();
    check_err_permissions();
    check_garbage("FOO BAR\r\n");
    check_garbage("MSG\r\n");
    check_garbage("MSG foo 1 notanumber\r\n");
    check_partial_msg();
    check_close();
    check_messages_before_close();
    check_fragmented();
    check_unknown_sid();
    return test_done();
}
