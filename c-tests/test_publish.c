/*
 * Publishing: Publish, PublishString, PublishMsg, PublishRequest,
 * PublishRequestString; argument checks, payload limits, Buffered,
 * payload integrity and ordering.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static natsMsg *next(natsSubscription *sub)
{
    natsMsg *m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, sub, 5000));
    CHECK(m != NULL);
    return m;
}

static void expect_msg(natsSubscription *sub, const char *subject,
                       const char *reply, const void *data, int len)
{
    natsMsg *m = next(sub);
    CHECK_STR(natsMsg_GetSubject(m), subject);
    if (reply == NULL)
        CHECK(natsMsg_GetReply(m) == NULL || natsMsg_GetReply(m)[0] == '\0');
    else
        CHECK_STR(natsMsg_GetReply(m), reply);
    CHECK_EQ(natsMsg_GetDataLength(m), len);
    if (len > 0)
        CHECK(memcmp(natsMsg_GetData(m), data, (size_t)len) == 0);
    /* Received payloads are NUL-terminated for convenience. */
    if (natsMsg_GetData(m) != NULL)
        CHECK(natsMsg_GetData(m)[len] == '\0');
    natsMsg_Destroy(m);
}

static void check_variants(natsConnection *nc)
{
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "pub.>"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_OK(natsConnection_Publish(nc, "pub.a", "hello", 5));
    CHECK_OK(natsConnection_PublishString(nc, "pub.b", "world"));

    natsMsg *msg = NULL;
    CHECK_OK(natsMsg_Create(&msg, "pub.c", NULL, "msg-data", 8));
    CHECK_OK(natsConnection_PublishMsg(nc, msg));
    natsMsg_Destroy(msg);
    msg = NULL;
    CHECK_OK(natsMsg_Create(&msg, "pub.d", "reply.d", "with-reply", 10));
    CHECK_OK(natsConnection_PublishMsg(nc, msg));
    natsMsg_Destroy(msg);

    CHECK_OK(natsConnection_PublishRequest(nc, "pub.e", "reply.e", "req", 3));
    CHECK_OK(natsConnection_PublishRequestString(nc, "pub.f", "reply.f", "reqstr"));

    /* Empty payloads. */
    CHECK_OK(natsConnection_Publish(nc, "pub.g", NULL, 0));
    CHECK_OK(natsConnection_Publish(nc, "pub.h", "ignored", 0));
    CHECK_OK(natsConnection_PublishString(nc, "pub.i", ""));
    CHECK_OK(natsConnection_PublishString(nc, "pub.j", NULL));
    CHECK_OK(natsConnection_PublishRequest(nc, "pub.k", "reply.k", NULL, 0));
    CHECK_OK(natsConnection_PublishRequestString(nc, "pub.l", "reply.l", NULL));

    /* Binary payload with NULs and protocol-looking bytes. */
    const char bin[] = { 'a', '\0', '\r', '\n', 'P', 'I', 'N', 'G', '\r', '\n', '\0', (char)0xff };
    CHECK_OK(natsConnection_Publish(nc, "pub.m", bin, (int)sizeof(bin)));

    CHECK_OK(natsConnection_Flush(nc));

    expect_msg(sub, "pub.a", NULL, "hello", 5);
    expect_msg(sub, "pub.b", NULL, "world", 5);
    expect_msg(sub, "pub.c", NULL, "msg-data", 8);
    expect_msg(sub, "pub.d", "reply.d", "with-reply", 10);
    expect_msg(sub, "pub.e", "reply.e", "req", 3);
    expect_msg(sub, "pub.f", "reply.f", "reqstr", 6);
    expect_msg(sub, "pub.g", NULL, NULL, 0);
    expect_msg(sub, "pub.h", NULL, NULL, 0);
    expect_msg(sub, "pub.i", NULL, NULL, 0);
    expect_msg(sub, "pub.j", NULL, NULL, 0);
    expect_msg(sub, "pub.k", "reply.k", NULL, 0);
    expect_msg(sub, "pub.l", "reply.l", NULL, 0);
    expect_msg(sub, "pub.m", NULL, bin, (int)sizeof(bin));

    natsMsg *m = NULL;
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_TIMEOUT);
    natsSubscription_Destroy(sub);
}

