/*
 * JetStream push subscriptions: js_SubscribeSync and js_Subscribe (ephemeral
 * and durable, auto-ack after the handler, ManualAck), queue groups, flow
 * control and heartbeats handled by the library, binding to an existing
 * consumer, missed heartbeats reported to the error handler, the sequence
 * mismatch query, and which calls delete the consumer.
 */
#include "js_common.h"

static test_server g_srv;

typedef struct {
    atomic_int count;
    atomic_int bad;     /* status messages or empty payloads handed out */
    atomic_int missed;  /* NATS_MISSED_HEARTBEAT reports */
} counter;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
    counter *c = closure;
    (void)nc;
    (void)sub;
    if (natsMsg_GetDataLength(m) == 0)
        atomic_fetch_add(&c->bad, 1);
    atomic_fetch_add(&c->count, 1);
    natsMsg_Destroy(m);
}

static void on_err(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    counter *c = closure;
    (void)nc;
    (void)sub;
    if (err == NATS_MISSED_HEARTBEAT)
        atomic_fetch_add(&c->missed, 1);
}

static int64_t ack_pending(natsSubscription *sub)
{
    jsConsumerInfo *ci = NULL;
    CHECK_OK(natsSubscription_GetConsumerInfo(&ci, sub, NULL, NULL));
    int64_t n = ci->NumAckPending;
    jsConsumerInfo_Destroy(ci);
    return n;
}

