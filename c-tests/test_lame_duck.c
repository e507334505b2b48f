/*
 * Lame duck mode: a server told to enter lame duck mode (SIGUSR2, what
 * `nats-server --signal ldm=<pid>` sends) announces it to its clients; the
 * lame duck callback runs once, on a library thread, before the server
 * drops the connection; the client then moves to the other server in its
 * list with its subscription. A connection without the callback just moves.
 */
#include "harness.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pthread_mutex_t mu;
    char seq[32];       /* 'L' lame duck, 'D' disconnected, 'R' reconnected, 'C' closed */
    int n;
    pthread_t main_thread;
    atomic_int on_main;
    atomic_int wrong_nc;
    natsConnection *_Atomic nc;
    atomic_int ldm;
    atomic_int disconnected;
    atomic_int reconnected;
    atomic_int closed;
} ldm_events;

static void ev_init(ldm_events *e)
{
    memset(e, 0, sizeof(*e));
    pthread_mutex_init(&e->mu, NULL);
    e->main_thread = pthread_self();
}

static void record(ldm_events *e, natsConnection *nc, char kind, atomic_int *counter)
{
    if (pthread_equal(pthread_self(), e->main_thread))
        atomic_fetch_add(&e->on_main, 1);
    natsConnection *want = atomic_load(&e->nc);
    if (want != NULL && want != nc)
        atomic_fetch_add(&e->wrong_nc, 1);
    pthread_mutex_lock(&e->mu);
    if (e->n < (int)sizeof(e->seq) - 1)
        e->seq[e->n++] = kind;
    e->seq[e->n] = '\0';
    pthread_mutex_unlock(&e->mu);
    atomic_fetch_add(counter, 1);
}

static void on_ldm(natsConnection *nc, void *closure)
{
    ldm_events *e = closure;
    record(e, nc, 'L', &e->ldm);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    ldm_events *e = closure;
    record(e, nc, 'D', &e->disconnected);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    ldm_events *e = closure;
    record(e, nc, 'R', &e->reconnected);
}

static void on_closed(natsConnection *nc, void *closure)
{
    ldm_events *e = closure;
    record(e, nc, 'C', &e->closed);
}

static void seq_of(ldm_events *e, char *out, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    snprintf(out, cap, "%s", e->seq);
    pthread_mutex_unlock(&e->mu);
}

static natsConnection *connect_pair(const char *first, const char *second, ldm_events *e,
                                    bool with_ldm_cb)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    const char *servers[2] = {first, second};
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetServers(o, servers, 2));
    CHECK_OK(natsOptions_SetNoRandomize(o, true));
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    if (with_ldm_cb)
        CHECK_OK(natsOptions_SetLameDuckModeCB(o, on_ldm, e));
    CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
    CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, e));
    CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    atomic_store(&e->nc, nc);
    return nc;
}

int main(void)
{
    test_init("test_lame_duck");

    CHECK_STATUS(natsOptions_SetLameDuckModeCB(NULL, on_ldm, NULL), NATS_INVALID_ARG);
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetLameDuckModeCB(o, on_ldm, NULL));
    CHECK_OK(natsOptions_SetLameDuckModeCB(o, NULL, NULL));
    natsOptions_Destroy(o);

    /* The shortest lame duck duration the server takes is 30 s; the grace
     * period before it starts closing clients is 1 s. The test does not wait
     * for the whole duration. */
    test_server a, b;
    server_start_conf(&a, "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1s\"\n", NULL);
    server_start(&b, NULL);

    ldm_events ev, plain;
    ev_init(&ev);
    ev_init(&plain);
    natsConnection *nc = connect_pair(a.url, b.url, &ev, true);
    natsConnection *other = connect_pair(a.url, b.url, &plain, false);
    char url[128];
    CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
    CHECK_STR(url, a.url);

    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "ldm.subj"));
    CHECK_OK(natsConnection_Flush(nc));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&ev.ldm), 0);

    test_log("signalling lame duck mode to pid %d", (int)a.pid);
    int64_t t0 = test_now_ms();
    CHECK(kill(a.pid, SIGUSR2) == 0);

    CHECK_MSG(WAIT_FOR(atomic_load(&ev.ldm) == 1, 15000), "lame duck callback not called");
    int64_t t_ldm = test_now_ms() - t0;
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 30000),
              "no reconnect after lame duck mode (%d disconnects)", atomic_load(&ev.disconnected));
    int64_t t_rec = test_now_ms() - t0;
    printf("lame duck: callback after %lld ms, reconnected to the other server after %lld ms\n",
           (long long)t_ldm, (long long)t_rec);
    fflush(stdout);

    char seq[32];
    seq_of(&ev, seq, sizeof(seq));
    CHECK_STR(seq, "LDR");
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    CHECK_EQ(atomic_load(&ev.wrong_nc), 0);
    CHECK_OK(natsConnection_GetConnectedUrl(nc, url, sizeof(url)));
    CHECK_STR(url, b.url);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);

    /* The subscription moved with it. */
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection *pub = NULL;
    CHECK_OK(natsConnection_ConnectTo(&pub, b.url));
    CHECK_OK(natsConnection_PublishString(pub, "ldm.subj", "on b"));
    CHECK_OK(natsConnection_Flush(pub));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "on b");
    natsMsg_Destroy(m);

    /* Without the callback the other connection moved as well. */
    CHECK(WAIT_FOR(atomic_load(&plain.reconnected) == 1, 30000));
    seq_of(&plain, seq, sizeof(seq));
    CHECK_STR(seq, "DR");
    CHECK_OK(natsConnection_GetConnectedUrl(other, url, sizeof(url)));
    CHECK_STR(url, b.url);

    /* Nothing more: the new server is not in lame duck mode. */
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&ev.ldm), 1);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(other);
    natsConnection_Destroy(nc);
    CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1 && atomic_load(&plain.closed) == 1, 5000));
    seq_of(&ev, seq, sizeof(seq));
    CHECK_STR(seq, "LDRDC");
    server_stop(&a);
    server_stop(&b);
    return test_done();
}
