/*
 * JetStream and Key/Value types: the *_Init functions set nats.c's defaults on
 * garbage memory and reject NULL; the *_Destroy functions accept NULL; the
 * structs can be filled as nats.c's documentation shows (struct tags included);
 * kvKeysList_Destroy frees a malloc'ed list and resets it.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define GARBAGE(x) memset(&(x), 0x5a, sizeof(x))

static void check_null_rejected(natsStatus s, const char *what)
{
    CHECK_MSG(s == NATS_INVALID_ARG, "%s(NULL) returned %d", what, (int)s);
    const char *text = nats_GetLastError(NULL);
    CHECK_MSG(text != NULL && text[0] != '\0', "%s(NULL) left no error text", what);
}

static void check_inits(void)
{
    jsStreamConfig sc;
    GARBAGE(sc);
    CHECK_OK(jsStreamConfig_Init(&sc));
    CHECK(sc.Name == NULL && sc.Description == NULL && sc.Subjects == NULL && sc.SubjectsLen == 0);
    CHECK(sc.Retention == js_LimitsPolicy && sc.Discard == js_DiscardOld && sc.Storage == js_FileStorage);
    CHECK(sc.MaxConsumers == -1 && sc.MaxMsgs == -1 && sc.MaxBytes == -1 && sc.MaxMsgSize == -1);
    CHECK(sc.Replicas == 1 && sc.MaxAge == 0 && sc.MaxMsgsPerSubject == 0 && sc.Duplicates == 0);
    CHECK(!sc.NoAck && !sc.Sealed && !sc.DenyDelete && !sc.DenyPurge && !sc.AllowRollup);
    CHECK(sc.Placement == NULL && sc.Mirror == NULL && sc.Sources == NULL && sc.RePublish == NULL);
    CHECK(!sc.AllowDirect && !sc.MirrorDirect && !sc.DiscardNewPerSubject && sc.Template == NULL);

    jsConsumerConfig cc;
    GARBAGE(cc);
    CHECK_OK(jsConsumerConfig_Init(&cc));
    /* -1: not set, the server's defaults apply. */
    CHECK((int)cc.DeliverPolicy == -1 && (int)cc.AckPolicy == -1 && (int)cc.ReplayPolicy == -1);
    CHECK(cc.Durable == NULL && cc.BackOff == NULL && cc.BackOffLen == 0 && cc.AckWait == 0);
    CHECK(!cc.FlowControl && !cc.HeadersOnly && !cc.MemoryStorage && cc.DeliverSubject == NULL);

    jsSubOptions so;
    GARBAGE(so);
    CHECK_OK(jsSubOptions_Init(&so));
    CHECK(so.Stream == NULL && so.Consumer == NULL && so.Queue == NULL && !so.ManualAck && !so.Ordered);
    CHECK(so.Config.MaxDeliver == 0 && so.Config.Durable == NULL);
    CHECK((int)so.Config.DeliverPolicy == -1 && (int)so.Config.AckPolicy == -1 && (int)so.Config.ReplayPolicy == -1);

    jsOptions o;
    GARBAGE(o);
    CHECK_OK(jsOptions_Init(&o));
    CHECK(o.Prefix == NULL && o.Domain == NULL && o.Wait == 0);
    struct jsOptionsPublishAsync *pa = &o.PublishAsync;
    CHECK(pa->MaxPending == 0 && pa->AckHandler == NULL && pa->ErrHandler == NULL && pa->StallWait == 0);
    struct jsOptionsStreamPurge *purge = &o.Stream.Purge;
    struct jsOptionsStreamInfo *info = &o.Stream.Info;
    CHECK(purge->Subject == NULL && purge->Sequence == 0 && purge->Keep == 0);
    CHECK(!info->DeletedDetails && info->SubjectsFilter == NULL);

    jsPubOptions po;
    GARBAGE(po);
    CHECK_OK(jsPubOptions_Init(&po));
    CHECK(po.MaxWait == 0 && po.MsgId == NULL && po.ExpectLastSeq == 0 && !po.ExpectNoMessage);

    jsPlacement pl;
    jsStreamSource src;
    jsExternalStream ext;
    jsRePublish rp;
    jsDirectGetMsgOptions dg;
    jsFetchRequest fr;
    GARBAGE(pl); GARBAGE(src); GARBAGE(ext); GARBAGE(rp); GARBAGE(dg); GARBAGE(fr);
    CHECK_OK(jsPlacement_Init(&pl));
    CHECK_OK(jsStreamSource_Init(&src));
    CHECK_OK(jsExternalStream_Init(&ext));
    CHECK_OK(jsRePublish_Init(&rp));
    CHECK_OK(jsDirectGetMsgOptions_Init(&dg));
    CHECK_OK(jsFetchRequest_Init(&fr));
    CHECK(pl.Cluster == NULL && pl.Tags == NULL && pl.TagsLen == 0);
    CHECK(src.Name == NULL && src.OptStartSeq == 0 && src.OptStartTime == 0 && src.External == NULL);
    CHECK(ext.APIPrefix == NULL && ext.DeliverPrefix == NULL);
    CHECK(rp.Source == NULL && rp.Destination == NULL && !rp.HeadersOnly);
    CHECK(dg.Sequence == 0 && dg.NextBySubject == NULL && dg.LastBySubject == NULL);
    CHECK(fr.Expires == 0 && fr.Batch == 0 && fr.MaxBytes == 0 && !fr.NoWait && fr.Heartbeat == 0);

    kvConfig kc;
    kvWatchOptions wo;
    kvPurgeOptions kp;
    GARBAGE(kc); GARBAGE(wo); GARBAGE(kp);
    CHECK_OK(kvConfig_Init(&kc));
    CHECK_OK(kvWatchOptions_Init(&wo));
    CHECK_OK(kvPurgeOptions_Init(&kp));
    CHECK(kc.Bucket == NULL && kc.History == 0 && kc.TTL == 0 && kc.StorageType == js_FileStorage);
    CHECK(kc.Replicas == 0 && kc.RePublish == NULL && kc.MaxValueSize == 0 && kc.MaxBytes == 0);
    CHECK(!wo.IgnoreDeletes && !wo.IncludeHistory && !wo.MetaOnly && wo.Timeout == 0);
    CHECK(kp.Timeout == 0 && kp.DeleteMarkersOlderThan == 0);

    check_null_rejected(jsOptions_Init(NULL), "jsOptions_Init");
    check_null_rejected(jsPubOptions_Init(NULL), "jsPubOptions_Init");
    check_null_rejected(jsStreamConfig_Init(NULL), "jsStreamConfig_Init");
    check_null_rejected(jsPlacement_Init(NULL), "jsPlacement_Init");
    check_null_rejected(jsStreamSource_Init(NULL), "jsStreamSource_Init");
    check_null_rejected(jsExternalStream_Init(NULL), "jsExternalStream_Init");
    check_null_rejected(jsRePublish_Init(NULL), "jsRePublish_Init");
    check_null_rejected(jsConsumerConfig_Init(NULL), "jsConsumerConfig_Init");
    check_null_rejected(jsSubOptions_Init(NULL), "jsSubOptions_Init");
    check_null_rejected(jsFetchRequest_Init(NULL), "jsFetchRequest_Init");
    check_null_rejected(jsDirectGetMsgOptions_Init(NULL), "jsDirectGetMsgOptions_Init");
    check_null_rejected(kvConfig_Init(NULL), "kvConfig_Init");
    check_null_rejected(kvWatchOptions_Init(NULL), "kvWatchOptions_Init");
    check_null_rejected(kvPurgeOptions_Init(NULL), "kvPurgeOptions_Init");
}

