/*
 * Reconnect: a publish flood across kill -9 and a restart on the same port
 * (every message accepted while disconnected, and every one published after
 * the reconnect, reaches a subscriber on the restarted server, in order);
 * the order and thread of the disconnected / reconnected / closed callbacks,
 * giving up after MaxReconnect; the reconnect buffer limit and
 * natsConnection_Buffered; Flush when the connection drops and Flush started
 * while reconnecting; subscriptions (sync, async, auto-unsubscribe) kept
 * across a reconnect; the reconnect count in the statistics.
 *
 * Reconnect attempts are held by a custom reconnect delay callback that
 * waits for the test, so no step depends on timing.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Connection events                                                        */
/* ------------------------------------------------------------------------ */

typedef struct {
    pthread_mutex_t mu;
    char seq[64];                 /* 'D' disconnected, 'R' reconnected, 'C' closed */
    int n;
    pthread_t main_thread;
    atomic_int on_main;           /* callbacks that ran on the main thread */
    atomic_int wrong_nc;
    natsConnection *_Atomic nc;   /* expected connection, once known */
    atomic_int disconnected;
    atomic_int reconnected;
    atomic_int closed;
    atomic_llong reconnected_at;  /* test_now_ms() of the last reconnect */
} conn_events;

static void events_init(conn_events *e)
{
    memset(e, 0, sizeof(*e));
    pthread_mutex_init(&e->mu, NULL);
    e->main_thread = pthread_self();
}

static void events_record(conn_events *e, natsConnection *nc, char kind)
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
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    conn_events *e = closure;
    events_record(e, nc, 'D');
    atomic_fetch_add(&e->disconnected, 1);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    conn_events *e = closure;
    events_record(e, nc, 'R');
    atomic_store(&e->reconnected_at, test_now_ms());
    atomic_fetch_add(&e->reconnected, 1);
}

static void on_closed(natsConnection *nc, void *closure)
{
    conn_events *e = closure;
    events_record(e, nc, 'C');
    atomic_fetch_add(&e->closed, 1);
}

static void events_seq(conn_events *e, char *out, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    snprintf(out, cap, "%s", e->seq);
    pthread_mutex_unlock(&e->mu);
}

#define CHECK_SEQ(e, expected)                                              \
    do {                                                                    \
        char seq_buf_[64];                                                  \
        events_seq((e), seq_buf_, sizeof(seq_buf_));                        \
        CHECK_STR(seq_buf_, (expected));                                    \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Holding reconnect attempts                                               */
/* ------------------------------------------------------------------------ */

typedef struct {
    atomic_int calls;       /* times the library asked for a delay */
    atomic_int last_attempts;
    atomic_int release;     /* 0: hold, 1: let the next attempt go */
    atomic_int on_main;
    pthread_t main_thread;
} reconnect_hold;

static void hold_init(reconnect_hold *h)
{
    memset(h, 0, sizeof(*h));
    h->main_thread = pthread_self();
}

/* Blocks the library's reconnect logic until the test releases it (bounded
 * so that a broken run ends in a test failure, not a hang). */
static int64_t hold_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    reconnect_hold *h = closure;
    if (pthread_equal(pthread_self(), h->main_thread))
        atomic_fetch_add(&h->on_main, 1);
    atomic_store(&h->last_attempts, attempts);
    atomic_fetch_add(&h->calls, 1);
    int64_t deadline = test_now_ms() + 30000;
    while (!atomic_load(&h->release) && test_now_ms() < deadline)
        test_sleep_ms(1);
    return 1;
}

static natsOptions *base_opts(const char *url, conn_events *e)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, true));
    if (e != NULL) {
        CHECK_OK(natsOptions_SetDisconnectedCB(o, on_disconnected, e));
        CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, e));
        CHECK_OK(natsOptions_SetClosedCB(o, on_closed, e));
    }
    return o;
}

static natsConnection *connect_plain(const char *url)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, url));
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    return nc;
}

