/*
 * Stores messages in a JetStream stream and consumes them with a pull subscription:
 * fetch a batch, process, acknowledge, until all are done.
 *
 *   js_consume [URL] [STREAM] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, stream "DEMO" on subject "demo.orders", 10 messages. The
 * server must run with JetStream enabled (nats-server -js). The stream is created when
 * it does not exist yet; the durable consumer "worker" remembers what was acknowledged,
 * so a second run only gets the new messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static natsStatus fail(const char *what, natsStatus s, jsErrCode jerr)
{
    fprintf(stderr, "js_consume: %s: %s (%s, JetStream error %d)\n", what, natsStatus_GetText(s),
            nats_GetLastError(NULL), (int)jerr);
    return s;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *stream = argc > 2 ? argv[2] : "DEMO";
    const char *subject = argc > 3 ? argv[3] : "demo.orders";
    int count = argc > 4 ? atoi(argv[4]) : 10;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    jsStreamConfig cfg;
    jsErrCode jerr = 0;
    natsStatus s;
    int done = 0;

    s = natsConnection_ConnectTo(&nc, url);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK)
        return fail("connect", s, 0), 1;

    /* The stream: created unless it exists already. */
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream;
    cfg.Subjects = &subject;
    cfg.SubjectsLen = 1;
    s = js_AddStream(NULL, js, &cfg, NULL, &jerr);
    if (s != NATS_OK && jerr != JSStreamNameExistErr)
        return fail("add stream", s, jerr), 1;

    /* Store the messages: each publish waits for the stream's acknowledgement. */
    for (int i = 1; i <= count; i++)
    {
        char data[64];
        snprintf(data, sizeof(data), "order %d", i);
        s = js_Publish(NULL, js, subject, data, (int)strlen(data), NULL, &jerr);
        if (s != NATS_OK)
            return fail("publish", s, jerr), 1;
    }

    /* A pull subscription with a durable consumer. */
    s = js_PullSubscribe(&sub, js, subject, "worker", NULL, NULL, &jerr);
    if (s != NATS_OK)
        return fail("pull subscribe", s, jerr), 1;

    while (done < count)
    {
        natsMsgList list = {0};

        /* Up to 4 messages, waiting up to 2 s for the first one. */
        s = natsSubscription_Fetch(&list, sub, 4, 2000, &jerr);
        if (s == NATS_TIMEOUT)
            break;
        if (s != NATS_OK)
            return fail("fetch", s, jerr), 1;
        for (int i = 0; i < list.Count; i++)
        {
            natsMsg *m = list.Msgs[i];
            jsMsgMetaData *meta = NULL;

            if (natsMsg_GetMetaData(&meta, m) == NATS_OK)
            {
                printf("[%d] %.*s (stream sequence %llu, delivered %llu time(s))\n", ++done,
                       natsMsg_GetDataLength(m), natsMsg_GetData(m),
                       (unsigned long long)meta->Sequence.Stream, (unsigned long long)meta->NumDelivered);
                jsMsgMetaData_Destroy(meta);
            }
            /* Done with it: the server will not deliver it again. */
            s = natsMsg_Ack(m, NULL);
            if (s != NATS_OK)
                return fail("ack", s, 0), 1;
        }
        natsMsgList_Destroy(&list);
    }
    printf("consumed %d messages\n", done);

    /* Destroy keeps the durable consumer (Unsubscribe would delete it). */
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return done == count ? 0 : 1;
}
