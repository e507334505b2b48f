/*
 * Publishes to a JetStream stream, first one message at a time (each call waits for the
 * stream's acknowledgment), then asynchronously (the acknowledgments come to a handler,
 * and js_PublishAsyncComplete waits for the last of them).
 *
 *   js_publish [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.js", 100 asynchronous messages. The server must run
 * with JetStream enabled (nats-server -js). The stream "DEMO_JS" is created on SUBJECT if
 * it does not exist.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static int fail(const char *what, natsStatus s, jsErrCode code)
{
    fprintf(stderr, "%s failed: %s (%s), JetStream error code %d\n", what, natsStatus_GetText(s),
            nats_GetLastError(NULL), (int)code);
    return 1;
}

/* What the acknowledgment handler counts. It runs on a library thread, one call per
 * message, while the main thread reads the counts: they are atomics. */
typedef struct {
    atomic_int acked;
    atomic_int failed;
} ack_stats;

/* Called once for every asynchronously published message: `pa` when the stream stored
 * it, `pae` when it failed (server error, timeout, no stream). The handler owns `msg`. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    ack_stats *st = closure;
    (void)js;
    if (pa != NULL) {
        atomic_fetch_add(&st->acked, 1);
    } else {
        atomic_fetch_add(&st->failed, 1);
        fprintf(stderr, "message '%.*s' failed: %s (%s)\n", natsMsg_GetDataLength(msg), natsMsg_GetData(msg),
                natsStatus_GetText(pae->Err), pae->ErrText);
    }
    natsMsg_Destroy(msg);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.js";
    int count = argc > 3 ? atoi(argv[3]) : 100;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jsOpts;
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsPubAck *pa = NULL;
    jsPubOptions po;
    jsErrCode code = 0;
    ack_stats st;
    natsStatus s;
    int rc = 0;
    int i;

    atomic_init(&st.acked, 0);
    atomic_init(&st.failed, 0);
    s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return fail("connecting to the server", s, 0);
    printf("connected to %s\n", url);

    /* The context's options: the asynchronous acknowledgments go to on_ack, and at most
     * 50 messages may wait for theirs (a publish then waits, up to StallWait). */
    jsOptions_Init(&jsOpts);
    jsOpts.PublishAsync.AckHandler = on_ack;
    jsOpts.PublishAsync.AckHandlerClosure = &st;
    jsOpts.PublishAsync.MaxPending = 50;
    jsOpts.PublishAsync.StallWait = 2000;
    s = natsConnection_JetStream(&js, nc, &jsOpts);
    if (s != NATS_OK)
        rc = fail("creating the JetStream context", s, 0);

    /* A stream that stores what is published on the subject. */
    if (rc == 0) {
        const char *subjects[] = {subject};

        jsStreamConfig_Init(&cfg);
        cfg.Name = "DEMO_JS";
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_MemoryStorage;
        s = js_AddStream(&si, js, &cfg, NULL, &code);
        if (s != NATS_OK)
            rc = fail("creating the stream", s, code);
        jsStreamInfo_Destroy(si);
    }

    /* Synchronous: each call returns the stream's acknowledgment. A message id lets the
     * stream drop a duplicate (a retried publish, say). */
    for (i = 1; rc == 0 && i <= 3; i++) {
        char text[32];

        snprintf(text, sizeof(text), "sync %d", i);
        jsPubOptions_Init(&po);
        /* The third message reuses the second one's id. */
        po.MsgId = (i == 1) ? "sync-1" : "sync-2";
        s = js_Publish(&pa, js, subject, text, (int)strlen(text), &po, &code);
        if (s != NATS_OK) {
            rc = fail("publishing", s, code);
            break;
        }
        printf("'%s' stored in %s as message %llu%s\n", text, pa->Stream, (unsigned long long)pa->Sequence,
               pa->Duplicate ? " (duplicate: not stored again)" : "");
        jsPubAck_Destroy(pa);
        pa = NULL;
    }

    /* Asynchronous: the calls return at once; on_ack hears about each message. */
    for (i = 1; rc == 0 && i <= count; i++) {
        char text[32];

        snprintf(text, sizeof(text), "async %d", i);
        s = js_PublishAsync(js, subject, text, (int)strlen(text), NULL);
        if (s != NATS_OK)
            rc = fail("publishing asynchronously", s, 0);
    }
    if (rc == 0) {
        jsPubOptions_Init(&po);
        po.MaxWait = 10000;
        s = js_PublishAsyncComplete(js, &po);
        if (s != NATS_OK)
            rc = fail("waiting for the acknowledgments", s, 0);
    }
    printf("async: %d acknowledged, %d failed\n", atomic_load(&st.acked), atomic_load(&st.failed));
    if (rc == 0 && (atomic_load(&st.acked) != count || atomic_load(&st.failed) != 0))
        rc = 1;

    /* The context first (no handler runs after jsCtx_Destroy returns), then the
     * connection. */
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