static uint64_t stat_reconnects(natsConnection *nc)
{
    natsStatistics *st = NULL;
    uint64_t r = 0;
    CHECK_OK(natsStatistics_Create(&st));
    CHECK_OK(natsConnection_GetStats(nc, st));
    CHECK_OK(natsStatistics_GetCounts(st, NULL, NULL, NULL, NULL, &r));
    natsStatistics_Destroy(st);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Publish flood across kill -9 and restart                                 */
/* ------------------------------------------------------------------------ */

enum {
    CLS_UNKNOWN = 0,   /* published around the disconnect: may be lost */
    CLS_BUFFERED = 1,  /* accepted while reconnecting: must arrive */
    CLS_AFTER = 2,     /* published after the reconnect: must arrive */
    CLS_FAILED = 3,    /* Publish returned an error */
};

typedef struct {
    natsConnection *pub;
    conn_events *ev;
    int max_msgs;
    int slow_after;
    int buffered_target;     /* stop buffering at this many */
    int after_target;        /* messages to publish after the reconnect */
    unsigned char *cls;      /* per sequence number (1-based) */
    atomic_int published;    /* last sequence number used */
    atomic_int buffered;
    atomic_int after;
    atomic_int failed_must;  /* errors where a message had to be accepted */
    atomic_int first_error;  /* natsStatus of the first error */
    atomic_int stop;
} flood;

static void *flood_thread(void *arg)
{
    flood *f = arg;
    char payload[32];
    int seq = 0;
    while (!atomic_load(&f->stop) && seq < f->max_msgs) {
        bool reconnected_before = atomic_load(&f->ev->reconnected) > 0;
        bool rec_before = natsConnection_IsReconnecting(f->pub);
        if (rec_before && atomic_load(&f->buffered) >= f->buffered_target) {
            /* Enough in the reconnect buffer: wait for the reconnect. */
            test_sleep_ms(1);
            continue;
        }
        /* Past the kill point and not yet disconnected: keep publishing,
         * at a bounded rate, until the library notices the dead server. */
        if (!rec_before && !reconnected_before && seq >= f->slow_after && seq % 100 == 0)
            test_sleep_ms(1);
        seq++;
        snprintf(payload, sizeof(payload), "%d", seq);
        natsStatus s = natsConnection_PublishString(f->pub, "flood", payload);
        bool rec_after = natsConnection_IsReconnecting(f->pub);
        unsigned char c = CLS_UNKNOWN;
        if (s != NATS_OK) {
            c = CLS_FAILED;
            atomic_compare_exchange_strong(&f->first_error, &(int){0}, (int)s);
            if ((rec_before && rec_after) || (reconnected_before && !rec_before))
                atomic_fetch_add(&f->failed_must, 1);
        } else if (rec_before && rec_after) {
            c = CLS_BUFFERED;
            atomic_fetch_add(&f->buffered, 1);
        } else if (reconnected_before && !rec_before) {
            c = CLS_AFTER;
            atomic_fetch_add(&f->after, 1);
        }
        f->cls[seq] = c;
        atomic_store(&f->published, seq);
        if (atomic_load(&f->after) >= f->after_target)
            break;
    }
    return NULL;
}

typedef struct {
    int *seqs;
    int cap;
    atomic_int n;
    atomic_int bad_payload;
} receiver;

static void receiver_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    receiver *r = closure;
    const char *d = natsMsg_GetData(msg);
    int v = (d != NULL) ? atoi(d) : 0;
    if (v <= 0)
        atomic_fetch_add(&r->bad_payload, 1);
    int i = atomic_load(&r->n);
    if (i < r->cap) {
        r->seqs[i] = v;
        atomic_store(&r->n, i + 1);   /* single delivery thread */
    }
    natsMsg_Destroy(msg);
}

