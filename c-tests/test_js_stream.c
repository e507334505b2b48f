/*
 * JetStream streams: js_AddStream / js_UpdateStream / js_GetStreamInfo (with
 * subjects and deleted details) / js_PurgeStream (with options) /
 * js_DeleteStream / js_Streams / js_StreamNames, the stored-message calls
 * (js_GetMsg, js_GetLastMsg, js_DirectGetMsg, js_DeleteMsg, js_EraseMsg),
 * bad arguments, a configuration the server refuses, and a server without
 * JetStream.
 */
#include "jsmgmt_helpers.h"

/* The message's stream sequence and time: checked when the library has them. */
extern uint64_t natsMsg_GetSequence(natsMsg *msg);
extern int64_t natsMsg_GetTime(natsMsg *msg);
#pragma weak natsMsg_GetSequence
#pragma weak natsMsg_GetTime

static void check_seq_time(natsMsg *m, uint64_t seq)
{
    if (natsMsg_GetSequence != NULL)
        CHECK_EQ(natsMsg_GetSequence(m), seq);
    if (natsMsg_GetTime != NULL)
        CHECK(natsMsg_GetTime(m) > 1600000000000000000LL);
}

static const char *header(natsMsg *m, const char *key)
{
    const char *v = NULL;
    if (natsMsgHeader_Get(m, key, &v) != NATS_OK)
        return NULL;
    return v;
}

