/*
 * Receives messages on a subject with a synchronous subscription.
 *
 *   subscriber [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.greetings", 5 messages. Gives up when no message
 * arrives for 10 seconds. Start it, then run the publisher with the same subject.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

static int fail(const char *what, natsStatus s)
{
    fprintf(stderr, "%s failed: %s (%s)\n", what, natsStatus_GetText(s), nats_GetLastError(NULL));
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.greetings";
    int count = argc > 3 ? atoi(argv[3]) : 5;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsStatus s;
    int rc = 0;
    int received = 0;

    s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return fail("connecting to the server", s);

    s = natsConnection_SubscribeSync(&sub, nc, subject);
    /* The flush makes sure the server has registered the subscription before we say so. */
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 2000);
    if (s != NATS_OK)
        rc = fail("subscribing", s);
    else
        printf("listening on %s for %d messages\n", subject, count);
    fflush(stdout);

    while (rc == 0 && received < count)
    {
        natsMsg *msg = NULL;

        /* Blocks the calling thread for up to 10 s. */
        s = natsSubscription_NextMsg(&msg, sub, 10000);
        if (s == NATS_TIMEOUT)
        {
            fprintf(stderr, "no message for 10 s, giving up after %d\n", received);
            rc = 1;
            break;
        }
        if (s != NATS_OK)
        {
            rc = fail("receiving", s);
            break;
        }
        received++;
        printf("[%d] %s: %.*s\n", received, natsMsg_GetSubject(msg),
               natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
        /* Messages returned by NextMsg belong to the caller. */
        natsMsg_Destroy(msg);
    }

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
