/*
 * Acknowledging JetStream messages: Ack, AckSync, Nak, NakWithDelay,
 * InProgress, Term (what the server does with each), acking twice, and
 * messages that are not JetStream ones (NULL, created, plain subscription);
 * natsMsg_GetMetaData errors, natsMsg_GetSequence / GetTime outside js_GetMsg.
 */
#include "js_common.h"

static test_server g_srv;

static natsMsg *fetch1(natsSubscription *sub, int timeout)
{
    natsMsgList list = {0};
    natsStatus s = natsSubscription_Fetch(&list, sub, 1, timeout, NULL);
    if (s != NATS_OK)
        return NULL;
    CHECK_EQ(list.Count, 1);
    natsMsg *m = list.Msgs[0];
    list.Msgs[0] = NULL;
    natsMsgList_Destroy(&list);
    return m;
}

static uint64_t delivered(natsMsg *m)
{
    jsMsgMetaData *md = NULL;
    CHECK_OK(natsMsg_GetMetaData(&md, m));
    uint64_t n = md->NumDelivered;
    jsMsgMetaData_Destroy(md);
    return n;
}

static void acks(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    jsOptions wait;

    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    /* With a wait, every ack waits for the server's confirmation: the server has it
     * before the next fetch. */
    CHECK_OK(jsOptions_Init(&wait));
    wait.Wait = 2000;
    js_add_stream(nc, "ACK", "ack");
    js_store(nc, "ack", 0, 3);
    CHECK_OK(js_PullSubscribe(&sub, js, "ack", "d", NULL, NULL, NULL));

    natsMsg *m = fetch1(sub, 2000);
    CHECK(m != NULL && js_data_is(m, 0));
    /* In progress is not final; Nak then redelivers. */
    CHECK_OK(natsMsg_InProgress(m, &wait));
    CHECK_OK(natsMsg_Nak(m, &wait));
    /* Already final: further acks are no-ops. */
    CHECK_OK(natsMsg_Ack(m, NULL));
    CHECK_OK(natsMsg_Term(m, NULL));
    natsMsg_Destroy(m);

    m = fetch1(sub, 2000);
    CHECK(m != NULL && js_data_is(m, 0));
    CHECK_EQ(delivered(m), 2);
    /* Redelivery after a delay: the next fetch gets the next message first. */
    CHECK_OK(natsMsg_NakWithDelay(m, 1500, &wait));
    natsMsg_Destroy(m);

    m = fetch1(sub, 1000);
    CHECK(m != NULL && js_data_is(m, 1));
    CHECK_OK(natsMsg_Term(m, &wait));
    natsMsg_Destroy(m);

    m = fetch1(sub, 1000);
    CHECK(m != NULL && js_data_is(m, 2));
    jsErrCode jerr = 0;
    CHECK_OK(natsMsg_AckSync(m, NULL, &jerr));
    CHECK_EQ(jerr, 0);
    CHECK_OK(natsMsg_AckSync(m, NULL, &jerr));
    /* Not from js_GetMsg: no stream sequence or time. */
    CHECK_EQ(natsMsg_GetSequence(m), 0);
    CHECK_EQ(natsMsg_GetTime(m), 0);
    natsMsg_Destroy(m);

    /* m0 comes back after its delay; m1 (terminated) never does. */
    int64_t t0 = test_now_ms();
    m = fetch1(sub, 3000);
    CHECK(m != NULL && js_data_is(m, 0));
    CHECK_EQ(delivered(m), 3);
    CHECK_OK(natsMsg_Ack(m, &wait));
    natsMsg_Destroy(m);
    (void)t0;
    CHECK(fetch1(sub, 500) == NULL);

    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void not_jetstream(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL, *got = NULL;
    jsMsgMetaData *md = NULL;

    CHECK_STATUS(natsMsg_Ack(NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_AckSync(NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_Nak(NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_NakWithDelay(NULL, 10, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_InProgress(NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_Term(NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_GetMetaData(NULL, NULL), NATS_INVALID_ARG);
    CHECK_EQ(natsMsg_GetSequence(NULL), 0);
    CHECK_EQ(natsMsg_GetTime(NULL), 0);

    /* A message the application made. */
    CHECK_OK(natsMsg_Create(&m, "foo", "$JS.ACK.S.C.1.2.3.4.5", "x", 1));
    CHECK_STATUS(natsMsg_Ack(m, NULL), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsMsg_Term(m, NULL), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsMsg_GetMetaData(NULL, m), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_GetMetaData(&md, m), NATS_ILLEGAL_STATE);
    CHECK(md == NULL);
    CHECK_EQ(natsMsg_GetSequence(m), 0);
    natsMsg_Destroy(m);

    /* A message of a plain subscription, without reply. */
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "plain"));
    CHECK_OK(natsConnection_PublishString(nc, "plain", "x"));
    CHECK_OK(natsSubscription_NextMsg(&got, sub, 2000));
    CHECK_STATUS(natsMsg_Ack(got, NULL), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsMsg_AckSync(got, NULL, NULL), NATS_ILLEGAL_STATE);
    CHECK_STATUS(natsMsg_GetMetaData(&md, got), NATS_ILLEGAL_STATE);
    natsMsg_Destroy(got);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_init("js_ack");
    server_start_js(&g_srv);
    acks();
    not_jetstream();
    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
