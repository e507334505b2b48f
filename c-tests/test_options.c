/*
 * natsOptions: every setter in scope with valid and invalid values, NULL
 * options, and the effect of options on the connection (CONNECT fields,
 * echo, server order, options cloned at connect time).
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void dummy_conn_cb(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
}

static void dummy_err_cb(natsConnection *nc, natsSubscription *sub,
                         natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)err;
    (void)closure;
}

/* Every setter refuses NULL options with NATS_INVALID_ARG. */
static void check_null_options(void)
{
    const char *servers[] = { "nats://127.0.0.1:1" };

    CHECK_STATUS(natsOptions_SetURL(NULL, "nats://127.0.0.1:1"), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetServers(NULL, servers, 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetNoRandomize(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetTimeout(NULL, 100), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetName(NULL, "n"), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetVerbose(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetPedantic(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetPingInterval(NULL, 100), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetMaxPingsOut(NULL, 2), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetIOBufSize(NULL, 1024), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetSendAsap(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetNoEcho(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetWriteDeadline(NULL, 100), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetErrorHandler(NULL, dummy_err_cb, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetClosedCB(NULL, dummy_conn_cb, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetDisconnectedCB(NULL, dummy_conn_cb, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetDiscoveredServersCB(NULL, dummy_conn_cb, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetIgnoreDiscoveredServers(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetAllowReconnect(NULL, false), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetMaxPendingMsgs(NULL, 10), NATS_INVALID_ARG);

    /* The thread's last error reflects the refusal. */
    natsStatus s = NATS_OK;
    nats_GetLastError(&s);
    CHECK_EQ(s, NATS_INVALID_ARG);

    /* Destroying NULL is a no-op. */
    natsOptions_Destroy(NULL);
}

static void check_values(void)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK(o != NULL);

    /* URL: any string is stored; NULL and "" clear it. Parsing happens at
     * connect time (see test_connect). */
    CHECK_OK(natsOptions_SetURL(o, "nats://127.0.0.1:4444"));
    CHECK_OK(natsOptions_SetURL(o, "nats://user:pass@127.0.0.1:4444"));
    CHECK_OK(natsOptions_SetURL(o, "nats://127.0.0.1:1,nats://127.0.0.1:2"));
    CHECK_OK(natsOptions_SetURL(o, NULL));
    CHECK_OK(natsOptions_SetURL(o, ""));

    /* Servers: a positive count needs an array; NULL/0 clears. */
    const char *servers[] = { "nats://127.0.0.1:1", "nats://127.0.0.1:2" };
    CHECK_OK(natsOptions_SetServers(o, servers, 2));
    CHECK_OK(natsOptions_SetServers(o, servers, 1));
    CHECK_OK(natsOptions_SetServers(o, NULL, 0));
    CHECK_STATUS(natsOptions_SetServers(o, NULL, 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetServers(o, servers, 0), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetServers(o, servers, -1), NATS_INVALID_ARG);

    CHECK_OK(natsOptions_SetNoRandomize(o, true));
    CHECK_OK(natsOptions_SetNoRandomize(o, false));

    /* Timeout: 0 accepted, negative refused. */
    CHECK_OK(natsOptions_SetTimeout(o, 2000));
    CHECK_OK(natsOptions_SetTimeout(o, 0));
    CHECK_STATUS(natsOptions_SetTimeout(o, -1), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetTimeout(o, -1000), NATS_INVALID_ARG);

    CHECK_OK(natsOptions_SetName(o, "a name"));
    CHECK_OK(natsOptions_SetName(o, ""));
    CHECK_OK(natsOptions_SetName(o, NULL));

    CHECK_OK(natsOptions_SetVerbose(o, true));
    CHECK_OK(natsOptions_SetVerbose(o, false));
    CHECK_OK(natsOptions_SetPedantic(o, true));
    CHECK_OK(natsOptions_SetPedantic(o, false));

    /* Ping interval and max pings out: no range check. */
    CHECK_OK(natsOptions_SetPingInterval(o, 1000));
    CHECK_OK(natsOptions_SetPingInterval(o, 0));
    CHECK_OK(natsOptions_SetPingInterval(o, -1));
    CHECK_OK(natsOptions_SetMaxPingsOut(o, 5));
    CHECK_OK(natsOptions_SetMaxPingsOut(o, 0));
    CHECK_OK(natsOptions_SetMaxPingsOut(o, -1));

    /* IO buffer size: 0 means default, negative refused. */
    CHECK_OK(natsOptions_SetIOBufSize(o, 64 * 1024));
    CHECK_OK(natsOptions_SetIOBufSize(o, 1));
    CHECK_OK(natsOptions_SetIOBufSize(o, 0));
    CHECK_STATUS(natsOptions_SetIOBufSize(o, -1), NATS_INVALID_ARG);

    CHECK_OK(natsOptions_SetSendAsap(o, true));
    CHECK_OK(natsOptions_SetSendAsap(o, false));
    CHECK_OK(natsOptions_SetNoEcho(o, true));
    CHECK_OK(natsOptions_SetNoEcho(o, false));

    /* Write deadline: 0 means none, negative refused. */
    CHECK_OK(natsOptions_SetWriteDeadline(o, 500));
    CHECK_OK(natsOptions_SetWriteDeadline(o, 0));
    CHECK_STATUS(natsOptions_SetWriteDeadline(o, -1), NATS_INVALID_ARG);

    /* Callbacks: setting and clearing. */
    CHECK_OK(natsOptions_SetErrorHandler(o, dummy_err_cb, o));
    CHECK_OK(natsOptions_SetErrorHandler(o, NULL, NULL));
    CHECK_OK(natsOptions_SetClosedCB(o, dummy_conn_cb, o));
    CHECK_OK(natsOptions_SetClosedCB(o, NULL, NULL));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, dummy_conn_cb, o));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, NULL, NULL));
    CHECK_OK(natsOptions_SetDiscoveredServersCB(o, dummy_conn_cb, o));
    CHECK_OK(natsOptions_SetDiscoveredServersCB(o, NULL, NULL));

    CHECK_OK(natsOptions_SetIgnoreDiscoveredServers(o, true));
    CHECK_OK(natsOptions_SetIgnoreDiscoveredServers(o, false));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsOptions_SetAllowReconnect(o, true));

    /* Max pending messages: must be positive. */
    CHECK_OK(natsOptions_SetMaxPendingMsgs(o, 1));
    CHECK_OK(natsOptions_SetMaxPendingMsgs(o, 100000));
    CHECK_STATUS(natsOptions_SetMaxPendingMsgs(o, 0), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetMaxPendingMsgs(o, -1), NATS_INVALID_ARG);

    natsOptions_Destroy(o);
}

/* The CONNECT line the fake server saw, with all blanks removed. */
static char *connect_line(fake_server *f)
{
    char *all = fake_received_copy(f);
    char *start = strstr(all, "CONNECT");
    CHECK_MSG(start != NULL, "no CONNECT received: %s", all);
    char *end = strstr(start, "\r\n");
    CHECK(end != NULL);
    *end = '\0';
    char *out = malloc(strlen(start) + 1);
    CHECK(out != NULL);
    size_t j = 0;
    for (char *p = start + strlen("CONNECT"); *p; p++) {
        if (*p != ' ' && *p != '\t')
            out[j++] = *p;
    }
    out[j] = '\0';
    free(all);
    return out;
}

static void check_connect_fields(void)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_NORMAL };
    fake_start(&f, &cfg);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f.url));
    CHECK_OK(natsOptions_SetName(o, "opt-test-client"));
    CHECK_OK(natsOptions_SetVerbose(o, false));
    CHECK_OK(natsOptions_SetPedantic(o, true));
    CHECK_OK(natsOptions_SetNoEcho(o, true));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsConnection_Connect(&nc, o));

    char *c = connect_line(&f);
    CHECK_MSG(c[0] == '{', "CONNECT payload is not JSON: %s", c);
    CHECK_MSG(strstr(c, "\"name\":\"opt-test-client\"") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"verbose\":false") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"pedantic\":true") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"echo\":false") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"lang\":\"C\"") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"headers\":true") != NULL, "%s", c);
    free(c);
    natsConnection_Destroy(nc);
    nc = NULL;

    /* Defaults: no (or an empty) name, echo on, pedantic off. */
    fake_stop(&f);
    fake_start(&f, &cfg);
    natsOptions_Destroy(o);
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f.url));
    CHECK_OK(natsConnection_Connect(&nc, o));
    c = connect_line(&f);
    CHECK_MSG(strstr(c, "\"name\"") == NULL
              || strstr(c, "\"name\":\"\"") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"pedantic\":false") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"verbose\":false") != NULL, "%s", c);
    CHECK_MSG(strstr(c, "\"echo\":false") == NULL, "%s", c);
    free(c);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    fake_stop(&f);
}

