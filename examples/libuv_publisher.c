/*
 * Publishes a few messages from a connection that runs on a libuv loop.
 *
 *   libuv_publisher [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.greetings", 5 messages.
 *
 * The loop runs on the main thread, which also connects (libuv is not thread-safe: the
 * adapter must first be attached on the loop's thread). The messages are published, and
 * flushed, from another thread; when it destroys the connection, the adapter lets go of
 * the loop and uv_run() returns. Build with `pkg-config --cflags --libs libnats libuv`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>
#include <nats/adapters/libuv.h>

typedef struct {
    natsConnection *nc;
    const char *subject;
    int count;
    natsStatus status;
} job;

static void *publish_all(void *arg)
{
    job *j = arg;
    natsStatus s = NATS_OK;
    int i;

    for (i = 1; i <= j->count && s == NATS_OK; i++)
    {
        char text[64];

        snprintf(text, sizeof(text), "hello number %d", i);
        /* Queued here, written by the loop thread. */
        s = natsConnection_PublishString(j->nc, j->subject, text);
        if (s == NATS_OK)
            printf("published '%s' on %s\n", text, j->subject);
    }
    /* The loop writes the PING behind the messages and reads the PONG. */
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(j->nc, 5000);
    j->status = s;
    /* Closing detaches the connection from the loop; uv_run() then returns. */
    natsConnection_Destroy(j->nc);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    job j = { NULL, argc > 2 ? argv[2] : "demo.greetings", argc > 3 ? atoi(argv[3]) : 5, NATS_OK };
    natsOptions *opts = NULL;
    uv_loop_t *loop = uv_default_loop();
    pthread_t publisher;
    natsStatus s;

    natsLibuv_Init();
    natsLibuv_SetThreadLocalLoop(loop);

    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(opts, url);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(opts, (void *) loop, natsLibuv_Attach, natsLibuv_Read,
                                     natsLibuv_Write, natsLibuv_Detach);
    if (s == NATS_OK)
        s = natsConnection_Connect(&j.nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK)
    {
        fprintf(stderr, "connecting failed: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));
        return 1;
    }
    printf("connected to %s\n", url);

    if (pthread_create(&publisher, NULL, publish_all, &j) != 0)
    {
        natsConnection_Destroy(j.nc);
        return 1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    pthread_join(publisher, NULL);
    uv_loop_close(loop);

    if (j.status != NATS_OK)
    {
        fprintf(stderr, "publishing failed: %s\n", natsStatus_GetText(j.status));
        return 1;
    }
    printf("published %d messages, the server has them all\n", j.count);
    nats_Close();
    return 0;
}
