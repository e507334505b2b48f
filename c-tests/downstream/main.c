/*
 * A downstream program: built against an installed rnats (or nats.c) through the
 * cnats CMake package or the libnats pkg-config module, never against the source tree.
 *
 *   downstream URL
 *
 * Connects, publishes one message, flushes, prints OK and exits 0.
 */
#include <stdio.h>

#include <nats/nats.h>

int main(int argc, char **argv)
{
    natsConnection *nc = NULL;
    natsStatus s;

    if (argc < 2)
    {
        fprintf(stderr, "usage: %s URL\n", argv[0]);
        return 2;
    }

    s = natsConnection_ConnectTo(&nc, argv[1]);
    if (s == NATS_OK)
        s = natsConnection_PublishString(nc, "downstream.check", "hello from downstream");
    if (s == NATS_OK)
        s = natsConnection_FlushTimeout(nc, 5000);

    if (s == NATS_OK)
        printf("OK (library API version %s, header %s)\n", nats_GetVersion(), NATS_VERSION_STRING);
    else
        fprintf(stderr, "FAILED: %s (%s)\n", natsStatus_GetText(s), nats_GetLastError(NULL));

    natsConnection_Destroy(nc);
    nats_Close();
    return s == NATS_OK ? 0 : 1;
}
