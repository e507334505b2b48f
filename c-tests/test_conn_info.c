/*
 * Connection accessors: connected URL and server id, server lists,
 * client id and IP, local address, RTT, header support, max payload,
 * state queries, last error, statistics.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void free_list(char **list, int count)
{
    for (int i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

static bool list_has(char **list, int count, const char *url)
{
    for (int i = 0; i < count; i++) {
        if (strcmp(list[i], url) == 0)
            return true;
    }
    return false;
}

static void check_null_args(void)
{
    char buf[64];
    char **list = NULL;
    int count = 0;
    uint64_t cid = 0;
    char *ip = NULL;
    int port = 0;
    int64_t rtt = 0;
    const char *txt = NULL;
    natsStatistics *st = NULL;

    CHECK_STATUS(natsConnection_GetConnectedUrl(NULL, buf, sizeof(buf)), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetConnectedServerId(NULL, buf, sizeof(buf)), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetServers(NULL, &list, &count), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetDiscoveredServers(NULL, &list, &count), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetClientID(NULL, &cid), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetClientIP(NULL, &ip), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetLocalIPAndPort(NULL, &ip, &port), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetRTT(NULL, &rtt), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_HasHeaderSupport(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetLastError(NULL, &txt), NATS_INVALID_ARG);
    CHECK_OK(natsStatistics_Create(&st));
    CHECK_STATUS(natsConnection_GetStats(NULL, st), NATS_INVALID_ARG);
    CHECK_STATUS(natsStatistics_GetCounts(NULL, NULL, NULL, NULL, NULL, NULL), NATS_INVALID_ARG);
    natsStatistics_Destroy(st);
    natsStatistics_Destroy(NULL);

    CHECK_EQ(natsConnection_GetMaxPayload(NULL), 0);
    CHECK_EQ(natsConnection_Status(NULL), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(NULL));
    CHECK(!natsConnection_IsReconnecting(NULL));
    CHECK(!natsConnection_IsDraining(NULL));
    CHECK(ip == NULL);
    CHECK(list == NULL);
}

static void check_null_outputs(natsConnection *nc)
{
    char **list = NULL;
    int count = 0;
    char *ip = NULL;
    int port = 0;

    CHECK_STATUS(natsConnection_GetConnectedUrl(nc, NULL, 10), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetConnectedServerId(nc, NULL, 10), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetServers(nc, NULL, &count), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetServers(nc, &list, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetDiscoveredServers(nc, NULL, &count), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetDiscoveredServers(nc, &list, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetClientID(nc, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetClientIP(nc, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetLocalIPAndPort(nc, NULL, &port), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetLocalIPAndPort(nc, &ip, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetRTT(nc, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_GetStats(nc, NULL), NATS_INVALID_ARG);
    CHECK(ip == NULL);
    CHECK(list == NULL);
}

static void check_real(test_server *srv)
{
    natsConnection *nc = NULL, *nc2 = NULL;
    char buf[256];

    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));
    CHECK_OK(natsConnection_ConnectTo(&nc2, srv->url));
    check_null_outputs(nc);

    /* Connected URL, with exact buffer-size rules. */
    size_t ulen = strlen(srv->url);
    CHECK_OK(natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)));
    CHECK_STR(buf, srv->url);
    CHECK_STATUS(natsConnection_GetConnectedUrl(nc, buf, ulen), NATS_INSUFFICIENT_BUFFER);
    CHECK_STATUS(natsConnection_GetConnectedUrl(nc, buf, 5), NATS_INSUFFICIENT_BUFFER);
    CHECK_OK(natsConnection_GetConnectedUrl(nc, buf, ulen + 1));
    CHECK_STR(buf, srv->url);

    /* Server id: the real server's 56-character public key. */
    char id[128], id2[128];
    CHECK_OK(natsConnection_GetConnectedServerId(nc, id, sizeof(id)));
    CHECK_EQ(strlen(id), 56);
    CHECK(id[0] == 'N');
    CHECK_OK(natsConnection_GetConnectedServerId(nc2, id2, sizeof(id2)));
    CHECK_STR(id, id2);
    CHECK_STATUS(natsConnection_GetConnectedServerId(nc, buf, 56), NATS_INSUFFICIENT_BUFFER);
    CHECK_OK(natsConnection_GetConnectedServerId(nc, buf, 57));
    CHECK_STR(buf, id);

    /* Server lists: just this server, nothing discovered. */
    char **list = NULL;
    int count = -1;
    CHECK_OK(natsConnection_GetServers(nc, &list, &count));
    CHECK_EQ(count, 1);
    CHECK_STR(list[0], srv->url);
    free_list(list, count);
    list = NULL;
    count = -1;
    CHECK_OK(natsConnection_GetDiscoveredServers(nc, &list, &count));
    CHECK_EQ(count, 0);
    free(list);

    /* Client ids are assigned per connection by the server. */
    uint64_t cid = 0, cid2 = 0;
    CHECK_OK(natsConnection_GetClientID(nc, &cid));
    CHECK_OK(natsConnection_GetClientID(nc2, &cid2));
    CHECK(cid > 0);
    CHECK(cid2 > 0);
    CHECK(cid != cid2);

    /* Client IP as seen by the server; local address of the socket. */
    char *ip = NULL;
    CHECK_OK(natsConnection_GetClientIP(nc, &ip));
    CHECK_STR(ip, "127.0.0.1");
    free(ip);
    ip = NULL;
    int port = 0, port2 = 0;
    CHECK_OK(natsConnection_GetLocalIPAndPort(nc, &ip, &port));
    CHECK_STR(ip, "127.0.0.1");
    free(ip);
    ip = NULL;
    CHECK_OK(natsConnection_GetLocalIPAndPort(nc2, &ip, &port2));
    free(ip);
    ip = NULL;
    CHECK(port > 0 && port < 65536);
    CHECK(port2 > 0 && port != port2);
    CHECK(port != srv->port);

    /* RTT: positive, well under a second on loopback. */
    int64_t rtt = -1;
    CHECK_OK(natsConnection_GetRTT(nc, &rtt));
    CHECK_MSG(rtt > 0 && rtt < 1000000000LL, "rtt=%lld ns", (long long)rtt);

    CHECK_OK(natsConnection_HasHeaderSupport(nc));
    CHECK_EQ(natsConnection_GetMaxPayload(nc), 1024 * 1024);

    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    CHECK(!natsConnection_IsClosed(nc));
    CHECK(!natsConnection_IsReconnecting(nc));
    CHECK(!natsConnection_IsDraining(nc));

    /* No error on a healthy connection. */
    const char *txt = (const char *)1;
    CHECK_OK(natsConnection_GetLastError(nc, &txt));
    CHECK(txt == NULL || txt[0] == '\0');

    /* After close. */
    natsConnection_Close(nc);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(nc));
    CHECK(!natsConnection_IsReconnecting(nc));
    CHECK(!natsConnection_IsDraining(nc));
    CHECK_OK(natsConnection_GetConnectedUrl(nc, buf, sizeof(buf)));
    CHECK_STR(buf, "");
    CHECK_OK(natsConnection_GetConnectedServerId(nc, buf, sizeof(buf)));
    CHECK_STR(buf, "");
    CHECK_STATUS(natsConnection_GetClientID(nc, &cid), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_GetClientIP(nc, &ip), NATS_CONNECTION_CLOSED);
    CHECK(ip == NULL);
    CHECK_STATUS(natsConnection_GetLocalIPAndPort(nc, &ip, &port), NATS_CONNECTION_CLOSED);
    CHECK(ip == NULL);
    CHECK_STATUS(natsConnection_GetRTT(nc, &rtt), NATS_CONNECTION_CLOSED);
    /* Static facts remain available. */
    CHECK_EQ(natsConnection_GetMaxPayload(nc), 1024 * 1024);
    CHECK_OK(natsConnection_GetServers(nc, &list, &count));
    CHECK_EQ(count, 1);
    free_list(list, count);

    natsConnection_Destroy(nc);
    natsConnection_Destroy(nc2);
}

