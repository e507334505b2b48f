/*
 * JetStream consumer management: js_AddConsumer (durable, named with a
 * filter, server-named ephemeral), js_UpdateConsumer, js_GetConsumerInfo,
 * js_DeleteConsumer, js_Consumers, js_ConsumerNames; configuration fields
 * both ways; bad arguments and invalid names; not-found statuses.
 */
#include "jsmgmt_helpers.h"

static void bad_arguments(jsCtx *js)
{
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 1;

    CHECK_STATUS(jsConsumerConfig_Init(NULL), NATS_INVALID_ARG);
    CHECK_OK(jsConsumerConfig_Init(&cc));
    CHECK_STATUS(js_AddConsumer(&ci, NULL, "S", &cc, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_EQ(jerr, 0);
    CHECK_STATUS(js_AddConsumer(&ci, js, "S", NULL, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_AddConsumer(&ci, js, NULL, &cc, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_AddConsumer(&ci, js, "a.b", &cc, NULL, &jerr), NATS_INVALID_ARG);
    const char *bad[] = {"a.b", "a b", "a*", "a>"};
    for (int i = 0; i < 4; i++) {
        cc.Durable = bad[i];
        CHECK_STATUS(js_AddConsumer(&ci, js, "S", &cc, NULL, &jerr), NATS_INVALID_ARG);
        CHECK(strstr(nats_GetLastError(NULL), "durable") != NULL);
        cc.Durable = NULL;
        cc.Name = bad[i];
        CHECK_STATUS(js_AddConsumer(&ci, js, "S", &cc, NULL, &jerr), NATS_INVALID_ARG);
        CHECK(strstr(nats_GetLastError(NULL), "consumer name") != NULL);
        cc.Name = NULL;
        CHECK_STATUS(js_GetConsumerInfo(&ci, js, "S", bad[i], NULL, &jerr), NATS_INVALID_ARG);
        CHECK_STATUS(js_DeleteConsumer(js, "S", bad[i], NULL, &jerr), NATS_INVALID_ARG);
    }
    CHECK(ci == NULL);
    /* Update needs a durable name. */
    CHECK_OK(jsConsumerConfig_Init(&cc));
    cc.Name = "named";
    CHECK_STATUS(js_UpdateConsumer(&ci, js, "S", &cc, NULL, &jerr), NATS_INVALID_ARG);
    CHECK(strstr(nats_GetLastError(NULL), "durable") != NULL);
    CHECK_STATUS(js_GetConsumerInfo(NULL, js, "S", "C", NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetConsumerInfo(&ci, js, "S", NULL, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetConsumerInfo(&ci, js, "S", "", NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_DeleteConsumer(NULL, "S", "C", NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_DeleteConsumer(js, "", "C", NULL, &jerr), NATS_INVALID_ARG);
    jsConsumerNamesList *names = NULL;
    jsConsumerInfoList *list = NULL;
    CHECK_STATUS(js_ConsumerNames(NULL, js, "S", NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_ConsumerNames(&names, js, NULL, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_Consumers(&list, NULL, "S", NULL, &jerr), NATS_INVALID_ARG);
    CHECK_STATUS(js_Consumers(&list, js, "a.b", NULL, &jerr), NATS_INVALID_ARG);
    CHECK(names == NULL && list == NULL);
}

int main(void)
{
    test_init("test_js_consumer_mgmt");
    jsm_start_js();
    natsConnection *nc = NULL;
    jsCtx *js = jsm_connect(jsm_srv.url, &nc);
    jsErrCode jerr = 0;

    bad_arguments(js);

    jsStreamConfig sc;
    const char *subjects[] = {"s.>"};
    jsm_mem_stream(&sc, "S", subjects, 1);
    CHECK_OK(js_AddStream(NULL, js, &sc, NULL, &jerr));
    for (int i = 0; i < 4; i++)
        jsm_publish(nc, (i % 2) ? "s.1" : "s.0", NULL, NULL, "x");

    /* A durable pull consumer with most fields set. */
    jsConsumerConfig cc;
    jsConsumerInfo *ci = NULL;
    int64_t backoff[] = {1000000000LL, 2000000000LL};
    CHECK_OK(jsConsumerConfig_Init(&cc));
    cc.Durable = "dur";
    cc.Description = "a durable";
    cc.AckPolicy = js_AckExplicit;
    cc.MaxDeliver = 5;
    cc.BackOff = backoff;
    cc.BackOffLen = 2;
    cc.FilterSubject = "s.0";
    cc.MaxAckPending = 100;
    cc.MaxWaiting = 16;
    cc.MaxRequestBatch = 10;
    cc.MaxRequestExpires = 5000000000LL;
    cc.MaxRequestMaxBytes = 1 << 20;
    cc.HeadersOnly = true;
    cc.SampleFrequency = "50";
    CHECK_OK(js_AddConsumer(&ci, js, "S", &cc, NULL, &jerr));
    CHECK_EQ(jerr, 0);
    CHECK_STR(ci->Stream, "S");
    CHECK_STR(ci->Name, "dur");
    CHECK(ci->Created > 1600000000000000000LL);
    CHECK_EQ(ci->NumPending, 2);
    CHECK(ci->Config != NULL);
    CHECK_STR(ci->Config->Durable, "dur");
    CHECK_STR(ci->Config->Description, "a durable");
    CHECK_STR(ci->Config->FilterSubject, "s.0");
    CHECK_STR(ci->Config->SampleFrequency, "50");
    CHECK_EQ(ci->Config->DeliverPolicy, js_DeliverAll);
    CHECK_EQ(ci->Config->AckPolicy, js_AckExplicit);
    CHECK_EQ(ci->Config->ReplayPolicy, js_ReplayInstant);
    CHECK_EQ(ci->Config->MaxDeliver, 5);
    CHECK_EQ(ci->Config->BackOffLen, 2);
    CHECK_EQ(ci->Config->BackOff[1], 2000000000LL);
    /* With a backoff list, the server takes its first delay as the ack wait. */
    CHECK_EQ(ci->Config->AckWait, 1000000000LL);
    CHECK_EQ(ci->Config->MaxAckPending, 100);
    CHECK_EQ(ci->Config->MaxWaiting, 16);
    CHECK_EQ(ci->Config->MaxRequestBatch, 10);
    CHECK_EQ(ci->Config->MaxRequestExpires, 5000000000LL);
    CHECK_EQ(ci->Config->MaxRequestMaxBytes, 1 << 20);
    CHECK(ci->Config->HeadersOnly);
    CHECK(ci->Config->DeliverSubject == NULL);
    jsConsumerInfo_Destroy(ci);
    ci = NULL;

    /* A named push consumer with a filter. */
    jsConsumerConfig pc;
    CHECK_OK(jsConsumerConfig_Init(&pc));
    pc.Name = "eph";
    pc.FilterSubject = "s.1";
    pc.DeliverSubject = "push.here";
    pc.DeliverPolicy = js_DeliverLast;
    pc.AckPolicy = js_AckNone;
    pc.ReplayPolicy = js_ReplayOriginal;
    pc.InactiveThreshold = 60000000000LL;
    pc.FlowControl = true;
    pc.Heartbeat = 5000000000LL;
    pc.MemoryStorage = true;
    CHECK_OK(js_AddConsumer(&ci, js, "S", &pc, NULL, &jerr));
    CHECK_STR(ci->Name, "eph");
    CHECK_STR(ci->Config->DeliverSubject, "push.here");
    CHECK_EQ(ci->Config->DeliverPolicy, js_DeliverLast);
    CHECK_EQ(ci->Config->AckPolicy, js_AckNone);
    CHECK_EQ(ci->Config->ReplayPolicy, js_ReplayOriginal);
    CHECK_EQ(ci->Config->InactiveThreshold, 60000000000LL);
    CHECK_EQ(ci->Config->Heartbeat, 5000000000LL);
    CHECK(ci->Config->FlowControl && ci->Config->MemoryStorage);
    CHECK(!ci->PushBound);
    jsConsumerInfo_Destroy(ci);
    ci = NULL;

    /* A consumer the server names, from a start sequence. */
    jsConsumerConfig ec;
    CHECK_OK(jsConsumerConfig_Init(&ec));
    ec.DeliverPolicy = js_DeliverByStartSequence;
    ec.OptStartSeq = 3;
    CHECK_OK(js_AddConsumer(&ci, js, "S", &ec, NULL, &jerr));
    CHECK(ci->Name != NULL && ci->Name[0] != '\0');
    CHECK_EQ(ci->Config->OptStartSeq, 3);
    CHECK_EQ(ci->NumPending, 2);
    char server_named[64];
    snprintf(server_named, sizeof(server_named), "%s", ci->Name);
    jsConsumerInfo_Destroy(ci);
    ci = NULL;

    /* A start time. */
    jsConsumerConfig tc;
    CHECK_OK(jsConsumerConfig_Init(&tc));
    tc.Durable = "bytime";
    tc.DeliverPolicy = js_DeliverByStartTime;
    tc.OptStartTime = 1000000000000000000LL;
    CHECK_OK(js_AddConsumer(NULL, js, "S", &tc, NULL, &jerr));

    /* Update. */
    cc.Description = "changed";
    cc.MaxAckPending = 50;
    CHECK_OK(js_UpdateConsumer(&ci, js, "S", &cc, NULL, &jerr));
    CHECK_STR(ci->Config->Description, "changed");
    CHECK_EQ(ci->Config->MaxAckPending, 50);
    jsConsumerInfo_Destroy(ci);
    ci = NULL;
    /* A change the server refuses: pull to push. */
    cc.DeliverSubject = "now.push";
    CHECK_STATUS(js_UpdateConsumer(&ci, js, "S", &cc, NULL, &jerr), NATS_ERR);
    CHECK(jerr != 0);
    CHECK(ci == NULL);
    cc.DeliverSubject = NULL;

    /* Info and not found. */
    CHECK_OK(js_GetConsumerInfo(&ci, js, "S", "dur", NULL, &jerr));
    CHECK_STR(ci->Name, "dur");
    CHECK_EQ(ci->NumPending, 2);
    CHECK_EQ(ci->NumAckPending, 0);
    CHECK_EQ(ci->Delivered.Stream, 0);
    jsConsumerInfo_Destroy(ci);
    ci = NULL;
    CHECK_STATUS(js_GetConsumerInfo(&ci, js, "S", "nope", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSConsumerNotFoundErr);
    CHECK_STATUS(js_GetConsumerInfo(&ci, js, "MISSING", "dur", NULL, &jerr), NATS_ERR);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
    CHECK(ci == NULL);

    /* Lists. */
    jsConsumerNamesList *names = NULL;
    CHECK_OK(js_ConsumerNames(&names, js, "S", NULL, &jerr));
    CHECK_EQ(names->Count, 4);
    int found = 0;
    for (int i = 0; i < names->Count; i++) {
        const char *n = names->List[i];
        found += strcmp(n, "dur") == 0 || strcmp(n, "eph") == 0 || strcmp(n, "bytime") == 0
                 || strcmp(n, server_named) == 0;
    }
    CHECK_EQ(found, 4);
    jsConsumerNamesList_Destroy(names);
    names = NULL;
    jsConsumerInfoList *list = NULL;
    CHECK_OK(js_Consumers(&list, js, "S", NULL, &jerr));
    CHECK_EQ(list->Count, 4);
    for (int i = 0; i < list->Count; i++) {
        CHECK_STR(list->List[i]->Stream, "S");
        CHECK(list->List[i]->Config != NULL);
    }
    jsConsumerInfoList_Destroy(list);
    list = NULL;
    CHECK_STATUS(js_Consumers(&list, js, "MISSING", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
    CHECK_STATUS(js_ConsumerNames(&names, js, "MISSING", NULL, &jerr), NATS_NOT_FOUND);

    /* Delete. */
    CHECK_OK(js_DeleteConsumer(js, "S", "dur", NULL, &jerr));
    CHECK_STATUS(js_DeleteConsumer(js, "S", "dur", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSConsumerNotFoundErr);
    CHECK_STATUS(js_DeleteConsumer(js, "MISSING", "dur", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
    CHECK_OK(js_DeleteConsumer(js, "S", "eph", NULL, &jerr));
    CHECK_OK(js_DeleteConsumer(js, "S", "bytime", NULL, &jerr));
    CHECK_OK(js_DeleteConsumer(js, "S", server_named, NULL, &jerr));
    CHECK_STATUS(js_ConsumerNames(&names, js, "S", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_STATUS(js_Consumers(&list, js, "S", NULL, &jerr), NATS_NOT_FOUND);
    CHECK(names == NULL && list == NULL);
    jsConsumerInfo_Destroy(NULL);
    jsConsumerInfoList_Destroy(NULL);
    jsConsumerNamesList_Destroy(NULL);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return test_done();
}
