/*
 * natsConnection_Connect / natsConnection_ConnectTo: single URLs, URL
 * lists, credentials in URLs, unreachable servers, malformed URLs and
 * servers that never complete the handshake.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char g_closed[64];

static void expect_connected_to(natsConnection *nc, const char *url)
{
    char buf[256];
    CHECK_OK(natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)));
    CHECK_STR(buf, url);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    CHECK_OK(natsConnection_Flush(nc));
}

static void expect_connect_to_fails(const char *urls, natsStatus expected)
{
    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_ConnectTo(&nc, urls), expected);
    CHECK(nc == NULL);
    /* The thread's last error carries the same status. */
    natsStatus s = NATS_OK;
    const char *txt = nats_GetLastError(&s);
    CHECK_EQ(s, expected);
    CHECK(txt != NULL && txt[0] != '\0');
}

static void check_simple(test_server *srv)
{
    natsConnection *nc = NULL;
    char url[128];

    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));
    CHECK(nc != NULL);
    expect_connected_to(nc, srv->url);
    CHECK(!natsConnection_IsClosed(nc));
    natsConnection_Destroy(nc);
    nc = NULL;

    /* Without the scheme. */
    snprintf(url, sizeof(url), "127.0.0.1:%d", srv->port);
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Destroy(nc);
    nc = NULL;

    /* "localhost" resolves to the loopback server too. */
    snprintf(url, sizeof(url), "nats://localhost:%d", srv->port);
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Destroy(nc);
    nc = NULL;

    /* Through options. */
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv->url));
    CHECK_OK(natsConnection_Connect(&nc, o));
    expect_connected_to(nc, srv->url);
    natsConnection_Destroy(nc);
    nc = NULL;

    /* A second Connect with the same options gives a distinct connection. */
    natsConnection *nc2 = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_Connect(&nc2, o));
    CHECK(nc != nc2);
    natsConnection_Destroy(nc);
    natsConnection_Destroy(nc2);
    natsOptions_Destroy(o);
}

static void check_lists(test_server *srv)
{
    char urls[512];
    natsConnection *nc = NULL;

    /* A dead server in the list is skipped, whatever the order. */
    for (int i = 0; i < 5; i++) {
        snprintf(urls, sizeof(urls), "%s,%s", g_closed, srv->url);
        CHECK_OK(natsConnection_ConnectTo(&nc, urls));
        expect_connected_to(nc, srv->url);
        natsConnection_Destroy(nc);
        nc = NULL;
    }

    /* Blanks around the commas are tolerated. */
    snprintf(urls, sizeof(urls), "%s , %s", g_closed, srv->url);
    CHECK_OK(natsConnection_ConnectTo(&nc, urls));
    expect_connected_to(nc, srv->url);
    natsConnection_Destroy(nc);
    nc = NULL;

    /* Options server list plus URL. */
    natsOptions *o = NULL;
    const char *servers[] = { g_closed, g_closed };
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetServers(o, servers, 2));
    CHECK_OK(natsOptions_SetURL(o, srv->url));
    CHECK_OK(natsConnection_Connect(&nc, o));
    expect_connected_to(nc, srv->url);
    natsConnection_Destroy(nc);
    nc = NULL;

    /* Only dead servers. */
    CHECK_OK(natsOptions_SetURL(o, NULL));
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    CHECK(nc == NULL);
    natsOptions_Destroy(o);

    snprintf(urls, sizeof(urls), "%s,%s", g_closed, g_closed);
    expect_connect_to_fails(urls, NATS_NO_SERVER);
}

static void check_unreachable(void)
{
    expect_connect_to_fails(g_closed, NATS_NO_SERVER);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_closed));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
    CHECK(test_now_ms() - t0 < 10000);
    CHECK(nc == NULL);
    natsOptions_Destroy(o);
}

