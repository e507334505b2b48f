/*
 * JetStream pull subscriptions: js_PullSubscribe, natsSubscription_Fetch and
 * FetchRequest (batches, early return, timeout, no-wait, bad requests), the
 * consumer info of a subscription, deletion of the consumer on Unsubscribe,
 * JetStream not enabled, and fetching across a server restart.
 */
#include "js_common.h"

static test_server g_srv;

static void fetch_and_ack(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    natsMsgList list = {0};
    jsErrCode jerr = 0;

    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "PULL", "pull.>");
    js_store(nc, "pull.a", 0, 5);

    CHECK_OK(js_PullSubscribe(&sub, js, "pull.>", "dur", NULL, NULL, &jerr));
    CHECK_EQ(jerr, 0);

    CHECK_OK(natsSubscription_Fetch(&list, sub, 3, 2000, &jerr));
    CHECK_EQ(list.Count, 3);
    for (int i = 0; i < list.Count; i++) {
        jsMsgMetaData *md = NULL;
        CHECK(js_data_is(list.Msgs[i], i));
        CHECK_OK(natsMsg_GetMetaData(&md, list.Msgs[i]));
        CHECK_STR(md->Stream, "PULL");
        CHECK_STR(md->Consumer, "dur");
        CHECK_EQ(md->Sequence.Stream, i + 1);
        CHECK_EQ(md->Sequence.Consumer, i + 1);
        CHECK_EQ(md->NumDelivered, 1);
        CHECK_EQ(md->NumPending, 4 - i);
        CHECK(md->Timestamp > 1600000000LL * 1000000000LL);
        jsMsgMetaData_Destroy(md);
        CHECK_OK(natsMsg_AckSync(list.Msgs[i], NULL, &jerr));
    }
    natsMsgList_Destroy(&list);
    CHECK(list.Msgs == NULL && list.Count == 0);

    /* Fewer messages than the batch: returns early with those. */
    int64_t t0 = test_now_ms();
    CHECK_OK(natsSubscription_Fetch(&list, sub, 10, 3000, NULL));
    CHECK_EQ(list.Count, 2);
    CHECK_MSG(test_now_ms() - t0 < 2500, "took %lld ms", (long long)(test_now_ms() - t0));
    for (int i = 0; i < list.Count; i++)
        CHECK_OK(natsMsg_Ack(list.Msgs[i], NULL));
    natsMsgList_Destroy(&list);

    /* Nothing left: NATS_TIMEOUT after about the timeout, an empty list. */
    t0 = test_now_ms();
    CHECK_STATUS(natsSubscription_Fetch(&list, sub, 1, 300, NULL), NATS_TIMEOUT);
    CHECK(list.Msgs == NULL && list.Count == 0);
    CHECK(test_now_ms() - t0 >= 250);

    jsFetchRequest req;
    /* A request with a byte limit and an expiration. */
    js_store(nc, "pull.b", 5, 3);
    CHECK_OK(jsFetchRequest_Init(&req));
    req.Batch = 10;
    req.MaxBytes = 1024;
    req.Expires = 1000LL * 1000000;
    CHECK_OK(natsSubscription_FetchRequest(&list, sub, &req));
    CHECK_EQ(list.Count, 3);
    CHECK(js_data_is(list.Msgs[0], 5));
    for (int i = 0; i < list.Count; i++)
        CHECK_OK(natsMsg_Ack(list.Msgs[i], NULL));
    natsMsgList_Destroy(&list);

    /* The subscription's consumer. */
    jsConsumerInfo *ci = NULL;
    CHECK_OK(natsSubscription_GetConsumerInfo(&ci, sub, NULL, &jerr));
    CHECK_STR(ci->Name, "dur");
    CHECK_STR(ci->Stream, "PULL");
    CHECK(WAIT_FOR(js_consumer_exists(nc, "PULL", "dur"), 100));
    jsConsumerInfo_Destroy(ci);

    /* Unsubscribe deletes the consumer this call created. */
    CHECK_OK(natsSubscription_Unsubscribe(sub));
    CHECK(!js_consumer_exists(nc, "PULL", "dur"));
    natsSubscription_Destroy(sub);

    /* Destroy alone keeps it. */
    CHECK_OK(js_PullSubscribe(&sub, js, "pull.>", "kept", NULL, NULL, NULL));
    natsSubscription_Destroy(sub);
    CHECK(js_consumer_exists(nc, "PULL", "kept"));

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void bad_input(void)
{
    natsConnection *nc = test_connect(g_srv.url);
    jsCtx *js = NULL;
    natsSubscription *sub = NULL, *push = NULL, *plain = NULL;
    natsMsgList list = {0};
    natsMsg *m = NULL;
    jsErrCode jerr = 0;

    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "BAD", "bad");

    CHECK_STATUS(js_PullSubscribe(NULL, js, "bad", "d", NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_PullSubscribe(&sub, NULL, "bad", "d", NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_PullSubscribe(&sub, js, NULL, "d", NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_PullSubscribe(&sub, js, "", "d", NULL, NULL, NULL), NATS_INVALID_ARG);
    const char *bad_names[] = {"a.b", "a b", "a*", "a>"};
    for (int i = 0; i < 4; i++) {
        CHECK_STATUS(js_PullSubscribe(&sub, js, "bad", bad_names[i], NULL, NULL, NULL), NATS_INVALID_ARG);
        CHECK(strstr(nats_GetLastError(NULL), "invalid durable name") != NULL);
    }
    CHECK(sub == NULL);
    /* No stream for the subject. */
    CHECK_STATUS(js_PullSubscribe(&sub, js, "nostream", "d", NULL, NULL, &jerr), NATS_ERR);
    CHECK(strstr(nats_GetLastError(NULL), "no stream matches subject") != NULL);
    /* Ordered consumers cannot be pull ones. */
    jsSubOptions so;
    CHECK_OK(jsSubOptions_Init(&so));
    so.Ordered = true;
    CHECK_STATUS(js_PullSubscribe(&sub, js, "bad", NULL, NULL, &so, NULL), NATS_INVALID_ARG);

    CHECK_OK(js_PullSubscribe(&sub, js, "bad", "d", NULL, NULL, NULL));
    CHECK_STATUS(natsSubscription_Fetch(NULL, sub, 1, 100, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_Fetch(&list, NULL, 1, 100, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_Fetch(&list, sub, 0, 100, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_Fetch(&list, sub, -1, 100, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsSubscription_Fetch(&list, sub, 1, 0, NULL), NATS_INVALID_TIMEOUT);
    CHECK_STATUS(natsSubscription_FetchRequest(&list, sub, NULL), NATS_INVALID_ARG);
    jsFetchRequest req;
    CHECK_OK(jsFetchRequest_Init(&req));
    req.Batch = 1;
    CHECK_STATUS(natsSubscription_FetchRequest(&list, sub, &req), NATS_INVALID_TIMEOUT);
    req.MaxBytes = -1;
    req.Expires = 1000000;
    CHECK_STATUS(natsSubscription_FetchRequest(&list, sub, &req), NATS_INVALID_ARG);
    /* NextMsg is not for pull subscriptions. */
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_INVALID_SUBSCRIPTION);

    /* Fetch on a push subscription and on a plain one. */
    CHECK_OK(js_SubscribeSync(&push, js, "bad", NULL, NULL, NULL));
    CHECK_STATUS(natsSubscription_Fetch(&list, push, 1, 100, NULL), NATS_INVALID_SUBSCRIPTION);
    CHECK(strstr(nats_GetLastError(NULL), "not a JetStream pull subscription") != NULL);
    CHECK_OK(natsConnection_SubscribeSync(&plain, nc, "plain"));
    CHECK_STATUS(natsSubscription_Fetch(&list, plain, 1, 100, NULL), NATS_INVALID_SUBSCRIPTION);
    jsConsumerInfo *ci = NULL;
    CHECK_STATUS(natsSubscription_GetConsumerInfo(&ci, plain, NULL, NULL), NATS_INVALID_SUBSCRIPTION);
    CHECK_STATUS(natsSubscription_GetConsumerInfo(NULL, sub, NULL, NULL), NATS_INVALID_ARG);

    natsSubscription_Destroy(plain);
    natsSubscription_Destroy(push);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static void not_enabled(void)
{
    test_server plain;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;

    server_start(&plain, NULL);
    nc = test_connect(plain.url);
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    CHECK_STATUS(js_PullSubscribe(&sub, js, "foo", "d", NULL, NULL, &jerr), NATS_NO_RESPONDERS);
    CHECK_STATUS(js_SubscribeSync(&sub, js, "foo", NULL, NULL, &jerr), NATS_NO_RESPONDERS);
    CHECK(sub == NULL);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    server_stop(&plain);
}

static void restart(void)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    natsMsgList list = {0};

    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, g_srv.url));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetReconnectWait(o, 100));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    js_add_stream(nc, "RST", "rst");
    js_store(nc, "rst", 0, 1);
    CHECK_OK(js_PullSubscribe(&sub, js, "rst", "rd", NULL, NULL, NULL));
    CHECK_OK(natsSubscription_Fetch(&list, sub, 1, 2000, NULL));
    CHECK_OK(natsMsg_AckSync(list.Msgs[0], NULL, NULL));
    natsMsgList_Destroy(&list);

    server_kill(&g_srv);
    server_restart(&g_srv);
    CHECK(WAIT_FOR(natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED, 10000));
    natsMsg *r = NULL;
    CHECK(WAIT_FOR(natsConnection_RequestString(&r, nc, "rst", "m1", 1000) == NATS_OK, 10000));
    natsMsg_Destroy(r);
    /* The server writes consumer state to disk in the background: after a SIGKILL it
     * may deliver the acked m0 again. m1 must come, and nothing else. */
    {
        int seen1 = 0;
        int64_t end = test_now_ms() + 10000;

        while (!seen1) {
            natsStatus s;
            int i;

            CHECK(test_now_ms() < end);
            s = natsSubscription_Fetch(&list, sub, 5, 1000, NULL);
            if (s == NATS_TIMEOUT)
                continue;
            CHECK_OK(s);
            for (i = 0; i < list.Count; i++) {
                if (js_data_is(list.Msgs[i], 1)) {
                    seen1 = 1;
                } else {
                    CHECK(js_data_is(list.Msgs[i], 0));
                    CHECK_OK(natsMsg_Ack(list.Msgs[i], NULL));
                }
            }
            natsMsgList_Destroy(&list);
        }
    }

    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
}

int main(void)
{
    test_init("js_pull");
    server_start_js(&g_srv);
    fetch_and_ack();
    bad_input();
    not_enabled();
    restart();
    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
