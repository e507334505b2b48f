/*
 * nats.c 3.4.1 defect pinned here: natsConnection_Buffered reports 0 while
 * the connection is reconnecting, although every publish made meanwhile is
 * held for the next server.
 *
 * The function is documented to return "the number of bytes to be sent to
 * the server". nats.c counts only its socket write buffer; publishes made
 * while reconnecting go to a separate reconnect buffer, which it does not
 * count, so an application that waits for Buffered() to reach 0 believes
 * everything was sent while nothing was. Here the reconnect is held by a
 * custom reconnect delay, ten 16-byte PUB frames are accepted, and
 * Buffered() must count them (160 bytes, within the reconnect buffer
 * size), then drop to 0 once they were sent after the reconnect.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static atomic_int g_delay_calls;
static atomic_int g_release;
static atomic_int g_reconnected;

static int64_t hold_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    (void)attempts;
    (void)closure;
    atomic_fetch_add(&g_delay_calls, 1);
    int64_t deadline = test_now_ms() + 30000;
    while (!atomic_load(&g_release) && test_now_ms() < deadline)
        test_sleep_ms(1);
    return 1;
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    atomic_fetch_add(&g_reconnected, 1);
}

int main(void)
{
    test_init("bug_buffered_while_reconnecting");
    test_server srv;
    server_start(&srv, NULL);

    const int bufsize = 4096;
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, srv.url));
    CHECK_OK(natsOptions_SetMaxReconnect(o, -1));
    CHECK_OK(natsOptions_SetReconnectBufSize(o, bufsize));
    CHECK_OK(natsOptions_SetCustomReconnectDelay(o, hold_delay, NULL));
    CHECK_OK(natsOptions_SetReconnectedCB(o, on_reconnected, NULL));
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_Connect(&nc, o));
    natsOptions_Destroy(o);
    CHECK_EQ(natsConnection_Buffered(nc), 0);

    server_kill(&srv);
    CHECK(WAIT_FOR(atomic_load(&g_delay_calls) >= 1, 15000));
    CHECK(natsConnection_IsReconnecting(nc));

    /* "PUB a 5\r\nhello\r\n": 16 bytes each. */
    for (int i = 1; i <= 10; i++) {
        CHECK_OK(natsConnection_PublishString(nc, "a", "hello"));
        int b = natsConnection_Buffered(nc);
        CHECK_MSG(b == 16 * i, "Buffered() = %d after %d publishes while reconnecting "
                  "(expected %d)", b, i, 16 * i);
        CHECK(b <= bufsize);
    }

    server_restart(&srv);
    natsConnection *subc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&subc, srv.url));
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, subc, "a"));
    CHECK_OK(natsConnection_Flush(subc));
    atomic_store(&g_release, 1);
    CHECK(WAIT_FOR(atomic_load(&g_reconnected) == 1, 15000));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_EQ(natsConnection_Buffered(nc), 0);
    for (int i = 0; i < 10; i++) {
        natsMsg *m = NULL;
        CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
        CHECK_STR(natsMsg_GetData(m), "hello");
        natsMsg_Destroy(m);
    }

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(subc);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    return test_done();
}
