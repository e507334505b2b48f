/*
 * One side of the Key/Value interoperability test (tests/kv_interop.rs). Built
 * against Debian's nats.c; run with that library or, through LD_LIBRARY_PATH,
 * with rnats's libnats.so.3.4.
 *
 *   kv_interop URL write NAME    bucket "interop": NAME.key = "written by NAME",
 *                                NAME.gone put then deleted, NAME.n updated twice
 *   kv_interop URL read NAME     checks what `write NAME` left
 *
 * Prints "library: <path of the libnats in use>" and "ok" on success.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#define TRY(call)                                                                 \
    do {                                                                          \
        natsStatus s_ = (call);                                                   \
        if (s_ != NATS_OK) {                                                      \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,   \
                    natsStatus_GetText(s_), nats_GetLastError(NULL));             \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

#define EXPECT(cond)                                                              \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #cond);      \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    const char *url = argv[1], *mode = argv[2], *name = argv[3];
    char key[128], gone[128], counter[128], value[128];
    snprintf(key, sizeof(key), "%s.key", name);
    snprintf(gone, sizeof(gone), "%s.gone", name);
    snprintf(counter, sizeof(counter), "%s.n", name);
    snprintf(value, sizeof(value), "written by %s", name);

    Dl_info info;
    if (dladdr((void *)kvStore_Put, &info) && info.dli_fname != NULL)
        printf("library: %s\n", info.dli_fname);

    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    kvStore *kv = NULL;
    kvEntry *e = NULL;
    TRY(natsConnection_ConnectTo(&nc, url));
    TRY(natsConnection_JetStream(&js, nc, NULL));

    if (strcmp(mode, "write") == 0) {
        kvConfig cfg;
        uint64_t rev = 0;
        kvConfig_Init(&cfg);
        cfg.Bucket = "interop";
        cfg.History = 10;
        TRY(js_CreateKeyValue(&kv, js, &cfg));
        TRY(kvStore_PutString(NULL, kv, key, value));
        TRY(kvStore_PutString(NULL, kv, gone, "soon gone"));
        TRY(kvStore_Delete(kv, gone));
        TRY(kvStore_CreateString(&rev, kv, counter, "1"));
        TRY(kvStore_UpdateString(&rev, kv, counter, "2", rev));
        TRY(kvStore_UpdateString(&rev, kv, counter, "3", rev));
    } else {
        TRY(js_KeyValue(&kv, js, "interop"));
        TRY(kvStore_Get(&e, kv, key));
        EXPECT(strcmp(kvEntry_ValueString(e), value) == 0);
        EXPECT(kvEntry_Operation(e) == kvOp_Put);
        kvEntry_Destroy(e);
        e = NULL;
        EXPECT(kvStore_Get(&e, kv, gone) == NATS_NOT_FOUND);
        TRY(kvStore_Get(&e, kv, counter));
        EXPECT(strcmp(kvEntry_ValueString(e), "3") == 0);
        uint64_t last = kvEntry_Revision(e);
        kvEntry_Destroy(e);
        e = NULL;
        kvEntryList l;
        TRY(kvStore_History(&l, kv, counter, NULL));
        EXPECT(l.Count == 3);
        EXPECT(strcmp(kvEntry_ValueString(l.Entries[0]), "1") == 0);
        kvEntryList_Destroy(&l);
        TRY(kvStore_History(&l, kv, gone, NULL));
        EXPECT(l.Count == 2);
        EXPECT(kvEntry_Operation(l.Entries[1]) == kvOp_Delete);
        kvEntryList_Destroy(&l);
        /* The writer's revision is the one to update from. */
        EXPECT(kvStore_UpdateString(NULL, kv, counter, "x", last - 1) == NATS_ERR);
        TRY(kvStore_UpdateString(NULL, kv, counter, "4", last));
        /* A watcher sees the writer's keys. */
        kvWatcher *w = NULL;
        char filter[140];
        snprintf(filter, sizeof(filter), "%s.*", name);
        TRY(kvStore_Watch(&w, kv, filter, NULL));
        int n = 0;
        for (;;) {
            TRY(kvWatcher_Next(&e, w, 5000));
            if (e == NULL)
                break;
            n++;
            kvEntry_Destroy(e);
        }
        EXPECT(n == 3);
        kvWatcher_Destroy(w);
    }
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    printf("ok\n");
    return 0;
}