static void check_invalid(natsConnection *nc)
{
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, ">"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_STATUS(natsConnection_Publish(NULL, "foo", "a", 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishString(NULL, "foo", "a"), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishRequest(NULL, "foo", "bar", "a", 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishRequestString(NULL, "foo", "bar", "a"), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishMsg(NULL, NULL), NATS_INVALID_ARG);
    natsMsg *msg = NULL;
    CHECK_OK(natsMsg_Create(&msg, "foo", NULL, "a", 1));
    CHECK_STATUS(natsConnection_PublishMsg(NULL, msg), NATS_INVALID_ARG);
    natsMsg_Destroy(msg);

    CHECK_STATUS(natsConnection_Publish(nc, NULL, "a", 1), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_Publish(nc, "", "a", 1), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_PublishString(nc, NULL, "a"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_PublishString(nc, "", "a"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_PublishRequest(nc, NULL, "r", "a", 1), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_PublishRequest(nc, "", "r", "a", 1), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_PublishRequestString(nc, NULL, "r", "a"), NATS_INVALID_SUBJECT);
    CHECK_STATUS(natsConnection_PublishRequestString(nc, "", "r", "a"), NATS_INVALID_SUBJECT);

    /* A request needs a reply subject. */
    CHECK_STATUS(natsConnection_PublishRequest(nc, "foo", NULL, "a", 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishRequest(nc, "foo", "", "a", 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishRequestString(nc, "foo", NULL, "a"), NATS_INVALID_ARG);
    CHECK_STATUS(natsConnection_PublishRequestString(nc, "foo", "", "a"), NATS_INVALID_ARG);

    /* None of the refused calls sent anything; the connection still works. */
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsConnection_PublishString(nc, "after.invalid", "ok"));
    CHECK_OK(natsConnection_Flush(nc));
    natsMsg *m = next(sub);
    CHECK_STR(natsMsg_GetSubject(m), "after.invalid");
    natsMsg_Destroy(m);
    CHECK_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
    natsSubscription_Destroy(sub);
}

/* Ordered delivery of many messages of varied sizes. */
static void check_ordering(natsConnection *nc)
{
    natsSubscription *sub = NULL;
    const int n = 20000;
    char buf[600];

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "order"));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, -1, -1));
    CHECK_OK(natsConnection_Flush(nc));

    for (int i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof(buf), "%d:", i);
        int extra = i % 500;
        memset(buf + len, 'x', (size_t)extra);
        CHECK_OK(natsConnection_Publish(nc, "order", buf, len + extra));
    }
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < n; i++) {
        natsMsg *m = next(sub);
        CHECK_EQ(atoi(natsMsg_GetData(m)), i);
        int len = snprintf(buf, sizeof(buf), "%d:", i);
        CHECK_EQ(natsMsg_GetDataLength(m), len + i % 500);
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
}

/* Large payload close to the default limit round-trips intact. */
static void check_large(natsConnection *nc)
{
    int64_t max = natsConnection_GetMaxPayload(nc);
    CHECK_EQ(max, 1024 * 1024);

    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "large"));
    CHECK_OK(natsConnection_Flush(nc));

    int len = (int)max;
    char *data = malloc((size_t)len);
    CHECK(data != NULL);
    for (int i = 0; i < len; i++)
        data[i] = (char)(i * 7 + 3);
    CHECK_OK(natsConnection_Publish(nc, "large", data, len));
    CHECK_STATUS(natsConnection_Publish(nc, "large", data, len + 1), NATS_MAX_PAYLOAD);
    CHECK_OK(natsConnection_Flush(nc));
    natsMsg *m = next(sub);
    CHECK_EQ(natsMsg_GetDataLength(m), len);
    CHECK(memcmp(natsMsg_GetData(m), data, (size_t)len) == 0);
    natsMsg_Destroy(m);
    free(data);
    natsSubscription_Destroy(sub);
}

/* Server configured with a small max_payload. */
static void check_max_payload(void)
{
    test_server srv;
    server_start_conf(&srv, "max_payload: 1024\n", NULL);

    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_EQ(natsConnection_GetMaxPayload(nc), 1024);
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "mp"));
    CHECK_OK(natsConnection_Flush(nc));

    char data[2048];
    memset(data, 'p', sizeof(data));
    CHECK_STATUS(natsConnection_Publish(nc, "mp", data, 1025), NATS_MAX_PAYLOAD);
    natsStatus s = NATS_OK;
    const char *txt = nats_GetLastError(&s);
    CHECK_EQ(s, NATS_MAX_PAYLOAD);
    CHECK(txt != NULL && txt[0] != '\0');
    CHECK_STATUS(natsConnection_Publish(nc, "mp", data, 2048), NATS_MAX_PAYLOAD);
    CHECK_STATUS(natsConnection_PublishRequest(nc, "mp", "r", data, 1025), NATS_MAX_PAYLOAD);

    char big[1100];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_STATUS(natsConnection_PublishString(nc, "mp", big), NATS_MAX_PAYLOAD);
    CHECK_STATUS(natsConnection_PublishRequestString(nc, "mp", "r", big), NATS_MAX_PAYLOAD);
    natsMsg *msg = NULL;
    CHECK_OK(natsMsg_Create(&msg, "mp", NULL, data, 1025));
    CHECK_STATUS(natsConnection_PublishMsg(nc, msg), NATS_MAX_PAYLOAD);
    natsMsg_Destroy(msg);

    /* Exactly the limit is fine and the connection is unharmed. */
    CHECK_OK(natsConnection_Publish(nc, "mp", data, 1024));
    CHECK_OK(natsConnection_Flush(nc));
    natsMsg *m = next(sub);
    CHECK_EQ(natsMsg_GetDataLength(m), 1024);
    natsMsg_Destroy(m);
    CHECK_STATUS(natsSubscription_NextMsg(&m, sub, 100), NATS_TIMEOUT);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

