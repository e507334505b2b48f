/*
 * A password holding a double quote and a backslash must reach the server
 * intact. nats.c 3.4.1 writes it into the CONNECT JSON without escaping, so
 * the server cannot parse CONNECT and the connect fails (NATS_PROTOCOL_ERROR,
 * "Expected 'PONG', got ''"); rnats builds CONNECT with a JSON encoder.
 */
#include "harness.h"

int main(void)
{
    test_init("bug_password_escaping");
    test_server srv;
    server_start_conf(&srv,
        "authorization { users = [ {user: \"alice\", password: \"q\\\"uo\\\\te\"} ] }\n",
        NULL);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv.url));
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "q\"uo\\te"));
    CHECK_OK(natsConnection_Connect(&nc, o));
    CHECK_OK(natsConnection_Flush(nc));
    natsConnection_Destroy(nc);

    /* And a wrong one with the same characters is refused as such. */
    CHECK_OK(natsOptions_SetUserInfo(o, "alice", "q\"uo\\t"));
    nc = NULL;
    CHECK_STATUS(natsConnection_Connect(&nc, o), NATS_CONNECTION_AUTH_FAILED);
    natsOptions_Destroy(o);
    server_stop(&srv);
    return test_done();
}
