/*
 * A three-node cluster on loopback. A client connected to node A only
 * learns the other two from the server (GetDiscoveredServers, the
 * discovered-servers callback); when A is killed it fails over to B or C
 * and keeps its subscription (a publisher on another node reaches it).
 * With IgnoreDiscoveredServers the list stays empty, and the connection
 * closes when A dies.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    pthread_t main_thread;
    atomic_int on_main;
    atomic_int discovered;
    atomic_int disconnected;
    atomic_int reconnected;
    atomic_int closed;
    atomic_llong reconnected_at;
} cluster_events;

static void ev_init(cluster_events *e)
{
    memset(e, 0, sizeof(*e));
    e->main_thread = pthread_self();
}

static void note_thread(cluster_events *e)
{
    if (pthread_equal(pthread_self(), e->main_thread))
        atomic_fetch_add(&e->on_main, 1);
}

static void on_discovered(natsConnection *nc, void *closure)
{
    (void)nc;
    cluster_events *e = closure;
    note_thread(e);
    atomic_fetch_add(&e->discovered, 1);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    cluster_events *e = closure;
    note_thread(e);
    atomic_fetch_add(&e->disconnected, 1);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    cluster_events *e = closure;
    note_thread(e);
    atomic_store(&e->reconnected_at, test_now_ms());
    atomic_fetch_add(&e->reconnected, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    cluster_events *e = closure;
    note_thread(e);
    atomic_fetch_add(&e->closed, 1);
}

typedef struct {
    atomic_int count;
} msg_counter;

static void count_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    msg_counter *c = closure;
    natsMsg_Destroy(msg);
    atomic_fetch_add(&c->count, 1);
}

static natsConnection *connect_node(const char *url, cluster_events *e, bool ignore_discovered,
                                    int max_reconnect)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    CHECK_OK(natsOptions_SetReconnectJitter(o, 0, 0));
    CHECK_OK(natsOptions_SetMaxReconnect(o, max_reconnect));
    CHECK_OK(natsOptions_SetIgnoreDiscoveredServers(o, ignore_discovered));
    CHECK_OK(natsOptions_SetDiscoveredServersCB(o, on_discovered, e));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

static int discovered_count(natsConnection *nc)
{
    char **servers = NULL;
    int count = -1;
    CHECK_OK(natsConnection_GetDiscoveredServers(nc, &servers, &count));
    for (int i = 0; i < count; i++)
        free(servers[i]);
    free(servers);
    return count;
}

/* True when one of the listed URLs ends with ":<port>". */
static bool list_has_port(char **servers, int count, int port)
{
    char suffix[16];
    snprintf(suffix, sizeof(suffix), ":%d", port);
    size_t sl = strlen(suffix);
    for (int i = 0; i < count; i++) {
        size_t l = strlen(servers[i]);
        if (l >= sl && strcmp(servers[i] + l - sl, suffix) == 0)
            return true;
    }
    return false;
}

static bool url_has_port(const char *url, int port)
{
    char *list[1] = {(char *)url};
    return list_has_port(list, 1, port);
}

/* Publishes on `pub` until `c` counts a message (route interest reaches the
 * other nodes asynchronously). Returns the ms it took, or -1. */
static int64_t publish_until_received(natsConnection *pub, const char *subj, msg_counter *c,
                                      int64_t timeout_ms)
{
    int before = atomic_load(&c->count);
    int64_t t0 = test_now_ms();
    while (test_now_ms() - t0 < timeout_ms) {
        CHECK_OK(natsConnection_PublishString(pub, subj, "x"));
        CHECK_OK(natsConnection_Flush(pub));
        if (WAIT_FOR(atomic_load(&c->count) > before, 50))
            return test_now_ms() - t0;
    }
    return -1;
}

static void start_node(test_server *s, const char *cluster_name, int cport, int route1,
                       int route2)
{
    char cluster[64], routes[128];
    snprintf(cluster, sizeof(cluster), "nats://127.0.0.1:%d", cport);
    snprintf(routes, sizeof(routes), "nats://127.0.0.1:%d,nats://127.0.0.1:%d", route1, route2);
    const char *args[] = {"--cluster_name", cluster_name, "--cluster", cluster, "--routes", routes,
                          NULL};
    server_start(s, args);
}