/* The configuration of nats.c's jsStreamConfig documentation compiles and reads back. */
static void check_documented_config(void)
{
    jsStreamConfig sc;
    jsPlacement p;
    jsStreamSource m, s1;
    jsExternalStream esm;
    jsRePublish rp;
    const char *subjects[] = {"foo", "bar"};
    const char *tags[] = {"tag1", "tag2"};
    jsStreamSource *sources[] = {&s1};

    CHECK_OK(jsStreamConfig_Init(&sc));
    CHECK_OK(jsPlacement_Init(&p));
    p.Cluster = "MyCluster";
    p.Tags = tags;
    p.TagsLen = 2;
    CHECK_OK(jsStreamSource_Init(&m));
    m.Name = "AStream";
    m.OptStartSeq = 100;
    CHECK_OK(jsExternalStream_Init(&esm));
    esm.APIPrefix = "mirror.prefix.";
    m.External = &esm;
    CHECK_OK(jsStreamSource_Init(&s1));
    s1.Name = "StreamOne";
    sc.Name = "MyStream";
    sc.Subjects = subjects;
    sc.SubjectsLen = 2;
    sc.Retention = js_InterestPolicy;
    sc.Storage = js_MemoryStorage;
    sc.Placement = &p;
    sc.Mirror = &m;
    sc.Sources = sources;
    sc.SourcesLen = 1;
    CHECK_OK(jsRePublish_Init(&rp));
    rp.Source = ">";
    rp.Destination = "RP.>";
    sc.RePublish = &rp;
    struct jsStreamConfig *tagged = &sc;
    CHECK_STR(tagged->Mirror->External->APIPrefix, "mirror.prefix.");
    CHECK_STR(tagged->Placement->Tags[1], "tag2");
    CHECK_STR(tagged->Sources[0]->Name, "StreamOne");
    CHECK(tagged->Storage == js_MemoryStorage && tagged->Retention == js_InterestPolicy);
}

