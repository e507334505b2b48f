/*
 * nats.c 3.4.1 defect pinned here: a header with an empty value, which
 * natsMsgHeader_Set accepts ("The value can be NULL or empty string"), is
 * sent by the publisher but the receiving side cannot read it back: lookups
 * on the received message fail, also for its other, non-empty headers
 * (NATS_PROTOCOL_ERROR "no value found for key ..." or NATS_NOT_FOUND,
 * depending on where the empty header sits in the block).
 *
 * A header set to "" must come back as "" and leave the others readable.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
    test_server srv;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL, *r = NULL;
    const char *v = NULL;
    const char **arr = NULL;
    int n = 0;

    test_init("bug_header_empty_value");
    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "empty.hdr"));

    CHECK_OK(natsMsg_Create(&m, "empty.hdr", NULL, "data", 4));
    CHECK_OK(natsMsgHeader_Set(m, "Other", "x"));
    CHECK_OK(natsMsgHeader_Set(m, "Empty", ""));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);

    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_STR(natsMsg_GetData(r), "data");
    CHECK_OK(natsMsgHeader_Get(r, "Other", &v));
    CHECK_STR(v, "x");
    CHECK_OK(natsMsgHeader_Get(r, "Empty", &v));
    CHECK_STR(v, "");
    CHECK_OK(natsMsgHeader_Values(r, "Empty", &arr, &n));
    CHECK_EQ(n, 1);
    CHECK_STR(arr[0], "");
    free((void *)arr);
    CHECK_OK(natsMsgHeader_Keys(r, &arr, &n));
    CHECK_EQ(n, 2);
    free((void *)arr);
    natsMsg_Destroy(r);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    return test_done();
}