static void check_flood_restart(void)
{
    test_server srv;
    server_start(&srv, NULL);

    const bool vg = test_under_valgrind();
    const int before_kill = vg ? 2000 : 20000;
    const int buffered_target = vg ? 1000 : 10000;
    const int after_target = vg ? 2000 : 20000;
    const int max_msgs = before_kill + buffered_target + after_target + 2000000;

    conn_events ev;
    events_init(&ev);
    reconnect_hold hold;
    hold_init(&hold);

    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, hold_delay, &hold));
    natsConnection *pub = NULL;
    CHECK_OK(natsConnection_Connect(&pub, o));
    natsOptions_Destroy(o);
    atomic_store(&ev.nc, pub);

    flood f;
    memset(&f, 0, sizeof(f));
    f.pub = pub;
    f.ev = &ev;
    f.max_msgs = max_msgs;
    f.slow_after = before_kill;
    f.buffered_target = buffered_target;
    f.after_target = after_target;
    f.cls = calloc((size_t)max_msgs + 1, 1);
    CHECK(f.cls != NULL);

    pthread_t th;
    CHECK(pthread_create(&th, NULL, flood_thread, &f) == 0);

    CHECK_MSG(WAIT_FOR(atomic_load(&f.published) >= before_kill, 20000),
              "flood did not start (published %d)", atomic_load(&f.published));
    server_kill(&srv);
    int64_t killed_at = test_now_ms();

    /* The library noticed and is waiting on our delay callback. */
    CHECK_MSG(WAIT_FOR(atomic_load(&hold.calls) >= 1, 15000),
              "custom reconnect delay callback never called");
    CHECK_EQ(atomic_load(&hold.last_attempts), 1);
    CHECK(natsConnection_IsReconnecting(pub));
    CHECK_EQ(natsConnection_Status(pub), NATS_CONN_STATUS_RECONNECTING);
    CHECK(WAIT_FOR(atomic_load(&ev.disconnected) == 1, 5000));
    CHECK_EQ(atomic_load(&ev.reconnected), 0);

    CHECK_MSG(WAIT_FOR(atomic_load(&f.buffered) >= buffered_target, 20000),
              "only %d messages accepted while disconnected (first error %d)",
              atomic_load(&f.buffered), atomic_load(&f.first_error));

    /* Restart and get a subscriber in place before the publisher may
     * reconnect. */
    server_restart(&srv);
    receiver r;
    memset(&r, 0, sizeof(r));
    r.cap = max_msgs;
    r.seqs = calloc((size_t)r.cap, sizeof(int));
    CHECK(r.seqs != NULL);
    natsConnection *subc = connect_plain(srv.url);
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_Subscribe(&sub, subc, "flood", receiver_handler, &r));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, 10000000, 1024 * 1024 * 1024));
    CHECK_OK(natsConnection_Flush(subc));
    CHECK(natsConnection_IsReconnecting(pub));
    CHECK_EQ(atomic_load(&ev.reconnected), 0);
    atomic_store(&hold.release, 1);

    CHECK_MSG(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 15000), "publisher did not reconnect");
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_OK(natsConnection_FlushTimeout(pub, 20000));
    const int last = atomic_load(&f.published);
    CHECK_MSG(atomic_load(&f.after) >= after_target, "only %d published after the reconnect",
              atomic_load(&f.after));
    CHECK_MSG(atomic_load(&f.failed_must) == 0,
              "%d publishes failed while disconnected or after the reconnect (first %d)",
              atomic_load(&f.failed_must), atomic_load(&f.first_error));

    /* Everything up to `last` that must arrive, has arrived. */
    CHECK_OK(natsConnection_FlushTimeout(subc, 10000));
    int first_buffered = 0;
    for (int s = 1; s <= last; s++) {
        if (f.cls[s] == CLS_BUFFERED) {
            first_buffered = s;
            break;
        }
    }
    CHECK(first_buffered > 0);
    WAIT_FOR(atomic_load(&r.n) > 0 && r.seqs[atomic_load(&r.n) - 1] == last, 20000);

    const int n = atomic_load(&r.n);
    CHECK_EQ(atomic_load(&r.bad_payload), 0);
    /* In order, no duplicates. */
    int order_errors = 0;
    for (int i = 1; i < n; i++)
        if (r.seqs[i] <= r.seqs[i - 1])
            order_errors++;
    /* Every message from the first buffered one to the last is there. */
    unsigned char *seen = calloc((size_t)last + 1, 1);
    CHECK(seen != NULL);
    for (int i = 0; i < n; i++)
        if (r.seqs[i] >= 1 && r.seqs[i] <= last)
            seen[r.seqs[i]] = 1;
    int lost = 0, lost_must = 0, first_lost = 0;
    for (int s = first_buffered; s <= last; s++) {
        if (!seen[s]) {
            lost++;
            if (first_lost == 0)
                first_lost = s;
            if (f.cls[s] == CLS_BUFFERED || f.cls[s] == CLS_AFTER)
                lost_must++;
        }
    }
    printf("flood: published %d (killed after %d), accepted while disconnected %d, "
           "after reconnect %d, received %d, lost %d, out of order %d, "
           "reconnected %lld ms after the kill\n",
           last, before_kill, atomic_load(&f.buffered), atomic_load(&f.after), n, lost,
           order_errors, (long long)(atomic_load(&ev.reconnected_at) - killed_at));
    fflush(stdout);
    CHECK_MSG(lost == 0, "%d messages lost (%d accepted while disconnected or after the "
              "reconnect), first lost #%d, first buffered #%d", lost, lost_must, first_lost,
              first_buffered);
    CHECK_EQ(order_errors, 0);
    /* Nothing before the first buffered message reached the new server
     * ahead of it except older messages in order (already checked). */
    CHECK_EQ(r.seqs[n - 1], last);

    CHECK_EQ(stat_reconnects(pub), 1);
    CHECK_SEQ(&ev, "DR");
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    CHECK_EQ(atomic_load(&hold.on_main), 0);
    CHECK_EQ(atomic_load(&ev.wrong_nc), 0);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(subc);
    natsConnection_Destroy(pub);
    CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1, 5000));
    free(seen);
    free(r.seqs);
    free(f.cls);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */
