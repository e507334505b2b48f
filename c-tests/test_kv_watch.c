/*
 * Key/Value watchers: the initial values, then one NULL entry, then every
 * change; at once NULL on an empty bucket; IgnoreDeletes, MetaOnly,
 * IncludeHistory, wildcards; timeouts; kvWatcher_Stop waking a blocked
 * kvWatcher_Next; destroying a watcher that still holds undelivered updates.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kvEntry *
next_entry(kvWatcher *w)
{
    kvEntry *e = NULL;
    CHECK_OK(kvWatcher_Next(&e, w, 5000));
    CHECK(e != NULL);
    return e;
}

static void
expect_marker(kvWatcher *w)
{
    kvEntry *e = (kvEntry *)1;
    CHECK_OK(kvWatcher_Next(&e, w, 5000));
    CHECK(e == NULL);
}

typedef struct {
    kvWatcher *w;
    natsStatus status;
    int64_t took_ms;
} blocked_next;

static void *
blocked_next_main(void *arg)
{
    blocked_next *b = arg;
    kvEntry *e = NULL;
    int64_t start = test_now_ms();
    b->status = kvWatcher_Next(&e, b->w, 30000);
    b->took_ms = test_now_ms() - start;
    kvEntry_Destroy(e);
    return NULL;
}

int main(void)
{
    test_init("test_kv_watch");

    char dir[] = "/tmp/rnats-kv-watch.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *args[] = {"-js", "-sd", dir, NULL};
    test_server srv;
    server_start(&srv, args);

    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    jsCtx *js = NULL;
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    kvConfig cfg;
    CHECK_OK(kvConfig_Init(&cfg));
    cfg.Bucket = "watch";
    cfg.History = 5;
    kvStore *kv = NULL;
    CHECK_OK(js_CreateKeyValue(&kv, js, &cfg));

    /* Argument checks. */
    kvWatcher *w = NULL;
    kvEntry *e = NULL;
    CHECK_STATUS(kvWatchOptions_Init(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Watch(NULL, kv, "a", NULL), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Watch(&w, NULL, "a", NULL), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Watch(&w, kv, "", NULL), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_Watch(&w, kv, NULL, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(kvStore_WatchAll(&w, NULL, NULL), NATS_INVALID_ARG);
    CHECK(w == NULL);
    CHECK_STATUS(kvWatcher_Next(&e, NULL, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(kvWatcher_Stop(NULL), NATS_INVALID_ARG);
    kvWatcher_Destroy(NULL);

    /* Empty bucket: the marker comes at once, then updates. */
    CHECK_OK(kvStore_WatchAll(&w, kv, NULL));
    CHECK_STATUS(kvWatcher_Next(NULL, w, 1000), NATS_INVALID_ARG);
    CHECK_STATUS(kvWatcher_Next(&e, w, 0), NATS_INVALID_ARG);
    expect_marker(w);
    int64_t start = test_now_ms();
    CHECK_STATUS(kvWatcher_Next(&e, w, 300), NATS_TIMEOUT);
    CHECK(e == NULL);
    CHECK(test_now_ms() - start >= 250);
    CHECK_OK(kvStore_PutString(NULL, kv, "a", "1"));
    e = next_entry(w);
    CHECK_STR(kvEntry_Key(e), "a");
    CHECK_STR(kvEntry_ValueString(e), "1");
    CHECK_STR(kvEntry_Bucket(e), "watch");
    CHECK_EQ(kvEntry_Revision(e), 1);
    CHECK_EQ(kvEntry_Delta(e), 0);
    CHECK_EQ(kvEntry_Operation(e), kvOp_Put);
    CHECK(kvEntry_Created(e) > 0);
    kvEntry_Destroy(e);
    CHECK_OK(kvStore_Delete(kv, "a"));
    e = next_entry(w);
    CHECK_EQ(kvEntry_Operation(e), kvOp_Delete);
    CHECK_EQ(kvEntry_ValueLen(e), 0);
    kvEntry_Destroy(e);
    CHECK_OK(kvWatcher_Stop(w));
    CHECK_OK(kvWatcher_Stop(w));
    CHECK_STATUS(kvWatcher_Next(&e, w, 100), NATS_ILLEGAL_STATE);
    kvWatcher_Destroy(w);
    w = NULL;

    /* Latest values first, then the marker, then live updates. */
    CHECK_OK(kvStore_PutString(NULL, kv, "a", "2"));     /* 3 */
    CHECK_OK(kvStore_PutString(NULL, kv, "b.x", "3"));   /* 4 */
    CHECK_OK(kvStore_PutString(NULL, kv, "b.y", "4"));   /* 5 */
    CHECK_OK(kvStore_Delete(kv, "b.y"));                 /* 6 */
    CHECK_OK(kvStore_WatchAll(&w, kv, NULL));
    e = next_entry(w);
    CHECK_STR(kvEntry_Key(e), "a");
    CHECK_STR(kvEntry_ValueString(e), "2");
    CHECK_EQ(kvEntry_Delta(e), 2);
    kvEntry_Destroy(e);
    e = next_entry(w);
    CHECK_STR(kvEntry_Key(e), "b.x");
    kvEntry_Destroy(e);
    e = next_entry(w);
    CHECK_STR(kvEntry_Key(e), "b.y");
    CHECK_EQ(kvEntry_Operation(e), kvOp_Delete);
    CHECK_EQ(kvEntry_Delta(e), 0);
    kvEntry_Destroy(e);
    expect_marker(w);
    CHECK_OK(kvStore_PutString(NULL, kv, "c", "5"));     /* 7 */
    e = next_entry(w);
    CHECK_STR(kvEntry_Key(e), "c");
    CHECK_EQ(kvEntry_Revision(e), 7);
    kvEntry_Destroy(e);

    /* Wildcards, IgnoreDeletes and MetaOnly. */
    kvWatchOptions o;
    CHECK_OK(kvWatchOptions_Init(&o));
    o.IgnoreDeletes = true;
    o.MetaOnly = true;
    kvWatcher *w2 = NULL;
    CHECK_OK(kvStore_Watch(&w2, kv, "b.*", &o));
    e = next_entry(w2);
    CHECK_STR(kvEntry_Key(e), "b.x");
    CHECK_EQ(kvEntry_ValueLen(e), 0);
    CHECK_EQ(kvEntry_Revision(e), 4);
    kvEntry_Destroy(e);
    expect_marker(w2); /* b.y's delete marker is skipped */
    CHECK_OK(kvStore_PutString(NULL, kv, "q", "not watched"));
    CHECK_OK(kvStore_PutString(NULL, kv, "b.z", "big value"));
    e = next_entry(w2);
    CHECK_STR(kvEntry_Key(e), "b.z");
    CHECK_EQ(kvEntry_ValueLen(e), 0);
    kvEntry_Destroy(e);
    CHECK_STATUS(kvWatcher_Next(&e, w2, 200), NATS_TIMEOUT);
    kvWatcher_Destroy(w2);

    /* IncludeHistory: every kept revision of "a". */
    CHECK_OK(kvWatchOptions_Init(&o));
    o.IncludeHistory = true;
    CHECK_OK(kvStore_Watch(&w2, kv, "a", &o));
    e = next_entry(w2);
    CHECK_STR(kvEntry_ValueString(e), "1");
    kvEntry_Destroy(e);
    e = next_entry(w2);
    CHECK_EQ(kvEntry_Operation(e), kvOp_Delete);
    kvEntry_Destroy(e);
    e = next_entry(w2);
    CHECK_STR(kvEntry_ValueString(e), "2");
    kvEntry_Destroy(e);
    expect_marker(w2);

    /* Stop from another thread wakes a blocked Next. */
    blocked_next b = {.w = w2, .status = NATS_OK};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, blocked_next_main, &b) == 0);
    test_sleep_ms(300);
    CHECK_OK(kvWatcher_Stop(w2));
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_STATUS(b.status, NATS_ILLEGAL_STATE);
    CHECK_MSG(b.took_ms < 10000, "Next returned after %lld ms", (long long)b.took_ms);
    kvWatcher_Destroy(w2);

    /* Updates the watcher received but never handed out go with Destroy. */
    for (int i = 0; i < 20; i++)
        CHECK_OK(kvStore_PutString(NULL, kv, "c", "pending update"));
    test_sleep_ms(200);
    kvWatcher_Destroy(w);

    /* Watchers and entries outlive the store handle. */
    CHECK_OK(kvStore_Watch(&w, kv, "c", NULL));
    kvStore_Destroy(kv);
    e = next_entry(w);
    CHECK_STR(kvEntry_Bucket(e), "watch");
    CHECK_STR(kvEntry_ValueString(e), "pending update");
    kvEntry_Destroy(e);
    expect_marker(w);
    kvWatcher_Destroy(w);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return test_done();
}
