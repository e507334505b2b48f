/*
 * Queue groups with asynchronous handlers: argument checks and queue name
 * validation; members of one group (on one or several connections) share
 * the messages, each message handled exactly once; other groups and plain
 * subscribers get every message; a member leaving; QueueSubscribeTimeout;
 * subject wildcards ('*', '>') for plain and queue subscriptions.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

static void check_args(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;

    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, NULL, "q", "g", test_noop_handler, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, NULL, "g", test_noop_handler, NULL), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "", "g", test_noop_handler, NULL), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", "g", NULL, NULL), NATS_INVALID_ARG);
    /* Queue names: NULL and "" are invalid arguments, blanks an invalid name. */
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", NULL, test_noop_handler, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", "", test_noop_handler, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", "a b", test_noop_handler, NULL),
                 NATS_INVALID_QUEUE_NAME);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", "a\tb", test_noop_handler, NULL),
                 NATS_INVALID_QUEUE_NAME);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", " ", test_noop_handler, NULL),
                 NATS_INVALID_QUEUE_NAME);
    CHECK(sub == NULL);

    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, NULL, "q", "g", 100, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, NULL, "g", 100, test_noop_handler, NULL),
                 NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", NULL, 100, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", "", 100, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", "a b", 100, test_noop_handler, NULL),
                 NATS_INVALID_QUEUE_NAME);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", "g", 0, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", "g", -1, test_noop_handler, NULL),
                 NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", "g", 100, NULL, NULL),
                 NATS_INVALID_ARG);
    CHECK(sub == NULL);

    /* Names with dots or wildcard characters are accepted. */
    CHECK_OK(natsConnection_QueueSubscribe(&sub, nc, "q", "group.one", test_noop_handler, NULL));
    natsSubscription_Destroy(sub);
    sub = NULL;
    CHECK_OK(natsConnection_QueueSubscribe(&sub, nc, "q", "g.*", test_noop_handler, NULL));
    natsSubscription_Destroy(sub);
    sub = NULL;

    natsConnection_Close(nc);
    CHECK_STATUS(natsConnection_QueueSubscribe(&sub, nc, "q", "g", test_noop_handler, NULL),
                 NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_QueueSubscribeTimeout(&sub, nc, "q", "g", 100, test_noop_handler, NULL),
                 NATS_CONNECTION_CLOSED);
    CHECK(sub == NULL);
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* Sharing                                                                  */

#define MAX_MSGS 3000

typedef struct {
    atomic_int seen[MAX_MSGS];     /* per message index, over the group */
    atomic_int total;
    atomic_int bad;
} group_state;

typedef struct {
    group_state *group;
    atomic_int count;
} member;

static void member_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    member *m = closure;
    int idx = atoi(natsMsg_GetData(msg));
    if (idx >= 0 && idx < MAX_MSGS)
        atomic_fetch_add(&m->group->seen[idx], 1);
    else
        atomic_fetch_add(&m->group->bad, 1);
    atomic_fetch_add(&m->count, 1);
    atomic_fetch_add(&m->group->total, 1);
    natsMsg_Destroy(msg);
}

static void publish_numbered(natsConnection *nc, const char *subj, int n)
{
    char buf[16];
    for (int i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof(buf), "%d", i);
        CHECK_OK(natsConnection_Publish(nc, subj, buf, len));
    }
    CHECK_OK(natsConnection_Flush(nc));
}

static void check_group_exact(group_state *g, int n, const char *what)
{
    CHECK_MSG(WAIT_FOR(atomic_load(&g->total) >= n, 20000), "%s: %d of %d messages", what,
              atomic_load(&g->total), n);
    test_sleep_ms(100);
    CHECK_EQ(atomic_load(&g->total), n);
    CHECK_EQ(atomic_load(&g->bad), 0);
    for (int i = 0; i < n; i++)
        CHECK_MSG(atomic_load(&g->seen[i]) == 1, "%s: message %d handled %d times", what, i,
                  atomic_load(&g->seen[i]));
}