/* Callback order and thread                                                */
/* ------------------------------------------------------------------------ */

static void check_callbacks_reconnect(void)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev;
    events_init(&ev);
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    CHECK_OK(natsOptions_SetReconnectJitter(o, 0, 0));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    atomic_store(&ev.nc, nc);
    CHECK_EQ(stat_reconnects(nc), 0);

    for (int round = 1; round <= 2; round++) {
        server_kill(&srv);
        CHECK(WAIT_FOR(atomic_load(&ev.disconnected) == round, 10000));
        CHECK(natsConnection_IsReconnecting(nc));
        CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_RECONNECTING);
        CHECK(!natsConnection_IsClosed(nc));
        server_restart(&srv);
        CHECK_MSG(WAIT_FOR(atomic_load(&ev.reconnected) == round, 15000),
                  "round %d: no reconnected callback", round);
        CHECK(!natsConnection_IsReconnecting(nc));
        CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
        CHECK_OK(natsConnection_Flush(nc));
        CHECK_EQ(stat_reconnects(nc), (uint64_t)round);
    }
    CHECK_SEQ(&ev, "DRDR");
    CHECK_EQ(atomic_load(&ev.closed), 0);

    natsConnection_Close(nc);
    CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1, 5000));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    /* Closing a connected connection reports the disconnect, then the close. */
    CHECK_SEQ(&ev, "DRDRDC");
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    CHECK_EQ(atomic_load(&ev.wrong_nc), 0);
    natsConnection_Destroy(nc);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&ev.closed), 1);
    server_stop(&srv);
}

static void check_give_up(void)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev;
    events_init(&ev);
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetMaxReconnect(o, 3));
    CHECK_OK(natsOptions_SetReconnectWait(o, 20));
    CHECK_OK(natsOptions_SetReconnectJitter(o, 0, 0));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    atomic_store(&ev.nc, nc);

    server_kill(&srv);
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.closed) >= 1, 15000),
              "connection not closed after MaxReconnect attempts");
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK(natsConnection_IsClosed(nc));
    test_sleep_ms(200);
    CHECK_SEQ(&ev, "DC");
    CHECK_EQ(atomic_load(&ev.closed), 1);
    CHECK_EQ(atomic_load(&ev.reconnected), 0);
    CHECK_EQ(atomic_load(&ev.on_main), 0);
    CHECK_EQ(stat_reconnects(nc), 0);
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "y"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_Flush(nc), NATS_CONNECTION_CLOSED);
    CHECK_EQ(natsConnection_Buffered(nc), -1);

    /* Close and Destroy on the closed connection: no second callback. */
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
    test_sleep_ms(50);
    CHECK_SEQ(&ev, "DC");
    server_stop(&srv);
}

/* With a custom delay, the callback is told how many passes over the server
 * list have failed (1, 2, 3...), and the connection gives up after
 * MaxReconnect attempts just the same. */
typedef struct {
    atomic_int calls;
    atomic_int bad_sequence;
    atomic_int on_main;
    pthread_t main_thread;
} counting_delay;

static int64_t count_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    counting_delay *c = closure;
    int n = atomic_fetch_add(&c->calls, 1) + 1;
    if (attempts != n)
        atomic_fetch_add(&c->bad_sequence, 1);
    if (pthread_equal(pthread_self(), c->main_thread))
        atomic_fetch_add(&c->on_main, 1);
    return 10;
}