/* Options are copied at connect time; later changes do not matter, and
 * one options object serves several connections. */
static void check_cloned(test_server *a, test_server *b)
{
    natsOptions *o = NULL;
    natsConnection *nc1 = NULL, *nc2 = NULL;
    char url[256];

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, a->url));
    CHECK_OK(natsConnection_Connect(&nc1, o));
    CHECK_OK(natsOptions_SetURL(o, b->url));
    CHECK_OK(natsConnection_Connect(&nc2, o));

    CHECK_OK(natsConnection_GetConnectedUrl(nc1, url, sizeof(url)));
    CHECK_STR(url, a->url);
    CHECK_OK(natsConnection_GetConnectedUrl(nc2, url, sizeof(url)));
    CHECK_STR(url, b->url);

    /* Destroying the options does not affect live connections. */
    natsOptions_Destroy(o);
    CHECK_OK(natsConnection_Flush(nc1));
    CHECK_OK(natsConnection_Flush(nc2));

    natsConnection_Destroy(nc1);
    natsConnection_Destroy(nc2);
}

/* NoRandomize keeps the given order: URL first, then the servers list. */
static void check_no_randomize(test_server *a, test_server *b)
{
    char closed[64];
    snprintf(closed, sizeof(closed), "nats://127.0.0.1:%d", test_closed_port());

    for (int round = 0; round < 5; round++) {
        natsOptions *o = NULL;
        natsConnection *nc = NULL;
        char url[256];
        const char *servers[] = { closed, a->url, b->url };

        CHECK_OK(natsOptions_Create(&o));
        CHECK_OK(natsOptions_SetServers(o, servers, 3));
        CHECK_OK(natsOptions_SetNoRandomize(o, true));
        CHECK_OK(natsConnection_Connect(&nc, o));
        CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
        CHECK_STR(url, a->url);
        natsConnection_Destroy(nc);
        nc = NULL;

        /* SetURL's URL goes first. */
        CHECK_OK(natsOptions_SetURL(o, b->url));
        CHECK_OK(natsConnection_Connect(&nc, o));
        CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
        CHECK_STR(url, b->url);
        natsConnection_Destroy(nc);
        natsOptions_Destroy(o);
    }
}

