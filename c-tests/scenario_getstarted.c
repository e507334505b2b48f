/*
 * nats.c's examples/getstarted programs, each run against a synchronous
 * subscriber that checks what arrives:
 *   pubstr    natsConnection_PublishString
 *   pubbytes  natsConnection_Publish of raw bytes (with a NUL inside)
 *   pubmsg    natsMsg_Create + natsConnection_PublishMsg
 *   syncsub   natsConnection_SubscribeSync + natsSubscription_NextMsg(5000)
 *   asyncsub  natsConnection_Subscribe, the handler sets `done`
 *   headers   natsMsgHeader_Set/Add/Delete/Keys/Values, PublishMsg, Get on
 *             the received message, NATS_NOT_FOUND for a missing key
 *   requestor natsConnection_RequestString against
 *   replier   an async subscription answering with PublishString
 */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

static natsMsg *next(natsSubscription *sub)
{
    natsMsg *msg = NULL;
    CHECK_OK(natsSubscription_NextMsg(&msg, sub, 5000));
    return msg;
}

static void pub_variants(void)
{
    natsConnection *conn = NULL, *sconn = NULL;
    natsSubscription *sub = NULL;
    natsMsg *msg = NULL;

    CHECK_OK(natsConnection_ConnectTo(&sconn, g_srv.url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, sconn, "foo"));
    CHECK_OK(natsConnection_Flush(sconn));
    CHECK_OK(natsConnection_ConnectTo(&conn, g_srv.url));

    /* pubstr */
    CHECK_OK(natsConnection_PublishString(conn, "foo", "hello!"));
    /* pubbytes */
    const char data[] = { 104, 101, 0, 108, 108, 111, 33 };
    CHECK_OK(natsConnection_Publish(conn, "foo", (const void *)data, sizeof(data)));
    /* pubmsg */
    natsMsg *out = NULL;
    CHECK_OK(natsMsg_Create(&out, "foo", NULL, data, sizeof(data)));
    CHECK_OK(natsConnection_PublishMsg(conn, out));
    natsMsg_Destroy(out);
    natsConnection_Destroy(conn);   /* the programs end here: Destroy flushes */

    /* syncsub */
    msg = next(sub);
    CHECK_STR(natsMsg_GetSubject(msg), "foo");
    CHECK_EQ(natsMsg_GetDataLength(msg), 6);
    CHECK(memcmp(natsMsg_GetData(msg), "hello!", 6) == 0);
    natsMsg_Destroy(msg);
    for (int i = 0; i < 2; i++) {
        msg = next(sub);
        CHECK_EQ(natsMsg_GetDataLength(msg), (int)sizeof(data));
        CHECK(memcmp(natsMsg_GetData(msg), data, sizeof(data)) == 0);
        natsMsg_Destroy(msg);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(sconn);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    test_log("Received msg: %s - %.*s", natsMsg_GetSubject(msg),
             natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
    natsMsg_Destroy(msg);
    atomic_store((atomic_bool *)closure, true);
}

static void asyncsub(void)
{
    natsConnection *conn = NULL;
    natsSubscription *sub = NULL;
    static atomic_bool done;
    atomic_store(&done, false);

    CHECK_OK(natsConnection_ConnectTo(&conn, g_srv.url));
    CHECK_OK(natsConnection_Subscribe(&sub, conn, "foo", on_msg, (void *)&done));
    CHECK_OK(natsConnection_Flush(conn));
    natsConnection *pub = test_connect(g_srv.url);
    CHECK_OK(natsConnection_PublishString(pub, "foo", "hello!"));
    natsConnection_Destroy(pub);
    /* The program's loop: sleep until done. */
    for (int i = 0; i < 500 && !atomic_load(&done); i++)
        nats_Sleep(10);
    CHECK(atomic_load(&done));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(conn);
}

static void headers(void)
{
    natsConnection *conn = NULL;
    natsSubscription *sub = NULL;
    natsMsg *msg = NULL, *rmsg = NULL;
    const char **keys = NULL;
    int nkeys = 0;

    CHECK_OK(natsConnection_ConnectTo(&conn, g_srv.url));
    CHECK_OK(natsMsg_Create(&msg, "foo", NULL, "body", 4));
    CHECK_OK(natsMsgHeader_Set(msg, "My-Key1", "value1"));
    CHECK_OK(natsMsgHeader_Set(msg, "My-Key2", "value2"));
    CHECK_OK(natsMsgHeader_Add(msg, "My-Key1", "value3"));
    CHECK_OK(natsMsgHeader_Set(msg, "My-Key3", "value4"));
    CHECK_OK(natsMsgHeader_Delete(msg, "My-Key3"));
    CHECK_OK(natsMsgHeader_Keys(msg, &keys, &nkeys));
    CHECK_EQ(nkeys, 2);
    int seen_values = 0;
    for (int i = 0; i < nkeys; i++) {
        const char **values = NULL;
        int nvalues = 0;
        CHECK_OK(natsMsgHeader_Values(msg, keys[i], &values, &nvalues));
        for (int j = 0; j < nvalues; j++)
            test_log("Key: '%s' Value: '%s'", keys[i], values[j]);
        seen_values += nvalues;
        free((void *)values);
    }
    CHECK_EQ(seen_values, 3);
    free((void *)keys);

    CHECK_OK(natsConnection_SubscribeSync(&sub, conn, "foo"));
    CHECK_OK(natsConnection_PublishMsg(conn, msg));
    CHECK_OK(natsSubscription_NextMsg(&rmsg, sub, 1000));

    const char *val = NULL;
    CHECK_OK(natsMsgHeader_Get(rmsg, "My-Key1", &val));
    CHECK_STR(val, "value1");
    CHECK_STATUS(natsMsgHeader_Get(rmsg, "key-does-not-exist", &val), NATS_NOT_FOUND);
    CHECK_STATUS(natsMsgHeader_Delete(rmsg, "key-does-not-exist"), NATS_NOT_FOUND);
    CHECK_EQ(natsMsg_GetDataLength(rmsg), 4);

    natsMsg_Destroy(msg);
    natsMsg_Destroy(rmsg);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(conn);
}

static void on_help(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    if (natsMsg_GetReply(msg) != NULL)
        natsConnection_PublishString(nc, natsMsg_GetReply(msg), "here's some help");
    natsMsg_Destroy(msg);
    atomic_store((atomic_bool *)closure, true);
}

static void request_reply(void)
{
    natsConnection *rconn = NULL, *conn = NULL;
    natsSubscription *sub = NULL;
    natsMsg *reply = NULL;
    static atomic_bool done;
    atomic_store(&done, false);

    /* replier */
    CHECK_OK(natsConnection_ConnectTo(&rconn, g_srv.url));
    CHECK_OK(natsConnection_Subscribe(&sub, rconn, "help", on_help, (void *)&done));
    CHECK_OK(natsConnection_Flush(rconn));
    /* requestor */
    CHECK_OK(natsConnection_ConnectTo(&conn, g_srv.url));
    CHECK_OK(natsConnection_RequestString(&reply, conn, "help", "really need some", 10000));
    test_log("Received reply: %s - %.*s", natsMsg_GetSubject(reply),
             natsMsg_GetDataLength(reply), natsMsg_GetData(reply));
    CHECK_EQ(natsMsg_GetDataLength(reply), 16);
    CHECK(memcmp(natsMsg_GetData(reply), "here's some help", 16) == 0);
    natsMsg_Destroy(reply);
    natsConnection_Destroy(conn);
    CHECK(WAIT_FOR(atomic_load(&done), 5000));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(rconn);
}

int main(void)
{
    test_init("scenario_getstarted");
    server_start(&g_srv, NULL);

    pub_variants();
    asyncsub();
    headers();
    request_reply();

    server_stop(&g_srv);
    nats_Close();
    return test_done();
}
