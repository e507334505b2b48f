/*
 * Library tear-down: nats_Close / nats_CloseAndWait, and opening the
 * library again afterwards.
 */
#include "harness.h"

static void connect_roundtrip(const char *url)
{
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;

    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "lib.close"));
    CHECK_OK(natsConnection_PublishString(nc, "lib.close", "hi"));
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    CHECK_STR(natsMsg_GetData(m), "hi");
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

int main(void)
{
    test_server srv;

    test_init("test_library_close");
    server_start(&srv, NULL);

    CHECK_OK(nats_Open(-1));
    connect_roundtrip(srv.url);

    /* Everything destroyed: waiting for the tear-down succeeds. */
    CHECK_OK(nats_CloseAndWait(0));

    /* The library can be used again (explicitly opened ...). */
    CHECK_OK(nats_Open(-1));
    connect_roundtrip(srv.url);
    CHECK_OK(nats_CloseAndWait(5000));

    /* ... or implicitly, by the first call that needs it. */
    connect_roundtrip(srv.url);

    /* A connection still alive holds the library: a bounded wait times
     * out, and the connection can still be destroyed afterwards. */
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    int64_t t0 = test_now_ms();
    CHECK_STATUS(nats_CloseAndWait(200), NATS_TIMEOUT);
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el < 5000, "nats_CloseAndWait(200) took %lld ms", (long long)el);
    natsConnection_Destroy(nc);

    server_stop(&srv);
    return test_done();
}