static void check_custom_delay_give_up(void)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev;
    events_init(&ev);
    counting_delay cd;
    memset(&cd, 0, sizeof(cd));
    cd.main_thread = pthread_self();
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetMaxReconnect(o, 4));
    CHECK_OK(natsOptions_SetReconnectWait(o, 60000));   /* ignored with a custom delay */
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, count_delay, &cd));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);

    server_kill(&srv);
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.closed) == 1, 15000),
              "custom delay: connection not closed (delay calls %d)", atomic_load(&cd.calls));
    CHECK_SEQ(&ev, "DC");
    CHECK(atomic_load(&cd.calls) >= 1);
    CHECK(atomic_load(&cd.calls) <= 4);
    CHECK_EQ(atomic_load(&cd.bad_sequence), 0);
    CHECK_EQ(atomic_load(&cd.on_main), 0);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */
/* Reconnect buffer                                                         */
/* ------------------------------------------------------------------------ */

static void check_reconnect_buffer(void)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev;
    events_init(&ev);
    reconnect_hold hold;
    hold_init(&hold);
    const int bufsize = 1024;
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetReconnectBufSize(o, bufsize));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, hold_delay, &hold));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    CHECK_EQ(natsConnection_Buffered(nc), 0);

    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&hold.calls) >= 1, 15000));
    CHECK(natsConnection_IsReconnecting(nc));

    /* "PUB rb 100\r\n" + 100 bytes + "\r\n" = 114 bytes per message. */
    char payload[100];
    memset(payload, 'x', sizeof(payload));
    int accepted = 0;
    natsStatus s = NATS_OK;
    for (int i = 0; i < 1000; i++) {
        payload[0] = (char)('a' + (accepted % 26));
        s = natsConnection_Publish(nc, "rb", payload, (int)sizeof(payload));
        if (s != NATS_OK)
            break;
        accepted++;
    }
    CHECK_STATUS(s, NATS_INSUFFICIENT_BUFFER);
    /* As nats.c: a publish is refused once the buffered bytes reach the
     * size; the message that crosses it is still taken. */
    const int per_msg = 114;
    CHECK_MSG((accepted - 1) * per_msg < bufsize && accepted * per_msg >= bufsize,
              "accepted %d messages of %d bytes in a %d byte buffer", accepted, per_msg, bufsize);
    /* Still full, for any size. */
    CHECK_STATUS(natsConnection_Publish(nc, "rb", payload, (int)sizeof(payload)),
                 NATS_INSUFFICIENT_BUFFER);
    CHECK_STATUS(natsConnection_Publish(nc, "rb", "z", 1), NATS_INSUFFICIENT_BUFFER);
    CHECK(natsConnection_IsReconnecting(nc));

    /* The buffered messages reach a subscriber on the restarted server. */
    server_restart(&srv);
    natsConnection *subc = connect_plain(srv.url);
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, subc, "rb"));
    CHECK_OK(natsConnection_Flush(subc));
    atomic_store(&hold.release, 1);
    CHECK(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 15000));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_EQ(natsConnection_Buffered(nc), 0);
    for (int i = 0; i < accepted; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        CHECK_EQ(natsMsg_GetDataLength(m), 100);
        CHECK_EQ(natsMsg_GetData(m)[0], 'a' + (i % 26));
        natsMsg_Destroy(m);
    }
    natsMsg *extra = NULL;
    CHECK_STATUS(natsSubscription_NextMsg(&extra, sub, 200), NATS_TIMEOUT);
    /* Connected again: the buffer limit no longer applies. */
    for (int i = 0; i < 50; i++)
        CHECK_OK(natsConnection_Publish(nc, "rb", payload, (int)sizeof(payload)));
    CHECK_OK(natsConnection_Flush(nc));

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(subc);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */
/* Flush and a dropped connection                                           */
/* ------------------------------------------------------------------------ */

typedef struct {
    natsConnection *nc;
    int64_t timeout;
    atomic_int done;
    atomic_int status;
    atomic_llong ended_at;
} flush_call;

static void *flush_thread(void *arg)
{
    flush_call *fc = arg;
    natsStatus s = natsConnection_FlushTimeout(fc->nc, fc->timeout);
    atomic_store(&fc->status, (int)s);
    atomic_store(&fc->ended_at, test_now_ms());
    atomic_store(&fc->done, 1);
    return NULL;
}

