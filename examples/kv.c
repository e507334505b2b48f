/*
 * A Key/Value bucket: put, get, update with the revision read, and a watcher
 * that sees the current values, the end of them, and then a change.
 *
 *   kv [URL] [BUCKET]
 *
 * Defaults: NATS_DEFAULT_URL, bucket "demo". The server must run JetStream
 * (nats-server -js). The bucket is kept in memory and deleted at the end.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

static natsStatus
show_next(kvWatcher *w)
{
    kvEntry *e = NULL;
    natsStatus s = kvWatcher_Next(&e, w, 2000);

    if (s != NATS_OK)
        return s;
    if (e == NULL)
    {
        printf("watch: (end of initial values)\n");
        return NATS_OK;
    }
    printf("watch: %s = %.*s (revision %llu, %s)\n", kvEntry_Key(e), kvEntry_ValueLen(e),
           kvEntry_ValueString(e), (unsigned long long) kvEntry_Revision(e),
           kvEntry_Operation(e) == kvOp_Delete ? "deleted" : "put");
    kvEntry_Destroy(e);
    return NATS_OK;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *bucket = argc > 2 ? argv[2] : "demo";
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *kv = NULL;
    kvWatcher *w = NULL;
    kvEntry *e = NULL;
    kvConfig cfg;
    uint64_t rev = 0;
    natsStatus s;

    s = natsConnection_ConnectTo(&nc, url);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK)
    {
        kvConfig_Init(&cfg);
        cfg.Bucket = bucket;
        cfg.History = 5;
        cfg.StorageType = js_MemoryStorage;
        s = js_CreateKeyValue(&kv, js, &cfg);
    }

    /* Put, then read it back. */
    if (s == NATS_OK)
        s = kvStore_PutString(&rev, kv, "greeting", "hello");
    if (s == NATS_OK)
        s = kvStore_Get(&e, kv, "greeting");
    if (s == NATS_OK)
    {
        printf("get: greeting = %s (revision %llu)\n", kvEntry_ValueString(e),
               (unsigned long long) kvEntry_Revision(e));
        rev = kvEntry_Revision(e);
        kvEntry_Destroy(e);
    }

    /* Update only if nobody changed it since we read it. */
    if (s == NATS_OK)
        s = kvStore_UpdateString(&rev, kv, "greeting", "hello again", rev);
    if (s == NATS_OK)
        printf("update: now at revision %llu\n", (unsigned long long) rev);
    if (s == NATS_OK)
    {
        /* A stale revision is refused. */
        natsStatus stale = kvStore_UpdateString(NULL, kv, "greeting", "lost", rev - 1);
        printf("stale update: %s\n", natsStatus_GetText(stale));
    }

    /* Watch every key: current values, a NULL entry, then changes. */
    if (s == NATS_OK)
        s = kvStore_PutString(NULL, kv, "color", "blue");
    if (s == NATS_OK)
        s = kvStore_WatchAll(&w, kv, NULL);
    for (int i = 0; s == NATS_OK && i < 3; i++)
        s = show_next(w);
    if (s == NATS_OK)
        s = kvStore_Delete(kv, "color");
    if (s == NATS_OK)
        s = show_next(w);
    kvWatcher_Destroy(w);

    if (kv != NULL)
    {
        kvStore_Destroy(kv);
        js_DeleteKeyValue(js, bucket);
    }
    if (s != NATS_OK)
        fprintf(stderr, "kv: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));
    else
        printf("kv: done\n");
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return s == NATS_OK ? 0 : 1;
}