static void check_buffered(test_server *srv)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));
    int b = natsConnection_Buffered(nc);
    CHECK(b >= 0);

    /* Flush returns after everything was sent. */
    for (int i = 0; i < 100; i++)
        CHECK_OK(natsConnection_PublishString(nc, "buffered", "some bytes"));
    b = natsConnection_Buffered(nc);
    CHECK(b >= 0);
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_EQ(natsConnection_Buffered(nc), 0);

    natsConnection_Close(nc);
    CHECK_EQ(natsConnection_Buffered(nc), -1);
    natsConnection_Destroy(nc);
}

static void check_after_close(test_server *srv)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, srv->url));
    natsConnection_Close(nc);

    CHECK_STATUS(natsConnection_Publish(nc, "x", "a", 1), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishString(nc, "x", "a"), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishRequest(nc, "x", "r", "a", 1), NATS_CONNECTION_CLOSED);
    CHECK_STATUS(natsConnection_PublishRequestString(nc, "x", "r", "a"), NATS_CONNECTION_CLOSED);
    natsMsg *msg = NULL;
    CHECK_OK(natsMsg_Create(&msg, "x", NULL, "a", 1));
    CHECK_STATUS(natsConnection_PublishMsg(nc, msg), NATS_CONNECTION_CLOSED);
    natsMsg_Destroy(msg);
    natsConnection_Destroy(nc);
}

/* Publishers on several threads sharing one connection: nothing lost,
 * each publisher's own order kept. */
#define PUB_THREADS 4
#define PUB_PER_THREAD 5000

typedef struct {
    natsConnection *nc;
    int id;
    natsStatus result;
} pub_arg;

static void *publisher(void *arg)
{
    pub_arg *a = arg;
    char buf[64];
    a->result = NATS_OK;
    for (int i = 0; i < PUB_PER_THREAD && a->result == NATS_OK; i++) {
        int len = snprintf(buf, sizeof(buf), "%d %d", a->id, i);
        a->result = natsConnection_Publish(a->nc, "mt", buf, len);
    }
    return NULL;
}

static void check_threads(test_server *srv)
{
    natsConnection *pub = NULL, *subc = NULL;
    natsSubscription *sub = NULL;
    CHECK_OK(natsConnection_ConnectTo(&pub, srv->url));
    CHECK_OK(natsConnection_ConnectTo(&subc, srv->url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, subc, "mt"));
    CHECK_OK(natsSubscription_SetPendingLimits(sub, -1, -1));
    CHECK_OK(natsConnection_Flush(subc));

    pthread_t th[PUB_THREADS];
    pub_arg args[PUB_THREADS];
    for (int i = 0; i < PUB_THREADS; i++) {
        args[i].nc = pub;
        args[i].id = i;
        CHECK(pthread_create(&th[i], NULL, publisher, &args[i]) == 0);
    }
    for (int i = 0; i < PUB_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_OK(args[i].result);
    }
    CHECK_OK(natsConnection_Flush(pub));

    int expect[PUB_THREADS] = { 0 };
    for (int i = 0; i < PUB_THREADS * PUB_PER_THREAD; i++) {
        natsMsg *m = next(sub);
        int id = -1, seq = -1;
        CHECK(sscanf(natsMsg_GetData(m), "%d %d", &id, &seq) == 2);
        CHECK(id >= 0 && id < PUB_THREADS);
        CHECK_EQ(seq, expect[id]);
        expect[id]++;
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(subc);
}

int main(void)
{
    test_server srv;
    natsConnection *nc = NULL;

    test_init("test_publish");
    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));

    check_variants(nc);
    check_invalid(nc);
    check_ordering(nc);
    check_large(nc);
    natsConnection_Destroy(nc);

    check_max_payload();
    check_buffered(&srv);
    check_after_close(&srv);
    check_threads(&srv);

    server_stop(&srv);
    return test_done();
}