/* URLs reported by GetServers carry no credentials. */
static void check_servers_no_credentials(void)
{
    test_server srv;
    const char *args[] = { "--user", "bob", "--pass", "pw", NULL };
    server_start(&srv, args);

    char url[128];
    snprintf(url, sizeof(url), "nats://bob:pw@127.0.0.1:%d", srv.port);
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    char **list = NULL;
    int count = 0;
    CHECK_OK(natsConnection_GetServers(nc, &list, &count));
    CHECK_EQ(count, 1);
    CHECK_STR(list[0], srv.url);
    CHECK(strstr(list[0], "pw") == NULL);
    free_list(list, count);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

static natsConnection *connect_fake(fake_server *f, const char *info, fake_mode mode,
                                    int delay_ms)
{
    fake_config cfg = { .mode = mode, .info = info, .delay_ms = delay_ms };
    fake_start(f, &cfg);
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, f->url));
    return nc;
}

/* Values come from the server's INFO. */
static void check_info_driven(void)
{
    fake_server f;
    natsConnection *nc;
    char buf[128];

    /* Minimal INFO: no headers, no client id/ip, small payload limit. */
    nc = connect_fake(&f, "{\"server_id\":\"MINIMAL\",\"version\":\"2.10.0\",\"proto\":1,"
                          "\"max_payload\":4096}", FAKE_NORMAL, 0);
    CHECK_OK(natsConnection_GetConnectedServerId(nc, buf, sizeof(buf)));
    CHECK_STR(buf, "MINIMAL");
    CHECK_STATUS(natsConnection_HasHeaderSupport(nc), NATS_NO_SERVER_SUPPORT);
    CHECK_EQ(natsConnection_GetMaxPayload(nc), 4096);
    uint64_t cid = 99;
    CHECK_STATUS(natsConnection_GetClientID(nc, &cid), NATS_NO_SERVER_SUPPORT);
    char *ip = NULL;
    CHECK_STATUS(natsConnection_GetClientIP(nc, &ip), NATS_NO_SERVER_SUPPORT);
    CHECK(ip == NULL);
    char data[4097] = { 0 };
    CHECK_STATUS(natsConnection_Publish(nc, "x", data, 4097), NATS_MAX_PAYLOAD);
    CHECK_OK(natsConnection_Publish(nc, "x", data, 4096));

    /* The local port is the one the server accepted. */
    int port = 0;
    CHECK_OK(natsConnection_GetLocalIPAndPort(nc, &ip, &port));
    CHECK_STR(ip, "127.0.0.1");
    CHECK_EQ(port, atomic_load(&f.peer_port));
    free(ip);
    ip = NULL;
    natsConnection_Destroy(nc);
    fake_stop(&f);

    /* Full INFO. */
    nc = connect_fake(&f, "{\"server_id\":\"FULL\",\"version\":\"2.10.0\",\"proto\":1,"
                          "\"headers\":true,\"max_payload\":65536,\"client_id\":42,"
                          "\"client_ip\":\"10.1.2.3\"}", FAKE_NORMAL, 0);
    CHECK_OK(natsConnection_HasHeaderSupport(nc));
    CHECK_EQ(natsConnection_GetMaxPayload(nc), 65536);
    CHECK_OK(natsConnection_GetClientID(nc, &cid));
    CHECK_EQ(cid, 42);
    CHECK_OK(natsConnection_GetClientIP(nc, &ip));
    CHECK_STR(ip, "10.1.2.3");
    free(ip);
    natsConnection_Destroy(nc);
    fake_stop(&f);

    /* RTT measures a real round trip (PONG delayed 200 ms). */
    nc = connect_fake(&f, NULL, FAKE_DELAYED_PONG, 200);
    int64_t rtt = 0;
    CHECK_OK(natsConnection_GetRTT(nc, &rtt));
    CHECK_MSG(rtt >= 150000000LL && rtt < 10000000000LL, "rtt=%lld ns", (long long)rtt);
    natsConnection_Destroy(nc);
    fake_stop(&f);
}

