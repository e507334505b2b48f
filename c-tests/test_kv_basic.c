/*
 * Key/Value store: buckets (create, bind, delete, bad names), put / get /
 * create / update / delete / purge, binary, empty and size-limited values,
 * revisions, keys, history, purge of old markers, status, NULL arguments.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kvStore *
make_bucket(jsCtx *js, const char *name, uint8_t history, int32_t max_value)
{
    kvConfig cfg;
    kvStore *kv = NULL;
    CHECK_OK(kvConfig_Init(&cfg));
    cfg.Bucket = name;
    cfg.History = history;
    cfg.MaxValueSize = max_value;
    CHECK_OK(js_CreateKeyValue(&kv, js, &cfg));
    CHECK(kv != NULL);
    return kv;
}

int main(void)
{
    test_init("test_kv_basic");

    char dir[] = "/tmp/rnats-kv-basic.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *args[] = {"-js", "-sd", dir, NULL};
    test_server srv;
    server_start(&srv, args);

    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    jsCtx *js = NULL;
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));

    /* Bad arguments and names. */
    kvConfig cfg;
    kvStore *kv = NULL;
    CHECK_STATUS(kvConfig_Init(NULL), NATS_INVALID_ARG);
    CHECK_OK(kvConfig_Init(&cfg));
    cfg.Bucket = "ok";
    CHECK_STATUS(js_CreateKeyValue(NULL, js, &cfg), NATS_INVALID_ARG);
    CHECK_STATUS(js_CreateKeyValue(&kv, NULL, &cfg), NATS_INVALID_ARG);
    CHECK_STATUS(js_CreateKeyValue(&kv, js, NULL), NATS_INVALID_ARG);
    const char *bad_buckets[] = {"", "a.b", "a b", "a*", ">", NULL};
    for (int i = 0; bad_buckets[i] != NULL; i++) {
        cfg.Bucket = bad_buckets[i];
        CHECK_STATUS(js_CreateKeyValue(&kv, js, &cfg), NATS_INVALID_ARG);
        CHECK(strstr(nats_GetLastError(NULL), "invalid bucket name") != NULL);
        CHECK_STATUS(js_KeyValue(&kv, js, bad_buckets[i]), NATS_INVALID_ARG);
        CHECK_STATUS(js_DeleteKeyValue(js, bad_buckets[i]), NATS_INVALID_ARG);
    }
    cfg.Bucket = NULL;
    CHECK_STATUS(js_CreateKeyValue(&kv, js, &cfg), NATS_INVALID_ARG);
    cfg.Bucket = "hist";
    cfg.History = 65;
    CHECK_STATUS(js_CreateKeyValue(&kv, js, &cfg), NATS_INVALID_ARG);
    CHECK(strstr(nats_GetLastError(NULL), "history limited to a max of") != NULL);
    CHECK(kv == NULL);
    CHECK_STATUS(js_KeyValue(&kv, js, "missing"), NATS_NOT_FOUND);
    CHECK_STATUS(js_DeleteKeyValue(js, "missing"), NATS_NOT_FOUND);
    CHECK_STATUS(js_KeyValue(NULL, js, "missing"), NATS_INVALID_ARG);

    kv = make_bucket(js, "basic", 10, 64);
    CHECK_STR(kvStore_Bucket(kv), "basic");
    CHECK(kvStore_Bucket(NULL) == NULL);

    /* Put and get. */
    uint64_t rev = 99;
    CHECK_OK(kvStore_PutString(&rev, kv, "name", "derek"));
    CHECK_EQ(rev, 1);
    kvEntry *e = NULL;
    CHECK_OK(kvStore_Get(&e, kv, "name"));
    CHECK(e != NULL);
    CHECK_STR(kvEntry_Bucket(e), "basic");
    CHECK_STR(kvEntry_Key(e), "name");
    CHECK_STR(kvEntry_ValueString(e), "derek");
    CHECK_EQ(kvEntry_ValueLen(e), 5);
    CHECK(memcmp(kvEntry_Value(e), "derek", 5) == 0);
    CHECK_EQ(kvEntry_Revision(e), 1);
    CHECK_EQ(kvEntry_Delta(e), 0);
    CHECK_EQ(kvEntry_Operation(e), kvOp_Put);
    int64_t now_ns = nats_NowInNanoSeconds();
    CHECK_MSG(kvEntry_Created(e) > now_ns - 60LL * 1000000000LL && kvEntry_Created(e) <= now_ns + 1000000000LL,
              "created %lld, now %lld", (long long)kvEntry_Created(e), (long long)now_ns);
    kvEntry_Destroy(e);
    e = NULL;

    /* Update needs the latest revision; Create needs no value. */
    CHECK_OK(kvStore_UpdateString(&rev, kv, "name", "rip", 1));
    CHECK_EQ(rev, 2);
    CHECK_STATUS(kvStore_UpdateString(&rev, kv, "name", "x", 1), NATS_ERR);
    CHECK(strstr(nats_GetLastError(NULL), "wrong last sequence") != NULL);
    CHECK_EQ(rev, 0);
    CHECK_STATUS(kvStore_CreateString(&rev, kv, "name", "x"), NATS_ERR);
    CHECK_OK(kvStore_CreateString(&rev, kv, "other", "o"));
    CHECK_EQ(rev, 3);

    /* Revisions. */
    CHECK_OK(kvStore_GetRevision(&e, kv, "name", 1));
    CHECK_STR(kvEntry_ValueString(e), "derek");
    kvEntry_Destroy(e);
    e = NULL;
    CHECK_STATUS(kvStore_GetRevision(&e, kv, "name", 0), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_GetRevision(&e, kv, "name", 3), NATS_NOT_FOUND); /* other's */
    CHECK(e == NULL);
    CHECK_STATUS(kvStore_Get(&e, kv, "nope"), NATS_NOT_FOUND);
    CHECK(e == NULL);

    /* Delete: Get says not found; Create works again. */
    CHECK_OK(kvStore_Delete(kv, "name"));
    CHECK_STATUS(kvStore_Get(&e, kv, "name"), NATS_NOT_FOUND);
    CHECK_OK(kvStore_CreateString(&rev, kv, "name", "again"));
    CHECK_EQ(rev, 5);
    CHECK_OK(kvStore_Get(&e, kv, "name"));
    CHECK_STR(kvEntry_ValueString(e), "again");
    kvEntry_Destroy(e);
    e = NULL;

    /* History: every revision, markers included. */
    kvEntryList l;
    CHECK_OK(kvStore_History(&l, kv, "name", NULL));
    CHECK_EQ(l.Count, 4);
    CHECK_STR(kvEntry_ValueString(l.Entries[0]), "derek");
    CHECK_EQ(kvEntry_Operation(l.Entries[2]), kvOp_Delete);
    CHECK_EQ(kvEntry_Revision(l.Entries[3]), 5);
    CHECK_EQ(kvEntry_Delta(l.Entries[3]), 0);
    kvEntryList_Destroy(&l);
    CHECK(l.Entries == NULL);
    CHECK_EQ(l.Count, 0);
    kvWatchOptions wo;
    CHECK_OK(kvWatchOptions_Init(&wo));
    wo.IgnoreDeletes = true;
    CHECK_OK(kvStore_History(&l, kv, "name", &wo));
    CHECK_EQ(l.Count, 3);
    kvEntryList_Destroy(&l);
    CHECK_STATUS(kvStore_History(&l, kv, "never", NULL), NATS_NOT_FOUND);
    CHECK_EQ(l.Count, 0);
    CHECK_STATUS(kvStore_History(NULL, kv, "name", NULL), NATS_INVALID_ARG);

    /* Purge: only the purge marker remains. */
    CHECK_OK(kvStore_Purge(kv, "name", NULL));
    CHECK_OK(kvStore_History(&l, kv, "name", NULL));
    CHECK_EQ(l.Count, 1);
    CHECK_EQ(kvEntry_Operation(l.Entries[0]), kvOp_Purge);
    kvEntryList_Destroy(&l);
    CHECK_STATUS(kvStore_Get(&e, kv, "name"), NATS_NOT_FOUND);

    /* Binary, empty and size-limited values; odd but valid keys. */
    unsigned char bin[64];
    for (int i = 0; i < 64; i++)
        bin[i] = (unsigned char)(i * 7);
    bin[3] = 0;
    CHECK_OK(kvStore_Put(&rev, kv, "bin", bin, 64));
    CHECK_OK(kvStore_Get(&e, kv, "bin"));
    CHECK_EQ(kvEntry_ValueLen(e), 64);
    CHECK(memcmp(kvEntry_Value(e), bin, 64) == 0);
    kvEntry_Destroy(e);
    e = NULL;
    CHECK_OK(kvStore_Put(&rev, kv, "big", bin, 64)); /* the largest allowed */
    unsigned char big[65] = {0};
    CHECK_STATUS(kvStore_Put(&rev, kv, "big2", big, 65), NATS_ERR);
    CHECK_STATUS(kvStore_Get(&e, kv, "big2"), NATS_NOT_FOUND);
    CHECK_OK(kvStore_Put(&rev, kv, "empty", NULL, 0));
    CHECK_OK(kvStore_Get(&e, kv, "empty"));
    CHECK_EQ(kvEntry_ValueLen(e), 0);
    CHECK_EQ(kvEntry_Operation(e), kvOp_Put);
    kvEntry_Destroy(e);
    e = NULL;
    CHECK_OK(kvStore_PutString(NULL, kv, "a/b\\c=d_e-f.g", "odd"));
    CHECK_OK(kvStore_Get(&e, kv, "a/b\\c=d_e-f.g"));
    CHECK_STR(kvEntry_ValueString(e), "odd");
    kvEntry_Destroy(e);
    e = NULL;

    /* Invalid keys and NULL arguments. */
    const char *bad_keys[] = {"", ".a", "a.", "a..b", "a b", "a*", "a.>", NULL};
    for (int i = 0; bad_keys[i] != NULL; i++) {
        CHECK_STATUS(kvStore_PutString(&rev, kv, bad_keys[i], "x"), NATS_INVALID_ARG);
        CHECK(strstr(nats_GetLastError(NULL), "invalid key") != NULL);
        CHECK_STATUS(kvStore_Get(&e, kv, bad_keys[i]), NATS_INVALID_ARG);
        CHECK_STATUS(kvStore_Delete(kv, bad_keys[i]), NATS_INVALID_ARG);
        CHECK_STATUS(kvStore_Purge(kv, bad_keys[i], NULL), NATS_INVALID_ARG);
    }
    CHECK_STATUS(kvStore_PutString(&rev, kv, NULL, "x"), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_PutString(&rev, NULL, "k", "x"), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Get(NULL, kv, "k"), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Get(&e, NULL, "k"), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Delete(NULL, "k"), NATS_INVALID_ARG);
    CHECK(kvEntry_Key(NULL) == NULL);
    CHECK(kvEntry_Bucket(NULL) == NULL);
    CHECK(kvEntry_Value(NULL) == NULL);
    CHECK(kvEntry_ValueString(NULL) == NULL);
    CHECK_EQ(kvEntry_ValueLen(NULL), -1);
    CHECK_EQ(kvEntry_Revision(NULL), 0);
    CHECK_EQ(kvEntry_Created(NULL), 0);
    CHECK_EQ(kvEntry_Delta(NULL), 0);
    CHECK_EQ(kvEntry_Operation(NULL), kvOp_Unknown);
    kvEntry_Destroy(NULL);
    kvEntryList_Destroy(NULL);
    kvKeysList_Destroy(NULL);

    /* Keys: live keys only. */
    CHECK_OK(kvStore_Delete(kv, "other"));
    kvKeysList kl;
    CHECK_OK(kvStore_Keys(&kl, kv, NULL));
    CHECK_EQ(kl.Count, 4);
    int seen = 0;
    for (int i = 0; i < kl.Count; i++) {
        if (strcmp(kl.Keys[i], "bin") == 0) seen |= 1;
        else if (strcmp(kl.Keys[i], "big") == 0) seen |= 2;
        else if (strcmp(kl.Keys[i], "empty") == 0) seen |= 4;
        else if (strcmp(kl.Keys[i], "a/b\\c=d_e-f.g") == 0) seen |= 8;
        else FAIL("unexpected key %s", kl.Keys[i]);
    }
    CHECK_EQ(seen, 15);
    kvKeysList_Destroy(&kl);
    CHECK(kl.Keys == NULL);
    CHECK_EQ(kl.Count, 0);
    CHECK_STATUS(kvStore_Keys(NULL, kv, NULL), NATS_INVALID_ARG);

    /* Status. */
    kvStatus *st = NULL;
    CHECK_OK(kvStore_Status(&st, kv));
    CHECK_STR(kvStatus_Bucket(st), "basic");
    CHECK_EQ(kvStatus_History(st), 10);
    CHECK_EQ(kvStatus_TTL(st), 0);
    CHECK_EQ(kvStatus_Replicas(st), 1);
    /* name: purge marker; other: value + delete marker; bin, big, empty, odd key. */
    CHECK_EQ(kvStatus_Values(st), 7);
    kvStatus_Destroy(st);
    st = NULL;
    CHECK(kvStatus_Bucket(NULL) == NULL);
    CHECK_EQ(kvStatus_Values(NULL), 0);
    CHECK_EQ(kvStatus_History(NULL), 0);
    CHECK_EQ(kvStatus_TTL(NULL), 0);
    CHECK_EQ(kvStatus_Replicas(NULL), 0);
    kvStatus_Destroy(NULL);
    CHECK_STATUS(kvStore_Status(NULL, kv), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Status(&st, NULL), NATS_INVALID_ARG);

    /* Purge deletes: recent markers stay by default, the values under them go;
     * a negative age removes the markers too. */
    kvPurgeOptions po;
    CHECK_STATUS(kvPurgeOptions_Init(NULL), NATS_INVALID_ARG);
    CHECK_OK(kvPurgeOptions_Init(&po));
    CHECK_OK(kvStore_PurgeDeletes(kv, NULL));
    CHECK_OK(kvStore_Status(&st, kv));
    CHECK_EQ(kvStatus_Values(st), 6);
    kvStatus_Destroy(st);
    po.DeleteMarkersOlderThan = -1;
    CHECK_OK(kvStore_PurgeDeletes(kv, &po));
    CHECK_OK(kvStore_Status(&st, kv));
    CHECK_EQ(kvStatus_Values(st), 4);
    kvStatus_Destroy(st);
    CHECK_STATUS(kvStore_History(&l, kv, "other", NULL), NATS_NOT_FOUND);

    /* The same configuration binds again; another one is refused. */
    kvStore *kv2 = make_bucket(js, "basic", 10, 64);
    kvStore_Destroy(kv2);
    kv2 = NULL;
    CHECK_OK(kvConfig_Init(&cfg));
    cfg.Bucket = "basic";
    cfg.History = 2;
    CHECK_STATUS(js_CreateKeyValue(&kv2, js, &cfg), NATS_ERR);
    CHECK(kv2 == NULL);
    CHECK_OK(js_KeyValue(&kv2, js, "basic"));
    CHECK_OK(kvStore_Get(&e, kv2, "bin"));
    kvEntry_Destroy(e);
    e = NULL;
    kvStore_Destroy(kv2);

    /* Memory storage and a TTL show in the status. */
    CHECK_OK(kvConfig_Init(&cfg));
    cfg.Bucket = "mem";
    cfg.StorageType = js_MemoryStorage;
    cfg.TTL = 3600LL * 1000000000LL;
    cfg.Description = "in memory";
    kvStore *mem = NULL;
    CHECK_OK(js_CreateKeyValue(&mem, js, &cfg));
    CHECK_OK(kvStore_Status(&st, mem));
    CHECK_EQ(kvStatus_TTL(st), 3600LL * 1000000000LL);
    CHECK_EQ(kvStatus_History(st), 1);
    kvStatus_Destroy(st);
    kvStore_Destroy(mem);

    /* Delete the bucket: binding fails afterwards; old handles report errors. */
    CHECK_OK(js_DeleteKeyValue(js, "basic"));
    CHECK_STATUS(js_KeyValue(&kv2, js, "basic"), NATS_NOT_FOUND);
    CHECK_STATUS(kvStore_Status(&st, kv), NATS_NOT_FOUND);
    kvStore_Destroy(kv);
    kvStore_Destroy(NULL);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return test_done();
}
