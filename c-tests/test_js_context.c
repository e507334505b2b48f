/*
 * JetStream context: natsConnection_JetStream / jsCtx_Destroy argument checks,
 * options, and a context that outlives the application's connection handle.
 */
#include "harness.h"

#include <string.h>

int main(void)
{
    test_init("test_js_context");

    test_server srv;
    server_start(&srv, NULL);

    natsConnection *nc = NULL;
    CHECK_STATUS(natsConnection_ConnectTo(&nc, srv.url), NATS_OK);

    jsCtx *js = NULL;
    /* NULL out-pointer or connection. */
    CHECK_STATUS(natsConnection_JetStream(NULL, nc, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_JetStream(&js, NULL, NULL), NATS_INVALID_ARG);
    CHECK(js == NULL);

    /* Defaults. */
    CHECK_STATUS(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    CHECK(js != NULL);
    jsCtx_Destroy(js);
    js = NULL;

    /* Options: prefix with a trailing dot, a domain, a wait, purge and info defaults;
     * the strings are copied, so the caller's may go away. */
    jsOptions o;
    CHECK_STATUS(jsOptions_Init(&o), NATS_OK);
    char prefix[32] = {0}, subject[32] = {0};
    strcpy(prefix, "$JS.custom.API.");
    strcpy(subject, "orders.>");
    o.Prefix = prefix;
    o.Wait = 1500;
    o.Stream.Purge.Subject = subject;
    o.Stream.Purge.Keep = 3;
    o.Stream.Info.DeletedDetails = true;
    CHECK_STATUS(natsConnection_JetStream(&js, nc, &o), NATS_OK);
    memset(prefix, 'x', sizeof(prefix) - 1);
    memset(subject, 'y', sizeof(subject) - 1);
    jsCtx *js2 = NULL;
    o.Prefix = NULL;
    o.Domain = "hub";
    CHECK_STATUS(natsConnection_JetStream(&js2, nc, &o), NATS_OK);
    jsCtx_Destroy(js2);

    /* The context keeps the connection alive after the application's handle is gone
     * (nats.c retains it too): destroying both, in this order, is clean. */
    natsConnection_Destroy(nc);
    jsCtx_Destroy(js);

    /* NULL is accepted. */
    jsCtx_Destroy(NULL);

    server_stop(&srv);
    return test_done();
}
