/*
 * Close and Destroy deliver what was accepted: a publisher sends N small
 * messages and immediately closes (or destroys without closing); a
 * subscriber on another connection receives all N, in order. Use of a
 * closed connection fails with NATS_CONNECTION_CLOSED.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static int message_count(void)
{
    /* Fewer under valgrind to stay well inside the time limit. */
    return getenv("RNATS_TEST_VALGRIND") != NULL ? 20000 : 100000;
}

typedef enum { END_CLOSE, END_DESTROY, END_CLOSE_THEN_DESTROY_LATER } end_mode;

static void run(test_server *srv, end_mode mode, const char *subject)
{
    const int n = message_count();
    natsConnection *pub = NULL, *subc = NULL;
    natsSubscription *sub = NULL;

    CHECK_OK(natsConnection_ConnectTo(&subc, srv->url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, subc, subject));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, -1, -1));
    CHECK_OK(natsConnection_Flush(subc));

    CHECK_OK(natsConnection_ConnectTo(&pub, srv->url));
    char buf[32];
    for (int i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof(buf), "%d", i);
        CHECK_OK(natsConnection_Publish(pub, subject, buf, len));
    }
    switch (mode) {
    case END_CLOSE:
        natsConnection_Close(pub);
        CHECK(natsConnection_IsClosed(pub));
        natsConnection_Destroy(pub);
        break;
    case END_DESTROY:
        natsConnection_Destroy(pub);
        break;
    case END_CLOSE_THEN_DESTROY_LATER:
        natsConnection_Close(pub);
        break;
    }

    for (int i = 0; i < n; i++) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, sub, 10000);
        if (s != NATS_OK)
            FAIL("message %d of %d not received: %d (%s)", i, n, s, natsStatus_GetText(s));
        CHECK_EQ(atoi(natsMsg_GetData(m)), i);
        natsMsg_Destroy(m);
    }
    natsMsg *extra = NULL;
    CHECK_STATUS(natsSubscription_NextMsg(&extra, sub, 100), NATS_TIMEOUT);

    if (mode == END_CLOSE_THEN_DESTROY_LATER)
        natsConnection_Destroy(pub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(subc);
}

static void check_use_after_close(test_server *srv)
{
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;

    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));
    natsConnection_Close(nc);
    /* Closing twice is harmless. */
    natsConnection_Close(nc);

    CHECK_STATUS(natsConnection_Publish(nc, "x", "a", 1), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "a"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_Flush(nc), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_FlushTimeout(nc, 1000), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_SubscribeSync(&sub, nc, "x"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_QueueSubscribeSync(&sub, nc, "x", "q"), NATS_CONNECTION_CLOSED);
    CHECK(sub == NULL);
    natsStatus s = NATS_OK;
    nats_GetLastError(&s);
    CHECK_EQ(s, NATS_CONNECTION_CLOSED);
    CHECK(natsConnection_IsClosed(nc));
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CLOSED);

    natsConnection_Destroy(nc);

    /* Close and Destroy of NULL are no-ops. */
    natsConnection_Close(NULL);
    natsConnection_Destroy(NULL);
}

/* Subscriptions outliving their connection stay safe to query/destroy. */
static void check_sub_outlives_conn(test_server *srv)
{
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;

    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "outlive"));
    natsConnection_Destroy(nc);
    CHECK(!natsSubscription_IsValid(sub));
    natsMsg *m = NULL;
    natsStatus s = natsSubscription_NextMsg(&m, sub, 10);
    CHECK_MSG(s == NATS_CONNECTION_CLOSED || s == NATS_INVALID_SUBSCRIPTION,
              "NextMsg after connection destroyed: %d", s);
    CHECK(m == NULL);
    natsSubscription_Destroy(sub);
}

int main(void)
{
    test_server srv;

    test_init("test_close");
    server_start(&srv, NULL);

    run(&srv, END_CLOSE, "close.all");
    run(&srv, END_DESTROY, "destroy.all");
    run(&srv, END_CLOSE_THEN_DESTROY_LATER, "close.later");
    check_use_after_close(&srv);
    check_sub_outlives_conn(&srv);

    server_stop(&srv);
    return test_done();
}
