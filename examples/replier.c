/*
 * Answers requests: an asynchronous subscription whose handler publishes a reply to each
 * message's reply subject.
 *
 *   replier [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.service", 5 requests. Start it, then run the requestor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

typedef struct
{
    int answered;
    int wanted;
} state;

/* Runs on the subscription's delivery thread, never on the connection's I/O thread: it may
 * publish, flush or even make requests itself. It owns the message. */
static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    state *st = closure;
    char answer[256];
    (void)sub;

    snprintf(answer, sizeof(answer), "re: %.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    if (natsMsg_GetReply(msg) != NULL)
        natsConnection_PublishString(nc, natsMsg_GetReply(msg), answer);
    natsMsg_Destroy(msg);
    st->answered++;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.service";
    state st = { 0, argc > 3 ? atoi(argv[3]) : 5 };
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsStatus s;

    s = natsConnection_ConnectTo(&nc, url);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&sub, nc, subject, on_request, &st);
    /* Auto-unsubscribe after the wanted number of requests: the handler runs exactly that
     * many times. */
    if (s == NATS_OK)
        s = natsSubscription_AutoUnsubscribe(sub, st.wanted);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 2000);
    if (s != NATS_OK)
    {
        fprintf(stderr, "replier: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));
        natsSubscription_Destroy(sub);
        natsConnection_Destroy(nc);
        return 1;
    }
    printf("answering %d requests on %s\n", st.wanted, subject);
    fflush(stdout);

    /* Wait until the subscription has ended (limit reached) or 30 s passed. */
    for (int i = 0; i < 300 && natsSubscription_IsValid(sub); i++)
        nats_Sleep(100);

    /* Destroy waits for a handler still running: reading st afterwards is safe. */
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    printf("answered %d requests\n", st.answered);
    nats_Close();
    return st.answered == st.wanted ? 0 : 1;
}