/* Servers announced in INFO connect_urls. */
static void check_discovered(void)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_NORMAL };
    fake_start(&f, &cfg);

    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, f.url));
    CHECK(fake_send_str(&f, "INFO {\"server_id\":\"FAKE\",\"version\":\"2.10.0\","
                               "\"proto\":1,\"headers\":true,\"max_payload\":1048576,"
                               "\"connect_urls\":[\"127.0.0.1:4991\",\"127.0.0.1:4992\"]}\r\n"));
    char **list = NULL;
    int count = 0;
    CHECK(WAIT_FOR(({
        natsConnection_GetDiscoveredServers(nc, &list, &count);
        bool two = count == 2;
        free_list(list, count);
        list = NULL;
        two;
    }), 5000));
    CHECK_OK(natsConnection_GetDiscoveredServers(nc, &list, &count));
    CHECK_EQ(count, 2);
    CHECK(list_has(list, count, "nats://127.0.0.1:4991"));
    CHECK(list_has(list, count, "nats://127.0.0.1:4992"));
    free_list(list, count);
    CHECK_OK(natsConnection_GetServers(nc, &list, &count));
    CHECK_EQ(count, 3);
    CHECK(list_has(list, count, f.url));
    CHECK(list_has(list, count, "nats://127.0.0.1:4991"));
    CHECK(list_has(list, count, "nats://127.0.0.1:4992"));
    free_list(list, count);
    natsConnection_Destroy(nc);
    fake_stop(&f);
}