static bool port_4222_listening(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(4222);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void check_bad_urls(void)
{
    natsConnection *nc = NULL;

    expect_connect_to_fails("", NATS_INVALID_ARG);

    /* A port that is not a number. */
    expect_connect_to_fails("nats://127.0.0.1:abc", NATS_INVALID_ARG);

    /* An empty element at the end of a list. */
    char urls[128];
    snprintf(urls, sizeof(urls), "%s,", g_closed);
    expect_connect_to_fails(urls, NATS_INVALID_ARG);

    /* Same through options: the URL is checked when connecting. */
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, "nats://127.0.0.1:abc"));
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_INVALID_ARG);
    CHECK(nc == NULL);
    natsOptions_Destroy(o);

    /* NULL URL / NULL options / "nats://" mean the default
     * nats://localhost:4222. Only checked when nothing listens there. */
    if (!port_4222_listening()) {
        expect_connect_to_fails(NULL, NATS_NO_SERVER);
        expect_connect_to_fails("nats://", NATS_NO_SERVER);
        CHECK_STATUS(natsConnection_Connect(&nc, NULL), NATS_NO_SERVER);
        CHECK(nc == NULL);
        CHECK_OK(natsOptions_Create(&o));
        CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_NO_SERVER);
        CHECK(nc == NULL);
        natsOptions_Destroy(o);
    } else {
        test_log("something listens on 4222: default-URL checks skipped");
    }
}

static void check_credentials(void)
{
    test_server srv;
    const char *args[] = { "--user", "alice", "--pass", "s3cret", NULL };
    char url[256];
    natsConnection *nc = NULL;

    server_start(&srv, args);

    snprintf(url, sizeof(url), "nats://alice:s3cret@127.0.0.1:%d", srv.port);
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    CHECK_OK(natsConnection_Flush(nc));
    /* The connected URL is reported as given. */
    char buf[256];
    CHECK_OK(natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)));
    CHECK_STR(buf, url);
    natsConnection_Destroy(nc);
    nc = NULL;

    /* Options URL with credentials. */
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsConnection_Destroy(nc);
    nc = NULL;
    natsOptions_Destroy(o);

    /* Wrong password, no credentials. */
    snprintf(url, sizeof(url), "nats://alice:wrong@127.0.0.1:%d", srv.port);
    expect_connect_to_fails(url, NATS_CONNECTION_AUTH_FAILED);
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", srv.port);
    expect_connect_to_fails(url, NATS_CONNECTION_AUTH_FAILED);

    server_stop(&srv);
}

/* Servers that accept TCP but never complete the handshake. */
static void check_handshake_timeout(void)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_SILENT };
    fake_start(&f, &cfg);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f.url));
    CHECK_OK(natsOptions_SetTimeout(o, 300));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_TIMEOUT);
    int64_t el = test_now_ms() - t0;
    CHECK(nc == NULL);
    CHECK_MSG(el >= 250 && el < 5000, "silent server: connect failed after %lld ms",
              (long long)el);
    CHECK(atomic_load(&f.connections) >= 1);
    natsOptions_Destroy(o);
    fake_stop(&f);
}

/* A fake server whose handshake works: the connection reflects its INFO. */
static void check_fake_handshake(void)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_NORMAL };
    fake_start(&f, &cfg);

    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, f.url));
    CHECK_EQ(atomic_load(&f.connects), 1);
    char id[64];
    CHECK_OK(natsConnection_GetConnectedServerId(nc, id, sizeof(id)));
    CHECK_STR(id, "FAKE");
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Destroy(nc);
    fake_stop(&f);
}

int main(void)
{
    test_server srv;

    test_init("test_connect");
    snprintf(g_closed, sizeof(g_closed), "nats://127.0.0.1:%d", test_closed_port());

    server_start(&srv, NULL);
    check_simple(&srv);
    check_lists(&srv);
    check_unreachable();
    check_bad_urls();
    check_credentials();
    check_handshake_timeout();
    check_fake_handshake();
    server_stop(&srv);

    return test_done();
}
