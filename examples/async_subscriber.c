/*
 * Receives messages with an asynchronous subscription: a handler called on a delivery
 * thread, in order, for each message.
 *
 *   async_subscriber [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.greetings", 5 messages; gives up after 10 s without
 * a message (the handler is then called with a NULL message).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

typedef struct
{
    atomic_int received;
    atomic_int idle;
} state;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    state *st = closure;
    (void)nc;
    (void)sub;

    if (msg == NULL)
    {
        /* SubscribeTimeout: nothing arrived for the whole timeout. */
        atomic_store(&st->idle, 1);
        return;
    }
    printf("[%d] %s: %.*s\n", atomic_fetch_add(&st->received, 1) + 1, natsMsg_GetSubject(msg),
           natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    fflush(stdout);
    natsMsg_Destroy(msg);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.greetings";
    int count = argc > 3 ? atoi(argv[3]) : 5;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    state st;
    natsStatus s;

    atomic_init(&st.received, 0);
    atomic_init(&st.idle, 0);
    s = natsConnection_ConnectTo(&nc, url);
    if (s == NATS_OK)
        s = natsConnection_SubscribeTimeout(&sub, nc, subject, 10000, on_msg, &st);
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 2000);
    if (s != NATS_OK)
    {
        fprintf(stderr, "async_subscriber: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));
        natsConnection_Destroy(nc);
        return 1;
    }
    printf("listening on %s for %d messages\n", subject, count);
    fflush(stdout);

    while (atomic_load(&st.received) < count && !atomic_load(&st.idle))
        nats_Sleep(20);

    /* After Destroy returns no handler runs any more. */
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    nats_Close();
    return atomic_load(&st.received) >= count ? 0 : 1;
}
