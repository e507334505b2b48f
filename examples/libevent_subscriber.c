/*
 * Receives a number of messages on a connection that runs on a libevent loop.
 *
 *   libevent_subscriber [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.greetings", 5 messages.
 *
 * The loop runs on a thread of its own; the main thread subscribes and flushes (the loop
 * writes the SUB and reads the PONG), then waits for the loop to end. The message handler
 * runs on the subscription's own thread (never on the loop's) and stops the loop once it
 * has seen COUNT messages.
 * Build with `pkg-config --cflags --libs libnats libevent libevent_pthreads`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>
#include <nats/adapters/libevent.h>

typedef struct {
    struct event_base *base;
    int count;
    int received;
} state;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    state *st = closure;

    (void) nc;
    (void) sub;
    st->received++;
    printf("[%d] %s: '%.*s'\n", st->received, natsMsg_GetSubject(msg),
           natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    fflush(stdout);
    natsMsg_Destroy(msg);
    if (st->received == st->count)
        event_base_loopexit(st->base, NULL); /* thread-safe after natsLibevent_Init() */
}

static void *run_loop(void *arg)
{
    event_base_dispatch((struct event_base *) arg);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.greetings";
    state st = { NULL, argc > 3 ? atoi(argv[3]) : 5, 0 };
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    pthread_t loop_thread;
    bool looping = false;
    natsStatus s;

    /* Before the event_base is created: it makes libevent thread-safe. */
    natsLibevent_Init();
    st.base = event_base_new();
    if (st.base == NULL)
        return 1;

    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(opts, url);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(opts, (void *) st.base, natsLibevent_Attach, natsLibevent_Read,
                                     natsLibevent_Write, natsLibevent_Detach);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, opts);
    natsOptions_Destroy(opts);
    if ((s == NATS_OK) && (pthread_create(&loop_thread, NULL, run_loop, st.base) == 0))
        looping = true;
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&sub, nc, subject, on_msg, &st);
    /* Once the flush returns, the server has the SUB: publishers may start. */
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 5000);
    if ((s != NATS_OK) || !looping)
    {
        fprintf(stderr, "subscribing failed: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));
        if (looping)
            event_base_loopexit(st.base, NULL);
    }
    else
    {
        printf("listening on %s for %d messages\n", subject, st.count);
        fflush(stdout);
    }
    if (looping)
        pthread_join(loop_thread, NULL);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    event_base_free(st.base);
    printf("received %d messages\n", st.received);
    nats_Close();
    return st.received == st.count ? 0 : 1;
}