/* A flush waiting for its PONG when the connection drops ends at once. */
static void check_flush_at_disconnect(bool allow_reconnect)
{
    fake_server fk;
    fake_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = FAKE_NO_PONG;
    fake_start(&fk, &cfg);

    conn_events ev;
    events_init(&ev);
    natsOptions *o = base_opts(fk.url, &ev);
    CHECK_OK(natsOptions_SetAllowReconnect(o, allow_reconnect));
    CHECK_OK(natsOptions_SetReconnectWait(o, 100));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 100));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);

    flush_call fc;
    memset(&fc, 0, sizeof(fc));
    fc.nc = nc;
    fc.timeout = 20000;
    pthread_t th;
    int pings_before = atomic_load(&fk.pings);
    CHECK(pthread_create(&th, NULL, flush_thread, &fc) == 0);
    /* The flush PING reached the fake, which will not answer it. */
    CHECK(WAIT_FOR(atomic_load(&fk.pings) > pings_before, 5000));
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&fc.done), 0);

    int64_t t0 = test_now_ms();
    fake_close_client(&fk);
    CHECK_MSG(WAIT_FOR(atomic_load(&fc.done), 5000),
              "flush still waiting after the connection dropped");
    CHECK(pthread_join(th, NULL) == 0);
    int64_t waited = atomic_load(&fc.ended_at) - t0;
    CHECK_MSG(waited < 5000, "flush returned %lld ms after the disconnect", (long long)waited);
    CHECK_STATUS((natsStatus)atomic_load(&fc.status),
                 allow_reconnect ? NATS_CONNECTION_DISCONNECTED : NATS_CONNECTION_CLOSED);
    if (allow_reconnect) {
        /* It reconnects to the fake, which answers the handshake. */
        CHECK(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 10000));
        CHECK_SEQ(&ev, "DR");
    } else {
        CHECK(WAIT_FOR(atomic_load(&ev.closed) == 1, 10000));
        CHECK_SEQ(&ev, "DC");
    }
    natsConnection_Destroy(nc);
    fake_stop(&fk);
}

/* A flush started while reconnecting waits for the reconnect, or times out. */
static void check_flush_while_reconnecting(void)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev;
    events_init(&ev);
    reconnect_hold hold;
    hold_init(&hold);
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, hold_delay, &hold));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);

    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&hold.calls) >= 1, 15000));
    CHECK(natsConnection_IsReconnecting(nc));

    /* Server down: the flush runs into its timeout. */
    int64_t t0 = test_now_ms();
    CHECK_STATUS(natsConnection_FlushTimeout(nc, 300), NATS_TIMEOUT);
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el >= 250 && el < 5000, "FlushTimeout(300) took %lld ms", (long long)el);

    /* Server back within the timeout: OK. */
    flush_call fc;
    memset(&fc, 0, sizeof(fc));
    fc.nc = nc;
    fc.timeout = 20000;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, flush_thread, &fc) == 0);
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&fc.done), 0);
    server_restart(&srv);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&fc.done), 0);    /* still held: not reconnected */
    atomic_store(&hold.release, 1);
    CHECK_MSG(WAIT_FOR(atomic_load(&fc.done), 15000), "flush did not end after the reconnect");
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_STATUS((natsStatus)atomic_load(&fc.status), NATS_OK);
    CHECK(WAIT_FOR(atomic_load(&ev.reconnected) == 1, 5000));
    CHECK_OK(natsConnection_Flush(nc));

    natsConnection_Destroy(nc);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */
/* Subscriptions across a reconnect                                         */
/* ------------------------------------------------------------------------ */

typedef struct {
    atomic_int count;
    atomic_int on_main;
    pthread_t main_thread;
} counter;

static void count_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    counter *c = closure;
    if (pthread_equal(pthread_self(), c->main_thread))
        atomic_fetch_add(&c->on_main, 1);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&c->count, 1);
}