int main(void)
{
    test_init("test_cluster");

    char cname[64];
    snprintf(cname, sizeof(cname), "rnats-test-%d", (int)getpid());
    int ca = test_free_port(), cb = test_free_port(), cc = test_free_port();
    while (cb == ca)
        cb = test_free_port();
    while (cc == ca || cc == cb)
        cc = test_free_port();

    /* A alone first: what the client learns about B and C comes from the
     * server after the connect. */
    test_server a, b, c;
    start_node(&a, cname, ca, cb, cc);
    cluster_events ev;
    ev_init(&ev);
    natsConnection *nc = connect_node(a.url, &ev, false, -1);
    CHECK_EQ(discovered_count(nc), 0);
    msg_counter got;
    memset(&got, 0, sizeof(got));
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, nc, "cluster.subj", count_handler, &got));
    CHECK_OK(natsConnection_Flush(nc));

    start_node(&b, cname, cb, ca, cc);
    start_node(&c, cname, cc, ca, cb);
    test_log("nodes A %d, B %d, C %d", a.port, b.port, c.port);

    CHECK_MSG(WAIT_FOR(discovered_count(nc) == 2, 20000), "discovered %d servers",
              discovered_count(nc));
    char **servers = NULL;
    int count = 0;
    CHECK_OK(natsConnection_GetDiscoveredServers(nc, &servers, &count));
    CHECK_EQ(count, 2);
    CHECK(list_has_port(servers, count, b.port));
    CHECK(list_has_port(servers, count, c.port));
    CHECK(!list_has_port(servers, count, a.port));
    for (int i = 0; i < count; i++)
        free(servers[i]);
    free(servers);
    /* The full list holds all three. */
    servers = NULL;
    CHECK_OK(natsConnection_GetServers(nc, &servers, &count));
    CHECK_EQ(count, 3);
    CHECK(list_has_port(servers, count, a.port));
    for (int i = 0; i < count; i++)
        free(servers[i]);
    free(servers);
    CHECK(WAIT_FOR(atomic_load(&ev.discovered) >= 1, 5000));
    CHECK_EQ(atomic_load(&ev.on_main), 0);

    /* A client that ignores what the servers announce. */
    cluster_events iev;
    ev_init(&iev);
    natsConnection *inc = connect_node(a.url, &iev, true, 2);
    test_sleep_ms(200);
    CHECK_EQ(discovered_count(inc), 0);
    servers = NULL;
    CHECK_OK(natsConnection_GetServers(inc, &servers, &count));
    CHECK_EQ(count, 1);
    CHECK(list_has_port(servers, count, a.port));
    for (int i = 0; i < count; i++)
        free(servers[i]);
    free(servers);
    CHECK_EQ(atomic_load(&iev.discovered), 0);

    /* The cluster routes messages: a publisher on B reaches the client on A. */
    natsConnection *pub_b = NULL;
    CHECK_OK(natsConnection_ConnectTo(&pub_b, b.url));
    CHECK_MSG(publish_until_received(pub_b, "cluster.subj", &got, 10000) >= 0,
              "message from B never reached the subscriber on A");
    natsConnection_Destroy(pub_b);

    /* Kill A. */
    int64_t t0 = test_now_ms();
    server_kill(&a);
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 20000), "no failover (%d disconnects)",
              atomic_load(&ev.disconnected));
    int64_t failover_ms = atomic_load(&ev.reconnected_at) - t0;
    char url[128];
    CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
    bool on_b = url_has_port(url, b.port);
    bool on_c = url_has_port(url, c.port);
    CHECK_MSG(on_b || on_c, "connected to %s after the failover", url);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);

    /* The subscription followed: a publisher on the other surviving node
     * reaches it. */
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection *pub = NULL;
    CHECK_OK(natsConnection_ConnectTo(&pub, on_b ? c.url : b.url));
    int64_t first_msg_ms = publish_until_received(pub, "cluster.subj", &got, 10000);
    CHECK_MSG(first_msg_ms >= 0, "no message from the other node after the failover");
    printf("failover: reconnected to %s %lld ms after node A was killed; first message from "
           "the other node %lld ms after that\n",
           on_b ? "B" : "C", (long long)failover_ms, (long long)first_msg_ms);
    fflush(stdout);

    /* The client ignoring discovered servers had only A: it gives up. */
    CHECK_MSG(WAIT_FOR(atomic_load(&iev.closed) == 1, 20000),
              "connection ignoring discovered servers not closed");
    CHECK_EQ(atomic_load(&iev.reconnected), 0);
    CHECK_EQ(natsConnection_Status(inc), NATS_CONN_STATUS_CLOSED);

    CHECK_EQ(atomic_load(&ev.disconnected), 1);
    CHECK_EQ(atomic_load(&ev.closed), 0);
    CHECK_EQ(atomic_load(&ev.on_main) + atomic_load(&iev.on_main), 0);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(inc);
    natsConnection_Destroy(nc);
    server_stop(&a);
    server_stop(&b);
    server_stop(&c);
    return test_done();
}
