/*
 * Publishes a few messages on a subject, then waits until the server has them all.
 *
 *   publisher [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.greetings", 5 messages.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

static int fail(const char *what, natsStatus s)
{
    /* natsStatus_GetText: a fixed description of the code; nats_GetLastError: the details
     * of the last failure on this thread. */
    fprintf(stderr, "%s failed: %s (%s)\n", what, natsStatus_GetText(s), nats_GetLastError(NULL));
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.greetings";
    int count = argc > 3 ? atoi(argv[3]) : 5;
    natsConnection *nc = NULL;
    natsStatistics *stats = NULL;
    uint64_t outMsgs = 0, outBytes = 0;
    natsStatus s;
    int rc = 0;
    int i;

    s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return fail("connecting to the server", s);
    printf("connected to %s\n", url);

    for (i = 1; i <= count && s == NATS_OK; i++)
    {
        char text[64];

        snprintf(text, sizeof(text), "hello number %d", i);
        /* Publishing only queues the message: it returns before the server has it. */
        s = natsConnection_PublishString(nc, subject, text);
        if (s == NATS_OK)
            printf("published '%s' on %s\n", text, subject);
    }
    if (s != NATS_OK)
        rc = fail("publishing", s);

    /* A flush round-trips a PING: when it returns NATS_OK, the server has received
     * everything published before it. */
    if (rc == 0)
    {
        s = natsConnection_FlushTimeout(nc, 2000);
        if (s != NATS_OK)
            rc = fail("flushing", s);
        else
            printf("flushed: the server has all %d messages\n", count);
    }

    if (rc == 0 && natsStatistics_Create(&stats) == NATS_OK
        && natsConnection_GetStats(nc, stats) == NATS_OK
        && natsStatistics_GetCounts(stats, NULL, NULL, &outMsgs, &outBytes, NULL) == NATS_OK)
    {
        printf("connection sent %" PRIu64 " messages, %" PRIu64 " payload bytes\n", outMsgs, outBytes);
    }

    /* Every object created is destroyed by its owner: here, the statistics and the
     * connection (which closes it). nats_Close releases the library's own resources. */
    natsStatistics_Destroy(stats);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