static void check_destroys(void)
{
    jsStreamInfo_Destroy(NULL);
    jsStreamInfoList_Destroy(NULL);
    jsStreamNamesList_Destroy(NULL);
    jsConsumerInfo_Destroy(NULL);
    jsConsumerInfoList_Destroy(NULL);
    jsConsumerNamesList_Destroy(NULL);
    jsAccountInfo_Destroy(NULL);
    jsPubAck_Destroy(NULL);
    jsMsgMetaData_Destroy(NULL);
    kvKeysList_Destroy(NULL);

    /* A key list as the library fills it: malloc'ed array of malloc'ed strings. The
     * application took the first key out (set to NULL) and frees it itself. */
    kvKeysList kl;
    kl.Count = 3;
    kl.Keys = malloc(3 * sizeof(char *));
    CHECK(kl.Keys != NULL);
    kl.Keys[0] = strdup("a");
    kl.Keys[1] = strdup("b");
    kl.Keys[2] = strdup("c");
    char *kept = kl.Keys[0];
    kl.Keys[0] = NULL;
    kvKeysList_Destroy(&kl);
    CHECK(kl.Keys == NULL && kl.Count == 0);
    CHECK_STR(kept, "a");
    free(kept);
}

static void check_constants(void)
{
    CHECK_STR(JSMsgSize, "Nats-Msg-Size");
    CHECK_STR(JSMsgRollup, "Nats-Rollup");
    CHECK_STR(JSMsgRollupSubject, "sub");
    CHECK_STR(JSMsgRollupAll, "all");
    CHECK_STR(JSLastSequence, "Nats-Last-Sequence");
    CHECK(JSStreamNotFoundErr == 10059 && JSConsumerReplicasExceedsStreamErr == 10126);
    CHECK(kvOp_Purge == 3 && js_DeliverLastPerSubject == 5 && js_WorkQueuePolicy == 2);
    jsErrCode code = JSNoMessageFoundErr;
    CHECK(code == 10037);
}

int main(void)
{
    test_init("test_js_types");
    check_inits();
    check_documented_config();
    check_destroys();
    check_constants();
    return test_done();
}