static void check_stats(test_server *srv)
{
    natsConnection *pub = NULL, *subc = NULL;
    natsSubscription *sub = NULL;
    natsStatistics *st = NULL;
    uint64_t im = 9, ib = 9, om = 9, ob = 9, rc = 9;
    const int n = 100;

    CHECK_OK(natsStatistics_Create(&st));
    CHECK(st != NULL);
    CHECK_OK(natsConnection_ConnectTo(&pub, srv->url));
    CHECK_OK(natsConnection_ConnectTo(&subc, srv->url));

    CHECK_OK(natsConnection_GetStats(pub, st));
    CHECK_OK(natsStatistics_GetCounts(st, &im, &ib, &om, &ob, &rc));
    CHECK_EQ(im, 0);
    CHECK_EQ(ib, 0);
    CHECK_EQ(om, 0);
    CHECK_EQ(ob, 0);
    CHECK_EQ(rc, 0);

    CHECK_OK(natsConnection_SubscribeSync(&sub, subc, "stats"));
    CHECK_OK(natsConnection_Flush(subc));
    for (int i = 0; i < n; i++)
        CHECK_OK(natsConnection_Publish(pub, "stats", "1234567", 7));
    CHECK_OK(natsConnection_PublishRequest(pub, "stats", "reply", "abc", 3));
    CHECK_OK(natsConnection_Flush(pub));
    for (int i = 0; i <= n; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        natsMsg_Destroy(m);
    }

    CHECK_OK(natsConnection_GetStats(pub, st));
    CHECK_OK(natsStatistics_GetCounts(st, &im, &ib, &om, &ob, &rc));
    CHECK_EQ(om, n + 1);
    CHECK_EQ(ob, n * 7 + 3);
    CHECK_EQ(im, 0);
    CHECK_EQ(ib, 0);
    CHECK_EQ(rc, 0);

    CHECK_OK(natsConnection_GetStats(subc, st));
    CHECK_OK(natsStatistics_GetCounts(st, &im, &ib, &om, &ob, &rc));
    CHECK_EQ(im, n + 1);
    CHECK_EQ(ib, n * 7 + 3);
    CHECK_EQ(om, 0);
    CHECK_EQ(ob, 0);

    /* A snapshot: later traffic does not change it until GetStats. */
    CHECK_OK(natsConnection_PublishString(subc, "elsewhere", "zz"));
    CHECK_OK(natsStatistics_GetCounts(st, NULL, NULL, &om, NULL, NULL));
    CHECK_EQ(om, 0);
    CHECK_OK(natsConnection_GetStats(subc, st));
    CHECK_OK(natsStatistics_GetCounts(st, NULL, NULL, &om, &ob, NULL));
    CHECK_EQ(om, 1);
    CHECK_EQ(ob, 2);

    /* Any subset of outputs. */
    CHECK_OK(natsStatistics_GetCounts(st, NULL, NULL, NULL, NULL, NULL));
    CHECK_OK(natsStatistics_GetCounts(st, &im, NULL, NULL, NULL, NULL));
    CHECK_EQ(im, n + 1);

    /* Still readable after close. */
    natsConnection_Close(pub);
    CHECK_OK(natsConnection_GetStats(pub, st));
    CHECK_OK(natsStatistics_GetCounts(st, NULL, NULL, &om, NULL, NULL));
    CHECK_EQ(om, n + 1);

    natsStatistics_Destroy(st);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(subc);
}

int main(void)
{
    test_server srv;

    test_init("test_conn_info");
    check_null_args();
    server_start(&srv, NULL);
    check_real(&srv);
    check_servers_no_credentials();
    check_info_driven();
    check_discovered();
    check_stats(&srv);
    server_stop(&srv);

    return test_done();
}