/* NoEcho against a real server: own messages are not delivered back. */
static void check_no_echo(test_server *srv)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL, *other = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv->url));
    CHECK_OK(natsOptions_SetNoEcho(o, true));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_ConnectTo(&other, srv->url));

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "echo.test"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsConnection_PublishString(nc, "echo.test", "self"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsConnection_PublishString(other, "echo.test", "other"));
    CHECK_OK(natsConnection_Flush(other));

    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "other");
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 200), NATS_TIMEOUT);
    CHECK(m == NULL);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(other);
    natsOptions_Destroy(o);
}

/* Tiny IO buffer, send-asap and verbose still move data correctly. */
static void check_io_variants(test_server *srv)
{
    for (int variant = 0; variant < 4; variant++) {
        natsOptions *o = NULL;
        natsConnection *nc = NULL;
        natsSubscription *sub = NULL;
        char payload[3000];

        for (size_t i = 0; i < sizeof(payload); i++)
            payload[i] = (char)('a' + (i % 26));

        CHECK_OK(natsOptions_Create(&o));
        CHECK_OK(natsOptions_SetURL(o, srv->url));
        if (variant == 0)
            CHECK_OK(natsOptions_SetIOBufSize(o, 1));
        if (variant == 1)
            CHECK_OK(natsOptions_SetIOBufSize(o, 100));
        if (variant == 2)
            CHECK_OK(natsOptions_SetSendAsap(o, true));
        if (variant == 3)
            CHECK_OK(natsOptions_SetVerbose(o, true));
        CHECK_OK(natsConnection_Connect(&nc, o));
        CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "io.variant"));
        CHECK_OK(natsConnection_Flush(nc));

        for (int i = 0; i < 50; i++)
            CHECK_OK(natsConnection_Publish(nc, "io.variant", payload, (int)sizeof(payload)));
        if (variant == 2) {
            /* Sent in place: nothing left in the buffer. */
            CHECK_EQ(natsConnection_Buffered(nc), 0);
        }
        CHECK_OK(natsConnection_Flush(nc));
        for (int i = 0; i < 50; i++) {
            natsMsg *m = NULL;
            CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
            CHECK_EQ(natsMsg_GetDataLength(m), sizeof(payload));
            CHECK(memcmp(natsMsg_GetData(m), payload, sizeof(payload)) == 0);
            natsMsg_Destroy(m);
        }
        natsSubscription_Destroy(sub);
        natsConnection_Destroy(nc);
        natsOptions_Destroy(o);
    }
}

/* SetMaxPendingMsgs becomes the subscriptions' default message limit. */
static void check_max_pending(test_server *srv)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    int msgs = 0, bytes = 0;

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv->url));
    CHECK_OK(natsOptions_SetMaxPendingMsgs(o, 7));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "max.pending"));
    CHECK_OK(natsSubscription_GetPendingLimits(sub, &msgs, &bytes));
    CHECK_EQ(msgs, 7);
    CHECK(bytes > 0);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

int main(void)
{
    test_server a, b;

    test_init("test_options");
    check_null_options();
    check_values();
    check_connect_fields();

    server_start(&a, NULL);
    server_start(&b, NULL);
    check_cloned(&a, &b);
    check_no_randomize(&a, &b);
    check_no_echo(&a);
    check_io_variants(&a);
    check_max_pending(&a);
    server_stop(&a);
    server_stop(&b);

    return test_done();
}
