/*
 * JetStream ordered consumers (jsSubOptions.Ordered): every message once and
 * in order, with acks as no-ops; when the consumer is lost, the library makes
 * a new one from the next stream sequence (reporting the missed heartbeats);
 * the options an ordered consumer refuses.
 */
#include "js_common.h"

static test_server g_srv;
static atomic_int g_missed;

static void on_err(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    if (err == NATS_MISSED_HEARTBEAT)
        atomic_fetch_add(&g_missed, 1);
}

typedef struct {
    atomic_int count;
    atomic_int out_of_order;
} seq_counter;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    seq_counter *c = closure;
    (void)nc;
    (void)sub;
    if (!js_data_is(m, atomic_load(&c->count)))
        atomic_fetch_add(&c->out_of_order, 1);
    atomic_fetch_add(&c->count, 1);
    natsMsg_Destroy(m);
}

static void recovers(void)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL, *asub = NULL;
    natsMsg *m = NULL;
    jsSubOptions so;

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_srv.url));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_err, NULL));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "ORD", "ord");
    js_store(nc, "ord", 0, 5);

    CHECK_OK(jsSubOptions_Init(&so));
    so.Ordered = true;
    so.Config.Heartbeat = 200LL * 1000000;
    CHECK_OK(js_SubscribeSync(&sub, js, "ord", NULL, &so, NULL));
    for (int i = 0; i < 5; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 2000));
        CHECK(js_data_is(m, i));
        /* AckNone: acks are no-ops. */
        CHECK_OK(natsMsg_Ack(m, NULL));
        natsMsg_Destroy(m);
    }

    /* The consumer goes away: a new one continues after m4. */
    jsConsumerInfo *ci = NULL;
    CHECK_OK(natsSubscription_GetConsumerInfo(&ci, sub, NULL, NULL));
    char subj[256];
    snprintf(subj, sizeof(subj), "$JS.API.CONSUMER.DELETE.ORD.%s", ci->Name);
    jsConsumerInfo_Destroy(ci);
    free(js_api(nc, subj, ""));
    js_store(nc, "ord", 5, 5);
    for (int i = 5; i < 10; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        CHECK_MSG(js_data_is(m, i), "expected m%d, got %.*s", i, natsMsg_GetDataLength(m), natsMsg_GetData(m));
        natsMsg_Destroy(m);
    }
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 300), NATS_TIMEOUT);
    CHECK(atomic_load(&g_missed) > 0);
    natsSubscription_Destroy(sub);

    /* Asynchronous: the whole stream, in order. */
    seq_counter c = {0};
    CHECK_OK(jsSubOptions_Init(&so));
    so.Ordered = true;
    CHECK_OK(js_Subscribe(&asub, js, "ord", on_msg, &c, NULL, &so, NULL));
    CHECK(WAIT_FOR(atomic_load(&c.count) == 10, 5000));
    js_store(nc, "ord", 10, 10);
    CHECK(WAIT_FOR(atomic_load(&c.count) == 20, 5000));
    CHECK_EQ(atomic_load(&c.out_of_order), 0);
    natsSubscription_Destroy(asub);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

static void refused(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    jsSubOptions so;

    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "ORDBAD", "ordbad");

#define REFUSE(setup)                                                        \
    do {                                                                     \
        CHECK_OK(jsSubOptions_Init(&so));                                    \
        so.Ordered = true;                                                   \
        setup;                                                               \
        CHECK_STATUS(js_SubscribeSync(&sub, js, "ordbad", NULL, &so, NULL),  \
                     NATS_INVALID_ARG);                                      \
    } while (0)

    REFUSE(so.Config.Durable = "d");
    REFUSE(so.Config.AckPolicy = js_AckExplicit);
    REFUSE(so.Config.MaxDeliver = 2);
    REFUSE(so.Config.DeliverSubject = "x");
    REFUSE(so.Queue = "q");
    REFUSE((so.Stream = "ORDBAD", so.Consumer = "c"));
    CHECK(sub == NULL);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("js_ordered");
    server_start_js(&g_srv);
    recovers();
    refused();
    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