static void check_subscriptions_survive(void)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev, pev;
    events_init(&ev);
    events_init(&pev);
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    o = base_opts(srv.url, &pev);
    CHECK_OK(natsOptions_SetReconnectWait(o, 50));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    natsConnection *pub = NULL;
    CHECK_OK(natsConnection_Connect(&pub, o));
    natsOptions_Destroy(o);

    natsSubscription *ssync = NULL, *sasync = NULL, *sauto = NULL, *sq = NULL;
    counter ca, cauto, cq;
    memset(&ca, 0, sizeof(ca));
    memset(&cauto, 0, sizeof(cauto));
    memset(&cq, 0, sizeof(cq));
    ca.main_thread = cauto.main_thread = cq.main_thread = pthread_self();
    CHECK_OK(natsConnection_SubscribeSync(&ssync, nc, "keep.sync"));
    CHECK_OK(natsConnection_Subscribe(&sasync, nc, "keep.async", count_handler, &ca));
    CHECK_OK(natsConnection_QueueSubscribe(&sq, nc, "keep.queue", "workers", count_handler, &cq));
    CHECK_OK(natsConnection_Subscribe(&sauto, nc, "keep.auto", count_handler, &cauto));
    const int max = 10;
    CHECK_OK(natsSubscription_AutoUnsubscribe(sauto, max));
    CHECK_OK(natsConnection_Flush(nc));

    /* Before: 4 of the 10 delivered. */
    CHECK_OK(natsConnection_PublishString(pub, "keep.sync", "before"));
    CHECK_OK(natsConnection_PublishString(pub, "keep.async", "before"));
    CHECK_OK(natsConnection_PublishString(pub, "keep.queue", "before"));
    for (int i = 0; i < 4; i++)
        CHECK_OK(natsConnection_PublishString(pub, "keep.auto", "before"));
    CHECK_OK(natsConnection_Flush(pub));
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, ssync, 5000));
    CHECK_STR(natsMsg_GetData(m), "before");
    natsMsg_Destroy(m);
    m = NULL;
    CHECK(WAIT_FOR(atomic_load(&ca.count) == 1 && atomic_load(&cq.count) == 1 &&
                   atomic_load(&cauto.count) == 4, 5000));

    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.disconnected) == 1 && atomic_load(&pev.disconnected) == 1, 10000));
    server_restart(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.reconnected) == 1 && atomic_load(&pev.reconnected) == 1, 15000));
    /* The subscriber's interest is registered on the new server. */
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(natsSubscription_IsValid(ssync));
    CHECK(natsSubscription_IsValid(sasync));
    CHECK(natsSubscription_IsValid(sauto));

    CHECK_OK(natsConnection_PublishString(pub, "keep.sync", "after"));
    CHECK_OK(natsConnection_PublishString(pub, "keep.async", "after"));
    CHECK_OK(natsConnection_PublishString(pub, "keep.queue", "after"));
    for (int i = 0; i < 3 * max; i++)
        CHECK_OK(natsConnection_PublishString(pub, "keep.auto", "after"));
    CHECK_OK(natsConnection_Flush(pub));

    CHECK_OK(natsSubscription_NextMsg(&m, ssync, 5000));
    CHECK_STR(natsMsg_GetData(m), "after");
    natsMsg_Destroy(m);
    m = NULL;
    CHECK(WAIT_FOR(atomic_load(&ca.count) == 2, 5000));
    CHECK(WAIT_FOR(atomic_load(&cq.count) == 2, 5000));
    CHECK_MSG(WAIT_FOR(atomic_load(&cauto.count) >= max, 5000),
              "auto-unsubscribe: %d delivered", atomic_load(&cauto.count));
    CHECK_OK(natsConnection_Flush(nc));
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&cauto.count), max);
    CHECK(WAIT_FOR(!natsSubscription_IsValid(sauto), 5000));
    CHECK_STATUS(natsSubscription_NextMsg(&m, ssync, 50), NATS_TIMEOUT);
    CHECK_EQ(atomic_load(&ca.on_main) + atomic_load(&cauto.on_main) + atomic_load(&cq.on_main), 0);
    CHECK_EQ(stat_reconnects(nc), 1);
    CHECK_EQ(stat_reconnects(pub), 1);

    /* Unsubscribed while disconnected: not re-established. */
    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.disconnected) == 2 && atomic_load(&pev.disconnected) == 2, 10000));
    CHECK_OK(natsSubscription_Unsubscribe(sasync));
    server_restart(&srv);
    CHECK(WAIT_FOR(atomic_load(&ev.reconnected) == 2 && atomic_load(&pev.reconnected) == 2, 15000));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsConnection_PublishString(pub, "keep.async", "gone"));
    CHECK_OK(natsConnection_PublishString(pub, "keep.sync", "again"));
    CHECK_OK(natsConnection_Flush(pub));
    CHECK_OK(natsSubscription_NextMsg(&m, ssync, 5000));
    CHECK_STR(natsMsg_GetData(m), "again");
    natsMsg_Destroy(m);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&ca.count), 2);
    CHECK_EQ(stat_reconnects(nc), 2);

    natsSubscription_Destroy(ssync);
    natsSubscription_Destroy(sasync);
    natsSubscription_Destroy(sauto);
    natsSubscription_Destroy(sq);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

static void noop_conn_cb(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
}

static int64_t zero_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    (void)attempts;
    (void)closure;
    return 0;
}