static void sync_sub(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    jsConsumerSequenceMismatch csm;

    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "PSYNC", "psync.*");
    js_store(nc, "psync.a", 0, 3);

    CHECK_OK(js_SubscribeSync(&sub, js, "psync.*", NULL, NULL, NULL));
    for (int i = 0; i < 3; i++) {
        jsMsgMetaData *md = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 2000));
        CHECK(js_data_is(m, i));
        CHECK_OK(natsMsg_GetMetaData(&md, m));
        CHECK_STR(md->Stream, "PSYNC");
        CHECK_EQ(md->Sequence.Stream, i + 1);
        jsMsgMetaData_Destroy(md);
        CHECK_OK(natsMsg_AckSync(m, NULL, NULL));
        natsMsg_Destroy(m);
    }
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 200), NATS_TIMEOUT);
    CHECK_STATUS(natsSubscription_GetSequenceMismatch(&csm, sub), NATS_NOT_FOUND);
    CHECK_STATUS(natsSubscription_GetSequenceMismatch(NULL, sub), NATS_INVALID_ARG);
    CHECK_EQ(ack_pending(sub), 0);

    jsConsumerInfo *ci = NULL;
    CHECK_OK(natsSubscription_GetConsumerInfo(&ci, sub, NULL, NULL));
    char name[128];
    snprintf(name, sizeof(name), "%s", ci->Name);
    jsConsumerInfo_Destroy(ci);
    CHECK(js_consumer_exists(nc, "PSYNC", name));
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    CHECK(!js_consumer_exists(nc, "PSYNC", name));
    natsSubscription_Destroy(sub);

    /* A durable: bind to it again after Destroy (which keeps it). */
    jsSubOptions so;
    CHECK_OK(jsSubOptions_Init(&so));
    so.Config.Durable = "pdur";
    CHECK_OK(js_SubscribeSync(&sub, js, "psync.*", NULL, &so, NULL));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 2000));
        CHECK(js_data_is(m, i));
        CHECK_OK(natsMsg_AckSync(m, NULL, NULL));
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    CHECK(js_consumer_exists(nc, "PSYNC", "pdur"));

    /* Bind by stream + consumer (the durable's deliver subject). */
    CHECK_OK(jsSubOptions_Init(&so));
    so.Stream = "PSYNC";
    so.Consumer = "pdur";
    CHECK_OK(js_SubscribeSync(&sub, js, "psync.*", NULL, &so, NULL));
    js_store(nc, "psync.b", 3, 1);
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 2000));
    CHECK(js_data_is(m, 3));
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);

    /* Binding to a consumer that does not exist. */
    so.Consumer = "nope";
    CHECK_STATUS(js_SubscribeSync(&sub, js, "psync.*", NULL, &so, NULL), NATS_NOT_FOUND);
    /* Pull consumer bound by a push subscription. */
    natsSubscription *pull = NULL;
    CHECK_OK(js_PullSubscribe(&pull, js, "psync.*", "ppull", NULL, NULL, NULL));
    so.Consumer = "ppull";
    CHECK_STATUS(js_SubscribeSync(&sub, js, "psync.*", NULL, &so, NULL), NATS_ERR);
    CHECK(strstr(nats_GetLastError(NULL), "pull") != NULL);
    natsSubscription_Destroy(pull);

    /* Bad arguments. */
    sub = NULL;
    CHECK_STATUS(js_SubscribeSync(NULL, js, "psync.*", NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_SubscribeSync(&sub, NULL, "psync.*", NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_SubscribeSync(&sub, js, NULL, NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_Subscribe(&sub, js, "psync.*", NULL, NULL, NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_OK(jsSubOptions_Init(&so));
    so.Queue = "q";
    so.Config.Heartbeat = 1000000000;
    CHECK_STATUS(js_SubscribeSync(&sub, js, "psync.*", NULL, &so, NULL), NATS_INVALID_ARG);
    CHECK_OK(jsSubOptions_Init(&so));
    so.Config.Durable = "bad.name";
    CHECK_STATUS(js_SubscribeSync(&sub, js, "psync.*", NULL, &so, NULL), NATS_INVALID_ARG);
    CHECK(sub == NULL);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void async_sub(void)
{
    counter c = {0};
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL, *manual = NULL, *q1 = NULL, *q2 = NULL;
    jsSubOptions so;

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_srv.url));
    CHECK_OK(natsOptions_SetErrorHandler(o, on_err, &c));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "PASYNC", "pasync");

    /* Flow control and heartbeats: handled by the library, never handed out. */
    CHECK_OK(jsSubOptions_Init(&so));
    so.Config.FlowControl = true;
    so.Config.Heartbeat = 200LL * 1000000;
    CHECK_OK(js_Subscribe(&sub, js, "pasync", on_msg, &c, NULL, &so, NULL));
    static char big[32 * 1024];
    memset(big, 'x', sizeof(big));
    for (int i = 0; i < 300; i++)
        CHECK_OK(natsConnection_Publish(nc, "pasync", big, sizeof(big)));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(WAIT_FOR(atomic_load(&c.count) == 300, 15000));
    test_sleep_ms(600);
    CHECK_EQ(atomic_load(&c.count), 300);
    CHECK_EQ(atomic_load(&c.bad), 0);
    /* Acknowledged by the library after the handler. */
    CHECK(WAIT_FOR(ack_pending(sub) == 0, 5000));

    /* Missed heartbeats: the consumer goes away under the subscription. */
    jsConsumerInfo *ci = NULL;
    CHECK_OK(natsSubscription_GetConsumerInfo(&ci, sub, NULL, NULL));
    char subj[256];
    snprintf(subj, sizeof(subj), "$JS.API.CONSUMER.DELETE.PASYNC.%s", ci->Name);
    jsConsumerInfo_Destroy(ci);
    free(js_api(nc, subj, ""));
    CHECK(WAIT_FOR(atomic_load(&c.missed) > 0, 5000));
    natsSubscription_Destroy(sub);

    /* ManualAck: nothing acknowledged. */
    atomic_store(&c.count, 0);
    CHECK_OK(jsSubOptions_Init(&so));
    so.ManualAck = true;
    so.Config.DeliverPolicy = js_DeliverNew;
    CHECK_OK(js_Subscribe(&manual, js, "pasync", on_msg, &c, NULL, &so, NULL));
    js_store(nc, "pasync", 0, 5);
    CHECK(WAIT_FOR(atomic_load(&c.count) == 5, 5000));
    CHECK_EQ(ack_pending(manual), 5);
    natsSubscription_Destroy(manual);

    /* A queue group: the members share the messages. */
    counter c1 = {0}, c2 = {0};
    CHECK_OK(jsSubOptions_Init(&so));
    so.Queue = "grp";
    so.Config.DeliverPolicy = js_DeliverNew;
    CHECK_OK(js_Subscribe(&q1, js, "pasync", on_msg, &c1, NULL, &so, NULL));
    CHECK_OK(js_Subscribe(&q2, js, "pasync", on_msg, &c2, NULL, &so, NULL));
    js_store(nc, "pasync", 0, 40);
    CHECK(WAIT_FOR(atomic_load(&c1.count) + atomic_load(&c2.count) == 40, 5000));
    test_sleep_ms(200);
    CHECK_EQ(atomic_load(&c1.count) + atomic_load(&c2.count), 40);
    CHECK(WAIT_FOR(ack_pending(q1) == 0, 5000));
    natsSubscription_Destroy(q1);
    natsSubscription_Destroy(q2);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

int main(void)
{
    test_init("js_push");
    server_start_js(&g_srv);
    sync_sub();
    async_sub();
    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