static void bad_arguments(jsCtx *js)
{
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 1;
    const char *subj[] = {"x"};

    jsm_mem_stream(&cfg, "OK", subj, 1);
    CHECK_STATUS(js_AddStream(&si, NULL, &cfg, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_EQ(jerr, 0);
    CHECK_STATUS(js_AddStream(&si, js, NULL, NULL, &jerr), NATS_INVALID_ARG);
    CHECK(strstr(nats_GetLastError(NULL), "configuration") != NULL);
    cfg.Name = NULL;
    CHECK_STATUS(js_AddStream(&si, js, &cfg, NULL, &jerr), NATS_INVALID_ARG);
    CHECK(strstr(nats_GetLastError(NULL), "stream name") != NULL);
    cfg.Name = "";
    CHECK_STATUS(js_AddStream(&si, js, &cfg, NULL, &jerr), NATS_INVALID_ARG);
    cfg.Name = "a.b";
    CHECK_STATUS(js_UpdateStream(&si, js, &cfg, NULL, &jerr), NATS_INVALID_ARG);
    CHECK(strstr(nats_GetLastError(NULL), "a.b") != NULL);
    CHECK(si == NULL);

    CHECK_STATUS(js_GetStreamInfo(NULL, js, "S", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetStreamInfo(&si, NULL, "S", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetStreamInfo(&si, js, NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetStreamInfo(&si, js, "x.y", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_PurgeStream(NULL, "S", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_PurgeStream(js, "", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_DeleteStream(js, NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_DeleteStream(js, "a.b", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_Streams(NULL, js, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_StreamNames(NULL, js, NULL, NULL), NATS_INVALID_ARG);

    natsMsg *m = NULL;
    CHECK_STATUS(js_GetMsg(&m, js, "S", 0, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetMsg(NULL, js, "S", 1, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetMsg(&m, NULL, "S", 1, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetMsg(&m, js, NULL, 1, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetLastMsg(&m, js, "S", NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_GetLastMsg(&m, js, "S", "", NULL, NULL), NATS_INVALID_ARG);
    jsDirectGetMsgOptions dg;
    CHECK_OK(jsDirectGetMsgOptions_Init(&dg));
    CHECK_STATUS(jsDirectGetMsgOptions_Init(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_DirectGetMsg(&m, js, "S", NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_DirectGetMsg(&m, js, "", NULL, &dg), NATS_INVALID_ARG);
    CHECK_STATUS(js_DirectGetMsg(NULL, js, "S", NULL, &dg), NATS_INVALID_ARG);
    CHECK_STATUS(js_DeleteMsg(NULL, "S", 1, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_EraseMsg(js, NULL, 1, NULL, NULL), NATS_INVALID_ARG);
    CHECK(m == NULL);

    /* Purge: Sequence and Keep are mutually exclusive. */
    jsOptions o;
    CHECK_OK(jsOptions_Init(&o));
    o.Stream.Purge.Sequence = 2;
    o.Stream.Purge.Keep = 1;
    CHECK_STATUS(js_PurgeStream(js, "S", &o, NULL), NATS_INVALID_ARG);
}

static void lifecycle(natsConnection *nc, jsCtx *js)
{
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subjects[] = {"orders.*"};
    jsRePublish rp;

    jsm_mem_stream(&cfg, "ORDERS", subjects, 1);
    cfg.Description = "the orders";
    cfg.MaxMsgsPerSubject = 10;
    cfg.Duplicates = 60000000000LL;
    cfg.AllowDirect = true;
    cfg.AllowRollup = true;
    CHECK_OK(jsRePublish_Init(&rp));
    rp.Source = "orders.a";
    rp.Destination = "copy.a";
    rp.HeadersOnly = true;
    cfg.RePublish = &rp;

    CHECK_OK(js_AddStream(&si, js, &cfg, NULL, &jerr));
    CHECK_EQ(jerr, 0);
    CHECK(si != NULL && si->Config != NULL);
    CHECK_STR(si->Config->Name, "ORDERS");
    CHECK_STR(si->Config->Description, "the orders");
    CHECK_EQ(si->Config->SubjectsLen, 1);
    CHECK_STR(si->Config->Subjects[0], "orders.*");
    CHECK_EQ(si->Config->Storage, js_MemoryStorage);
    CHECK_EQ(si->Config->Retention, js_LimitsPolicy);
    CHECK_EQ(si->Config->MaxMsgs, -1);
    CHECK_EQ(si->Config->MaxMsgsPerSubject, 10);
    CHECK_EQ(si->Config->Duplicates, 60000000000LL);
    CHECK_EQ(si->Config->Replicas, 1);
    CHECK(si->Config->AllowDirect && si->Config->AllowRollup);
    CHECK(si->Config->RePublish != NULL);
    CHECK_STR(si->Config->RePublish->Destination, "copy.a");
    CHECK(si->Config->RePublish->HeadersOnly);
    CHECK(si->Created > 1600000000000000000LL);
    CHECK_EQ(si->State.Msgs, 0);
    jsStreamInfo_Destroy(si);
    si = NULL;

    /* The same again is fine; another config under the same name is refused. */
    CHECK_OK(js_AddStream(NULL, js, &cfg, NULL, NULL));
    const char *other[] = {"other"};
    cfg.Subjects = other;
    CHECK_STATUS(js_AddStream(&si, js, &cfg, NULL, &jerr), NATS_ERR);
    CHECK_EQ(jerr, JSStreamNameExistErr);
    CHECK(si == NULL);
    CHECK(nats_GetLastError(NULL) != NULL);

    /* Update. */
    const char *more[] = {"orders.*", "returns.*"};
    cfg.Subjects = more;
    cfg.SubjectsLen = 2;
    CHECK_OK(js_UpdateStream(&si, js, &cfg, NULL, &jerr));
    CHECK_EQ(si->Config->SubjectsLen, 2);
    CHECK_STR(si->Config->Subjects[1], "returns.*");
    jsStreamInfo_Destroy(si);
    si = NULL;
    cfg.Name = "MISSING";
    CHECK_STATUS(js_UpdateStream(&si, js, &cfg, NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
    cfg.Name = "ORDERS";

    /* Messages. */
    jsm_publish(nc, "orders.a", "Hdr", "one", "first");
    jsm_publish(nc, "orders.b", NULL, NULL, "second");
    jsm_publish(nc, "orders.a", NULL, NULL, "third");
    jsm_publish(nc, "returns.a", NULL, NULL, "fourth");
    jsm_publish(nc, "orders.b", NULL, NULL, "fifth");

    CHECK_OK(js_GetStreamInfo(&si, js, "ORDERS", NULL, &jerr));
    CHECK_EQ(si->State.Msgs, 5);
    CHECK_EQ(si->State.FirstSeq, 1);
    CHECK_EQ(si->State.LastSeq, 5);
    CHECK(si->State.FirstTime > 0 && si->State.LastTime >= si->State.FirstTime);
    CHECK_EQ(si->State.NumSubjects, 3);
    CHECK(si->State.Subjects == NULL);
    jsStreamInfo_Destroy(si);
    si = NULL;
    CHECK_STATUS(js_GetStreamInfo(&si, js, "MISSING", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
    CHECK(si == NULL);

    /* Subjects of the stream, per filter. */
    jsOptions o;
    CHECK_OK(jsOptions_Init(&o));
    o.Stream.Info.SubjectsFilter = "orders.*";
    CHECK_OK(js_GetStreamInfo(&si, js, "ORDERS", &o, &jerr));
    CHECK(si->State.Subjects != NULL);
    CHECK_EQ(si->State.Subjects->Count, 2);
    for (int i = 0; i < si->State.Subjects->Count; i++) {
        jsStreamStateSubject *s = &si->State.Subjects->List[i];
        if (strcmp(s->Subject, "orders.a") == 0)
            CHECK_EQ(s->Msgs, 2);
        else
            CHECK_STR(s->Subject, "orders.b");
    }
    jsStreamInfo_Destroy(si);
    si = NULL;

    /* Stored messages. */
    natsMsg *m = NULL;
    CHECK_OK(js_GetMsg(&m, js, "ORDERS", 1, NULL, &jerr));
    CHECK_STR(natsMsg_GetSubject(m), "orders.a");
    CHECK_STR(natsMsg_GetData(m), "first");
    CHECK_EQ(natsMsg_GetDataLength(m), 5);
    CHECK_STR(header(m, "Hdr"), "one");
    check_seq_time(m, 1);
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(js_GetLastMsg(&m, js, "ORDERS", "orders.b", NULL, &jerr));
    CHECK_STR(natsMsg_GetData(m), "fifth");
    check_seq_time(m, 5);
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_STATUS(js_GetMsg(&m, js, "ORDERS", 100, NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSNoMessageFoundErr);
    CHECK_STATUS(js_GetLastMsg(&m, js, "ORDERS", "orders.none", NULL, &jerr), NATS_NOT_FOUND);
    CHECK(m == NULL);

    /* Direct get. */
    jsDirectGetMsgOptions dg;
    CHECK_OK(jsDirectGetMsgOptions_Init(&dg));
    dg.Sequence = 1;
    CHECK_OK(js_DirectGetMsg(&m, js, "ORDERS", NULL, &dg));
    CHECK_STR(natsMsg_GetSubject(m), "orders.a");
    CHECK_STR(natsMsg_GetData(m), "first");
    CHECK_STR(header(m, "Hdr"), "one");
    CHECK_STR(header(m, "Nats-Stream"), "ORDERS");
    check_seq_time(m, 1);
    natsMsg_Destroy(m);
    m = NULL;
    dg.Sequence = 2;
    dg.NextBySubject = "orders.a";
    CHECK_OK(js_DirectGetMsg(&m, js, "ORDERS", NULL, &dg));
    CHECK_STR(natsMsg_GetData(m), "third");
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(jsDirectGetMsgOptions_Init(&dg));
    dg.LastBySubject = "returns.a";
    CHECK_OK(js_DirectGetMsg(&m, js, "ORDERS", NULL, &dg));
    CHECK_STR(natsMsg_GetData(m), "fourth");
    CHECK_STR(natsMsg_GetSubject(m), "returns.a");
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(jsDirectGetMsgOptions_Init(&dg));
    dg.Sequence = 100;
    CHECK_STATUS(js_DirectGetMsg(&m, js, "ORDERS", NULL, &dg), NATS_NOT_FOUND);
    CHECK(m == NULL);

    /* Delete and erase inside the stream: they show as deleted. */
    CHECK_OK(js_DeleteMsg(js, "ORDERS", 2, NULL, &jerr));
    CHECK_OK(js_EraseMsg(js, "ORDERS", 3, NULL, &jerr));
    CHECK_STATUS(js_DeleteMsg(js, "ORDERS", 3, NULL, &jerr), NATS_ERR);
    CHECK(jerr != 0);
    CHECK_STATUS(js_GetMsg(&m, js, "ORDERS", 2, NULL, NULL), NATS_NOT_FOUND);
    CHECK_OK(jsOptions_Init(&o));
    o.Stream.Info.DeletedDetails = true;
    CHECK_OK(js_GetStreamInfo(&si, js, "ORDERS", &o, &jerr));
    CHECK_EQ(si->State.Msgs, 3);
    CHECK_EQ(si->State.NumDeleted, 2);
    CHECK_EQ(si->State.DeletedLen, 2);
    CHECK(si->State.Deleted[0] + si->State.Deleted[1] == 5);
    jsStreamInfo_Destroy(si);
    si = NULL;

    /* Purge: a subject, then keep one, then everything. */
    CHECK_OK(jsOptions_Init(&o));
    o.Stream.Purge.Subject = "returns.a";
    CHECK_OK(js_PurgeStream(js, "ORDERS", &o, &jerr));
    CHECK_OK(js_GetStreamInfo(&si, js, "ORDERS", NULL, &jerr));
    CHECK_EQ(si->State.Msgs, 2);
    jsStreamInfo_Destroy(si);
    si = NULL;
    CHECK_OK(jsOptions_Init(&o));
    o.Stream.Purge.Keep = 1;
    CHECK_OK(js_PurgeStream(js, "ORDERS", &o, &jerr));
    CHECK_OK(js_GetStreamInfo(&si, js, "ORDERS", NULL, &jerr));
    CHECK_EQ(si->State.Msgs, 1);
    CHECK_EQ(si->State.FirstSeq, 5);
    jsStreamInfo_Destroy(si);
    si = NULL;
    CHECK_OK(js_PurgeStream(js, "ORDERS", NULL, &jerr));
    CHECK_OK(js_GetStreamInfo(&si, js, "ORDERS", NULL, &jerr));
    CHECK_EQ(si->State.Msgs, 0);
    jsStreamInfo_Destroy(si);
    si = NULL;
    CHECK_STATUS(js_PurgeStream(js, "MISSING", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
}

static void lists(jsCtx *js)
{
    jsStreamConfig cfg;
    jsErrCode jerr = 0;
    const char *s1[] = {"two.>"};
    jsm_mem_stream(&cfg, "TWO", s1, 1);
    CHECK_OK(js_AddStream(NULL, js, &cfg, NULL, &jerr));

    jsStreamNamesList *names = NULL;
    CHECK_OK(js_StreamNames(&names, js, NULL, &jerr));
    CHECK_EQ(names->Count, 2);
    bool orders = false, two = false;
    for (int i = 0; i < names->Count; i++) {
        orders |= strcmp(names->List[i], "ORDERS") == 0;
        two |= strcmp(names->List[i], "TWO") == 0;
    }
    CHECK(orders && two);
    jsStreamNamesList_Destroy(names);
    names = NULL;

    jsOptions o;
    CHECK_OK(jsOptions_Init(&o));
    o.Stream.Info.SubjectsFilter = "two.x";
    CHECK_OK(js_StreamNames(&names, js, &o, &jerr));
    CHECK_EQ(names->Count, 1);
    CHECK_STR(names->List[0], "TWO");
    jsStreamNamesList_Destroy(names);
    names = NULL;

    jsStreamInfoList *list = NULL;
    CHECK_OK(js_Streams(&list, js, NULL, &jerr));
    CHECK_EQ(list->Count, 2);
    for (int i = 0; i < list->Count; i++)
        CHECK(list->List[i]->Config != NULL && list->List[i]->Config->Name != NULL);
    jsStreamInfoList_Destroy(list);
    list = NULL;
    CHECK_OK(js_Streams(&list, js, &o, &jerr));
    CHECK_EQ(list->Count, 1);
    CHECK_STR(list->List[0]->Config->Name, "TWO");
    jsStreamInfoList_Destroy(list);
    list = NULL;

    /* Delete them; then there is nothing to list. */
    CHECK_OK(js_DeleteStream(js, "TWO", NULL, &jerr));
    CHECK_OK(js_DeleteStream(js, "ORDERS", NULL, &jerr));
    CHECK_STATUS(js_DeleteStream(js, "ORDERS", NULL, &jerr), NATS_NOT_FOUND);
    CHECK_EQ(jerr, JSStreamNotFoundErr);
    CHECK_STATUS(js_StreamNames(&names, js, NULL, &jerr), NATS_NOT_FOUND);
    CHECK(names == NULL);
    CHECK_STATUS(js_Streams(&list, js, NULL, &jerr), NATS_NOT_FOUND);
    CHECK(list == NULL);
    jsStreamInfoList_Destroy(NULL);
    jsStreamNamesList_Destroy(NULL);
    jsStreamInfo_Destroy(NULL);
}

/* Sources and mirrors, both ways through the structs. */
static void sources_and_mirrors(natsConnection *nc, jsCtx *js)
{
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *src_subj[] = {"src.>"};
    jsm_mem_stream(&cfg, "SRC", src_subj, 1);
    cfg.AllowDirect = true;
    CHECK_OK(js_AddStream(NULL, js, &cfg, NULL, &jerr));
    jsm_publish(nc, "src.a", NULL, NULL, "1");
    jsm_publish(nc, "src.b", NULL, NULL, "2");

    jsStreamSource s1;
    jsExternalStream ext;
    CHECK_OK(jsStreamSource_Init(&s1));
    CHECK_OK(jsExternalStream_Init(&ext));
    CHECK_STATUS(jsStreamSource_Init(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(jsExternalStream_Init(NULL), NATS_INVALID_ARG);
    s1.Name = "SRC";
    s1.OptStartSeq = 1;
    s1.FilterSubject = "src.a";
    ext.APIPrefix = "$JS.other.API";
    ext.DeliverPrefix = "deliver.src";
    s1.External = &ext;
    jsStreamSource *sources[] = {&s1};
    const char *agg_subj[] = {"agg"};
    jsm_mem_stream(&cfg, "AGG", agg_subj, 1);
    cfg.Sources = sources;
    cfg.SourcesLen = 1;
    CHECK_OK(js_AddStream(&si, js, &cfg, NULL, &jerr));
    CHECK_EQ(si->Config->SourcesLen, 1);
    CHECK_STR(si->Config->Sources[0]->Name, "SRC");
    CHECK_EQ(si->Config->Sources[0]->OptStartSeq, 1);
    CHECK_STR(si->Config->Sources[0]->FilterSubject, "src.a");
    CHECK(si->Config->Sources[0]->External != NULL);
    CHECK_STR(si->Config->Sources[0]->External->APIPrefix, "$JS.other.API");
    CHECK_STR(si->Config->Sources[0]->External->DeliverPrefix, "deliver.src");
    jsStreamInfo_Destroy(si);
    si = NULL;

    jsStreamSource m;
    CHECK_OK(jsStreamSource_Init(&m));
    m.Name = "SRC";
    jsm_mem_stream(&cfg, "MIR", NULL, 0);
    cfg.Mirror = &m;
    cfg.MirrorDirect = true;
    CHECK_OK(js_AddStream(&si, js, &cfg, NULL, &jerr));
    CHECK(si->Config->Mirror != NULL);
    CHECK_STR(si->Config->Mirror->Name, "SRC");
    CHECK(si->Config->MirrorDirect);
    jsStreamInfo_Destroy(si);
    si = NULL;

    /* The mirror catches up: its info names its origin. */
    bool caught_up = false;
    for (int i = 0; i < 250 && !caught_up; i++) {
        CHECK_OK(js_GetStreamInfo(&si, js, "MIR", NULL, &jerr));
        CHECK(si->Mirror != NULL);
        CHECK_STR(si->Mirror->Name, "SRC");
        caught_up = si->State.Msgs == 2;
        jsStreamInfo_Destroy(si);
        si = NULL;
        if (!caught_up)
            test_sleep_ms(20);
    }
    CHECK(caught_up);
    CHECK_OK(js_GetStreamInfo(&si, js, "AGG", NULL, &jerr));
    CHECK_EQ(si->SourcesLen, 1);
    CHECK_STR(si->Sources[0]->Name, "SRC");
    jsStreamInfo_Destroy(si);
    si = NULL;

    CHECK_OK(js_DeleteStream(js, "MIR", NULL, &jerr));
    CHECK_OK(js_DeleteStream(js, "AGG", NULL, &jerr));
    CHECK_OK(js_DeleteStream(js, "SRC", NULL, &jerr));
}

static void refused(jsCtx *js)
{
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subj[] = {"r3"};
    jsm_mem_stream(&cfg, "R3", subj, 1);
    cfg.Replicas = 3;
    CHECK_STATUS(js_AddStream(&si, js, &cfg, NULL, &jerr), NATS_ERR);
    CHECK(jerr != 0);
    CHECK(si == NULL);
    const char *text = nats_GetLastError(NULL);
    CHECK(text != NULL && text[0] != '\0');
}

static void without_jetstream(void)
{
    test_server plain;
    server_start(&plain, NULL);
    natsConnection *nc = NULL;
    jsCtx *js = jsm_connect(plain.url, &nc);
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subj[] = {"x"};
    jsm_mem_stream(&cfg, "S", subj, 1);
    int64_t start = test_now_ms();
    CHECK_STATUS(js_AddStream(&si, js, &cfg, NULL, &jerr), NATS_NO_RESPONDERS);
    CHECK_EQ(jerr, JSNotEnabledErr);
    CHECK_STATUS(js_GetStreamInfo(&si, js, "S", NULL, &jerr), NATS_NO_RESPONDERS);
    CHECK_EQ(jerr, JSNotEnabledErr);
    jsStreamNamesList *names = NULL;
    CHECK_STATUS(js_StreamNames(&names, js, NULL, &jerr), NATS_NO_RESPONDERS);
    CHECK(test_now_ms() - start < 3000);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    server_stop(&plain);
}

int main(void)
{
    test_init("test_js_stream");
    jsm_start_js();
    natsConnection *nc = NULL;
    jsCtx *js = jsm_connect(jsm_srv.url, &nc);

    bad_arguments(js);
    lifecycle(nc, js);
    lists(js);
    sources_and_mirrors(nc, js);
    refused(js);
    without_jetstream();

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return test_done();
}