static void check_options(void)
{
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetAllowReconnect(o, true));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -5));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 0));
    CHECK_OK(natsOptions_SetMaxReconnect(o, 1000));
    CHECK_OK(natsOptions_SetReconnectWait(o, 0));
    CHECK_OK(natsOptions_SetReconnectWait(o, 2000));
    CHECK_STATUS(natsOptions_SetReconnectWait(o, -1), NATS_INVALID_ARG);
    CHECK_OK(natsOptions_SetReconnectJitter(o, 0, 0));
    CHECK_OK(natsOptions_SetReconnectJitter(o, 100, 1000));
    CHECK_STATUS(natsOptions_SetReconnectJitter(o, -1, 0), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetReconnectJitter(o, 0, -1), NATS_INVALID_ARG);
    CHECK_OK(natsOptions_SetReconnectBufSize(o, 0));
    CHECK_OK(natsOptions_SetReconnectBufSize(o, 1));
    CHECK_STATUS(natsOptions_SetReconnectBufSize(o, -1), NATS_INVALID_ARG);
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, zero_delay, NULL));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, NULL, NULL));
    CHECK_OK(natsOptions_SetReconnectedCB(o, noop_conn_cb, NULL));
    CHECK_OK(natsOptions_SetReconnectedCB(o, NULL, NULL));
    CHECK_OK(natsOptions_SetRetryOnFailedConnect(o, false, noop_conn_cb, NULL));

    CHECK_STATUS(natsOptions_SetAllowReconnect(NULL, true), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetMaxReconnect(NULL, 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetReconnectWait(NULL, 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetReconnectJitter(NULL, 1, 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetReconnectBufSize(NULL, 10), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetCustomReconnectDelay(NULL, zero_delay, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetReconnectedCB(NULL, noop_conn_cb, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetDiscoveredServersCB(NULL, noop_conn_cb, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsOptions_SetIgnoreDiscoveredServers(NULL, true), NATS_INVALID_ARG);
    natsOptions_Destroy(o);

    CHECK(!natsConnection_IsReconnecting(NULL));
    CHECK(!natsConnection_IsDraining(NULL));
    CHECK_EQ(natsConnection_Status(NULL), NATS_CONN_STATUS_CLOSED);
    char **servers = NULL;
    int count = 0;
    CHECK_STATUS(natsConnection_GetDiscoveredServers(NULL, &servers, &count), NATS_INVALID_ARG);
}

/* MaxReconnect 0: no attempt at all, the connection closes at once even
 * though the server is back. AllowReconnect false: the same. */
static void check_no_reconnect(bool allow)
{
    test_server srv;
    server_start(&srv, NULL);
    conn_events ev;
    events_init(&ev);
    counting_delay cd;
    memset(&cd, 0, sizeof(cd));
    cd.main_thread = pthread_self();
    natsOptions *o = base_opts(srv.url, &ev);
    CHECK_OK(natsOptions_SetAllowReconnect(o, allow));
    CHECK_OK(natsOptions_SetMaxReconnect(o, allow ? 0 : 10));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, count_delay, &cd));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);

    server_kill(&srv);
    CHECK_MSG(WAIT_FOR(atomic_load(&ev.closed) == 1, 10000), "not closed (allow %d)", allow);
    CHECK_SEQ(&ev, "DC");
    CHECK_EQ(atomic_load(&cd.calls), 0);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);
    CHECK_EQ(stat_reconnects(nc), 0);
    server_restart(&srv);
    test_sleep_ms(100);
    CHECK_SEQ(&ev, "DC");
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "y"), NATS_CONNECTION_CLOSED);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

/* ------------------------------------------------------------------------ */

int main(void)
{
    test_init("test_reconnect");

    test_log("options");
    check_options();

    test_log("flood across kill -9 and restart");
    check_flood_restart();
    test_log("callbacks: disconnected, reconnected, closed");
    check_callbacks_reconnect();
    test_log("giving up after MaxReconnect");
    check_give_up();
    check_custom_delay_give_up();
    check_no_reconnect(true);
    check_no_reconnect(false);
    test_log("reconnect buffer");
    check_reconnect_buffer();
    test_log("flush when the connection drops");
    check_flush_at_disconnect(true);
    check_flush_at_disconnect(false);
    test_log("flush while reconnecting");
    check_flush_while_reconnecting();
    test_log("subscriptions across a reconnect");
    check_subscriptions_survive();

    return test_done();
}
