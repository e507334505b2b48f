/*
 * natsMsg: creation, accessors, ownership of the copied data, NULL
 * arguments, and messages received from a server.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void check_create(void)
{
    natsMsg *m = NULL;
    char data[] = "payload";

    CHECK_OK(natsMsg_Create(&m, "subj", "reply", data, 7));
    CHECK(m != NULL);
    CHECK_STR(natsMsg_GetSubject(m), "subj");
    CHECK_STR(natsMsg_GetReply(m), "reply");
    CHECK_EQ(natsMsg_GetDataLength(m), 7);
    CHECK(memcmp(natsMsg_GetData(m), "payload", 7) == 0);

    /* The message owns copies: changing the sources changes nothing. */
    memcpy(data, "XXXXXXX", 7);
    CHECK(memcmp(natsMsg_GetData(m), "payload", 7) == 0);
    natsMsg_Destroy(m);
    m = NULL;

    char subj[] = "mutable.subject";
    char reply[] = "mutable.reply";
    CHECK_OK(natsMsg_Create(&m, subj, reply, "x", 1));
    subj[0] = 'Z';
    reply[0] = 'Z';
    CHECK_STR(natsMsg_GetSubject(m), "mutable.subject");
    CHECK_STR(natsMsg_GetReply(m), "mutable.reply");
    natsMsg_Destroy(m);
    m = NULL;

    /* No reply, no data. */
    CHECK_OK(natsMsg_Create(&m, "only.subject", NULL, NULL, 0));
    CHECK_STR(natsMsg_GetSubject(m), "only.subject");
    CHECK(natsMsg_GetReply(m) == NULL);
    CHECK_EQ(natsMsg_GetDataLength(m), 0);
    natsMsg_Destroy(m);
    m = NULL;

    /* Data given but zero length. */
    CHECK_OK(natsMsg_Create(&m, "s", NULL, "ignored", 0));
    CHECK_EQ(natsMsg_GetDataLength(m), 0);
    natsMsg_Destroy(m);
    m = NULL;

    /* Binary data with NULs keeps its length. */
    const char bin[] = { 0, 1, 2, 0, 3 };
    CHECK_OK(natsMsg_Create(&m, "bin", NULL, bin, 5));
    CHECK_EQ(natsMsg_GetDataLength(m), 5);
    CHECK(memcmp(natsMsg_GetData(m), bin, 5) == 0);
    natsMsg_Destroy(m);
    m = NULL;

    /* A large payload. */
    int big = 512 * 1024;
    char *buf = malloc((size_t)big);
    CHECK(buf != NULL);
    for (int i = 0; i < big; i++)
        buf[i] = (char)i;
    CHECK_OK(natsMsg_Create(&m, "big", NULL, buf, big));
    CHECK_EQ(natsMsg_GetDataLength(m), big);
    CHECK(memcmp(natsMsg_GetData(m), buf, (size_t)big) == 0);
    free(buf);
    natsMsg_Destroy(m);
}

static void check_invalid(void)
{
    natsMsg *m = NULL;

    /* A subject is required; an empty reply is refused. */
    CHECK_STATUS(natsMsg_Create(&m, NULL, NULL, "a", 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_Create(&m, "", NULL, "a", 1), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsg_Create(&m, "s", "", "a", 1), NATS_INVALID_ARG);
    CHECK(m == NULL);

    /* Accessors on NULL. */
    CHECK(natsMsg_GetSubject(NULL) == NULL);
    CHECK(natsMsg_GetReply(NULL) == NULL);
    CHECK(natsMsg_GetData(NULL) == NULL);
    CHECK_EQ(natsMsg_GetDataLength(NULL), 0);
    natsMsg_Destroy(NULL);
}

/* Received messages: accessors, NUL-terminated payload, independent
 * lifetimes. */
static void check_received(void)
{
    test_server srv;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m1 = NULL, *m2 = NULL;

    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "recv.*"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_OK(natsConnection_PublishRequest(nc, "recv.one", "the.reply", "abc", 3));
    CHECK_OK(natsConnection_Publish(nc, "recv.two", NULL, 0));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_OK(natsSubscription_NextMsg(&m1, sub, 5000));
    CHECK_OK(natsSubscription_NextMsg(&m2, sub, 5000));

    /* Messages stay valid after the subscription and connection are gone. */
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);

    CHECK_STR(natsMsg_GetSubject(m1), "recv.one");
    CHECK_STR(natsMsg_GetReply(m1), "the.reply");
    CHECK_EQ(natsMsg_GetDataLength(m1), 3);
    CHECK_STR(natsMsg_GetData(m1), "abc");

    CHECK_STR(natsMsg_GetSubject(m2), "recv.two");
    CHECK(natsMsg_GetReply(m2) == NULL || natsMsg_GetReply(m2)[0] == '\0');
    CHECK_EQ(natsMsg_GetDataLength(m2), 0);
    if (natsMsg_GetData(m2) != NULL)
        CHECK_STR(natsMsg_GetData(m2), "");

    natsMsg_Destroy(m1);
    natsMsg_Destroy(m2);
}

/* Created messages can be published repeatedly and still be used. */
static void check_publish_reuse(void)
{
    test_server srv;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg *out = NULL;

    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "reuse"));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsMsg_Create(&out, "reuse", "rep", "data", 4));
    for (int i = 0; i < 3; i++)
        CHECK_OK(natsConnection_PublishMsg(nc, out));
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_STR(natsMsg_GetSubject(out), "reuse");
    for (int i = 0; i < 3; i++) {
        natsMsg *in = NULL;
        CHECK_OK(natsSubscription_NextMsg(&in, sub, 5000));
        CHECK_STR(natsMsg_GetReply(in), "rep");
        CHECK_STR(natsMsg_GetData(in), "data");
        natsMsg_Destroy(in);
    }
    natsMsg_Destroy(out);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

int main(void)
{
    test_init("test_msg");
    /* Opened explicitly: nats.c cannot destroy a message before the library
     * is initialized (see bug_msg_before_open.c). */
    CHECK_OK(nats_Open(-1));
    check_create();
    check_invalid();
    check_received();
    check_publish_reuse();
    return test_done();
}
