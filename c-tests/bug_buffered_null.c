/*
 * nats.c 3.4.1 defect pinned here: natsConnection_Buffered(NULL) returns 16.
 *
 * The function returns a byte count, documented as "-1 if the connection
 * is closed"; nats.c returns the status code NATS_INVALID_ARG (16) for a
 * NULL connection, which a caller cannot tell from 16 buffered bytes.
 * Without a connection there is nothing to send: the answer must be -1,
 * as for a closed connection.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

int main(void)
{
    test_init("bug_buffered_null");

    test_server srv;
    server_start(&srv, NULL);
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_EQ(natsConnection_Buffered(nc), 0);
    natsConnection_Close(nc);
    CHECK_EQ(natsConnection_Buffered(nc), -1);
    natsConnection_Destroy(nc);

    int b = natsConnection_Buffered(NULL);
    CHECK_MSG(b == -1, "natsConnection_Buffered(NULL) = %d", b);

    server_stop(&srv);
    return test_done();
}