static void check_sharing(void)
{
    const int n = test_under_valgrind() ? 300 : MAX_MSGS;
    natsConnection *nc1 = test_connect(g_srv.url);
    natsConnection *nc2 = test_connect(g_srv.url);
    natsConnection *pub = test_connect(g_srv.url);

    static group_state workers, others, plain;
    memset(&workers, 0, sizeof(workers));
    memset(&others, 0, sizeof(others));
    memset(&plain, 0, sizeof(plain));
    static member w[3], o1, p1;
    for (int i = 0; i < 3; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].group = &workers;
    }
    memset(&o1, 0, sizeof(o1));
    o1.group = &others;
    memset(&p1, 0, sizeof(p1));
    p1.group = &plain;

    natsSubscription *ws[3] = { NULL }, *os = NULL, *ps = NULL;
    CHECK_OK(natsConnection_QueueSubscribe(&ws[0], nc1, "jobs", "workers", member_handler, &w[0]));
    CHECK_OK(natsConnection_QueueSubscribe(&ws[1], nc1, "jobs", "workers", member_handler, &w[1]));
    CHECK_OK(natsConnection_QueueSubscribe(&ws[2], nc2, "jobs", "workers", member_handler, &w[2]));
    CHECK_OK(natsConnection_QueueSubscribe(&os, nc2, "jobs", "others", member_handler, &o1));
    CHECK_OK(natsConnection_Subscribe(&ps, nc1, "jobs", member_handler, &p1));
    CHECK_STR(natsSubscription_GetSubject(ws[0]), "jobs");
    CHECK_OK(natsConnection_Flush(nc1));
    CHECK_OK(natsConnection_Flush(nc2));

    publish_numbered(pub, "jobs", n);
    check_group_exact(&workers, n, "group workers");
    check_group_exact(&others, n, "group others");
    check_group_exact(&plain, n, "plain subscriber");
    for (int i = 0; i < 3; i++)
        CHECK_MSG(atomic_load(&w[i].count) > 0, "member %d got nothing (%d/%d/%d)", i,
                  atomic_load(&w[0].count), atomic_load(&w[1].count), atomic_load(&w[2].count));
    test_log("shared %d messages as %d/%d/%d", n, atomic_load(&w[0].count),
             atomic_load(&w[1].count), atomic_load(&w[2].count));
    int64_t d = 0;
    CHECK_OK(natsSubscription_GetDelivered(ws[1], &d));
    CHECK_EQ(d, atomic_load(&w[1].count));

    /* One member leaves: the others take everything. */
    CHECK_OK(natsSubscription_Unsubscribe(ws[2]));
    CHECK_OK(natsConnection_Flush(nc2));
    const int n2 = 200;
    memset(&workers, 0, sizeof(workers));
    int before2 = atomic_load(&w[2].count);
    publish_numbered(pub, "jobs", n2);
    check_group_exact(&workers, n2, "group workers after one left");
    CHECK_EQ(atomic_load(&w[2].count), before2);

    for (int i = 0; i < 3; i++)
        natsSubscription_Destroy(ws[i]);
    natsSubscription_Destroy(os);
    natsSubscription_Destroy(ps);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc2);
    natsConnection_Destroy(nc1);
}

/* ------------------------------------------------------------------------ */
/* QueueSubscribeTimeout                                                    */

typedef struct {
    atomic_int msgs;
    atomic_int nulls;
} tmo_state;

static void tmo_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    tmo_state *st = closure;
    if (msg == NULL) {
        atomic_fetch_add(&st->nulls, 1);
        return;
    }
    atomic_fetch_add(&st->msgs, 1);
    natsMsg_Destroy(msg);
}

static void check_queue_timeout(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *a = NULL, *b = NULL;
    tmo_state sa, sb;
    memset(&sa, 0, sizeof(sa));
    memset(&sb, 0, sizeof(sb));

    CHECK_OK(natsConnection_QueueSubscribeTimeout(&a, nc, "qt", "g", 100, tmo_handler, &sa));
    CHECK_OK(natsConnection_QueueSubscribeTimeout(&b, nc, "qt", "g", 100, tmo_handler, &sb));
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < 20; i++)
        CHECK_OK(natsConnection_PublishString(nc, "qt", "x"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(atomic_load(&sa.msgs) + atomic_load(&sb.msgs) == 20, 10000));
    /* Both members see the inactivity timeout, each on its own. */
    CHECK(WAIT_FOR(atomic_load(&sa.nulls) >= 2 && atomic_load(&sb.nulls) >= 2, 5000));
    natsSubscription_Destroy(a);
    natsSubscription_Destroy(b);
    test_sleep_ms(50);
    CHECK_EQ(atomic_load(&sa.msgs) + atomic_load(&sb.msgs), 20);
    natsConnection_Destroy(nc);
}

/* ------------------------------------------------------------------------ */
/* Wildcards                                                                */

#define WC_MAX 16

typedef struct {
    pthread_mutex_t mu;
    char subjects[WC_MAX][32];
    int n;
    atomic_int count;
} wc_state;

