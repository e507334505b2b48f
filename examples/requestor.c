/*
 * Sends requests and prints the replies.
 *
 *   requestor [URL] [SUBJECT] [COUNT]
 *
 * Defaults: NATS_DEFAULT_URL, "demo.service", 5 requests, each waiting up to 2 s.
 * NATS_NO_RESPONDERS comes back at once when nothing listens on the subject.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nats/nats.h>

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NATS_DEFAULT_URL;
    const char *subject = argc > 2 ? argv[2] : "demo.service";
    int count = argc > 3 ? atoi(argv[3]) : 5;
    natsConnection *nc = NULL;
    natsStatus s;
    int ok = 0;

    s = natsConnection_ConnectTo(&nc, url);
    for (int i = 0; s == NATS_OK && i < count; i++)
    {
        char body[64];
        natsMsg *reply = NULL;
        int64_t start = nats_NowInNanoSeconds();

        snprintf(body, sizeof(body), "request %d", i + 1);
        s = natsConnection_RequestString(&reply, nc, subject, body, 2000);
        if (s == NATS_OK)
        {
            printf("%s -> %.*s (%.0f us)\n", body, natsMsg_GetDataLength(reply), natsMsg_GetData(reply),
                   (nats_NowInNanoSeconds() - start) / 1000.0);
            natsMsg_Destroy(reply);
            ok++;
        }
    }
    if (s != NATS_OK)
        fprintf(stderr, "requestor: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));
    natsConnection_Destroy(nc);
    nats_Close();
    return ok == count ? 0 : 1;
}
