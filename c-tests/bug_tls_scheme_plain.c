/*
 * A tls:// URL asks for TLS: a server that offers none must be refused
 * (NATS_SECURE_CONNECTION_WANTED), as natsOptions_SetSecure does. nats.c
 * 3.4.1 ignores the scheme and talks in the clear, credentials included.
 */
#include "harness.h"

int main(void)
{
    test_init("bug_tls_scheme_plain");
    test_server srv;
    server_start(&srv, NULL);
    char url[128];
    snprintf(url, sizeof(url), "tls://127.0.0.1:%d", srv.port);

    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_ConnectTo(&nc, url), NATS_SECURE_CONNECTION_WANTED);
    CHECK(nc == NULL);
    server_stop(&srv);
    return test_done();
}