static void wc_handler(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    wc_state *st = closure;
    pthread_mutex_lock(&st->mu);
    if (st->n < WC_MAX)
        snprintf(st->subjects[st->n++], sizeof(st->subjects[0]), "%s", natsMsg_GetSubject(msg));
    pthread_mutex_unlock(&st->mu);
    atomic_fetch_add(&st->count, 1);
    natsMsg_Destroy(msg);
}

/* `want` is a NULL-ended list; the received subjects must be the same
 * multiset. */
static void check_subjects(wc_state *st, const char *pattern, const char *const *want)
{
    int nw = 0;
    while (want[nw] != NULL)
        nw++;
    CHECK_MSG(WAIT_FOR(atomic_load(&st->count) >= nw, 5000), "\"%s\": %d of %d messages", pattern,
              atomic_load(&st->count), nw);
    pthread_mutex_lock(&st->mu);
    bool used[WC_MAX] = { false };
    bool ok = st->n == nw;
    for (int i = 0; ok && i < nw; i++) {
        bool found = false;
        for (int j = 0; j < st->n && !found; j++) {
            if (!used[j] && strcmp(st->subjects[j], want[i]) == 0) {
                used[j] = true;
                found = true;
            }
        }
        ok = found;
    }
    if (!ok) {
        for (int j = 0; j < st->n; j++)
            fprintf(stderr, "  \"%s\" got %s\n", pattern, st->subjects[j]);
    }
    pthread_mutex_unlock(&st->mu);
    CHECK_MSG(ok, "subscription \"%s\" received the wrong subjects", pattern);
}

static void check_wildcards(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsConnection *pub = test_connect(g_srv.url);
    static const char *const patterns[] = { "wc.*", "wc.>", "wc.*.c", "wc.a.>", "*.a", "wc" };
    enum { NP = sizeof(patterns) / sizeof(patterns[0]) };
    static wc_state st[NP], qst;
    natsSubscription *subs[NP] = { NULL }, *q1 = NULL, *q2 = NULL;

    for (int i = 0; i < NP; i++) {
        memset(&st[i], 0, sizeof(st[i]));
        pthread_mutex_init(&st[i].mu, NULL);
        CHECK_OK(natsConnection_Subscribe(&subs[i], nc, patterns[i], wc_handler, &st[i]));
        CHECK_STR(natsSubscription_GetSubject(subs[i]), patterns[i]);
    }
    memset(&qst, 0, sizeof(qst));
    pthread_mutex_init(&qst.mu, NULL);
    CHECK_OK(natsConnection_QueueSubscribe(&q1, nc, "wc.>", "wcq", wc_handler, &qst));
    CHECK_OK(natsConnection_QueueSubscribe(&q2, nc, "wc.>", "wcq", wc_handler, &qst));
    CHECK_OK(natsConnection_Flush(nc));

    static const char *const published[] = { "wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c", "wc", "other.a" };
    for (size_t i = 0; i < sizeof(published) / sizeof(published[0]); i++)
        CHECK_OK(natsConnection_PublishString(pub, published[i], published[i]));
    CHECK_OK(natsConnection_Flush(pub));

    check_subjects(&st[0], patterns[0], (const char *const[]){ "wc.a", "wc.b", NULL });
    check_subjects(&st[1], patterns[1],
                   (const char *const[]){ "wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c", NULL });
    check_subjects(&st[2], patterns[2], (const char *const[]){ "wc.x.c", NULL });
    check_subjects(&st[3], patterns[3], (const char *const[]){ "wc.a.b", "wc.a.b.c", NULL });
    check_subjects(&st[4], patterns[4], (const char *const[]){ "wc.a", "other.a", NULL });
    check_subjects(&st[5], patterns[5], (const char *const[]){ "wc", NULL });
    check_subjects(&qst, "wc.> (queue)",
                   (const char *const[]){ "wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c", NULL });
    /* Nothing extra arrives later. */
    test_sleep_ms(100);
    check_subjects(&st[1], patterns[1],
                   (const char *const[]){ "wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c", NULL });
    check_subjects(&qst, "wc.> (queue)",
                   (const char *const[]){ "wc.a", "wc.b", "wc.a.b", "wc.a.b.c", "wc.x.c", NULL });

    for (int i = 0; i < NP; i++) {
        natsSubscription_Destroy(subs[i]);
        pthread_mutex_destroy(&st[i].mu);
    }
    natsSubscription_Destroy(q1);
    natsSubscription_Destroy(q2);
    pthread_mutex_destroy(&qst.mu);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("test_queue");
    server_start(&g_srv, NULL);

    check_args();
    check_sharing();
    check_queue_timeout();
    check_wildcards();

    server_stop(&g_srv);
    return test_done();
}
