/*
 * nats.c 3.4.1 defects pinned here: payload pointer/length arguments are
 * not checked.
 *
 * - natsConnection_Publish(nc, subj, NULL, 5) and
 *   natsConnection_PublishRequest(nc, subj, reply, NULL, 3) dereference NULL
 *   (SIGSEGV).
 * - natsConnection_Publish(nc, subj, data, -1) returns NATS_OK and silently
 *   sends an empty message.
 * - natsMsg_Create(&m, subj, NULL, NULL, 5) returns NATS_OK with a 5-byte
 *   payload of uninitialized memory; natsMsg_Create(..., data, -1) returns
 *   NATS_OK with a garbage length.
 * All of these must return NATS_INVALID_ARG and send nothing.
 *
 * Each call runs in its own child process.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

static test_server g_srv;

typedef natsStatus (*scenario_fn)(natsConnection *nc);

static natsStatus s_publish_null_data(natsConnection *nc)
{
    return natsConnection_Publish(nc, "data.args", NULL, 5);
}

static natsStatus s_publish_negative(natsConnection *nc)
{
    return natsConnection_Publish(nc, "data.args", "abc", -1);
}

static natsStatus s_request_null_data(natsConnection *nc)
{
    return natsConnection_PublishRequest(nc, "data.args", "reply", NULL, 3);
}

static natsStatus s_request_negative(natsConnection *nc)
{
    return natsConnection_PublishRequest(nc, "data.args", "reply", "abc", -2);
}

static natsStatus s_msg_null_data(natsConnection *nc)
{
    (void)nc;
    natsMsg *m = NULL;
    natsStatus s = natsMsg_Create(&m, "data.args", NULL, NULL, 5);
    natsMsg_Destroy(m);
    return s;
}

static natsStatus s_msg_negative(natsConnection *nc)
{
    (void)nc;
    natsMsg *m = NULL;
    natsStatus s = natsMsg_Create(&m, "data.args", NULL, "abc", -1);
    /* Not destroyed: with a garbage length nats.c may crash in Destroy,
     * which would hide the status. */
    return s;
}

static const struct {
    const char *name;
    scenario_fn fn;
} scenarios[] = {
    { "Publish(nc, subj, NULL, 5)", s_publish_null_data },
    { "Publish(nc, subj, data, -1)", s_publish_negative },
    { "PublishRequest(nc, subj, reply, NULL, 3)", s_request_null_data },
    { "PublishRequest(nc, subj, reply, data, -2)", s_request_negative },
    { "natsMsg_Create(&m, subj, NULL, NULL, 5)", s_msg_null_data },
    { "natsMsg_Create(&m, subj, NULL, data, -1)", s_msg_negative },
};

static size_t g_index;

static int run_one(void *arg)
{
    (void)arg;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    if (natsConnection_ConnectTo(&nc, g_srv.url) != NATS_OK)
        return 3;
    if (natsConnection_SubscribeSync(&sub, nc, "data.args") != NATS_OK)
        return 3;
    if (natsConnection_Flush(nc) != NATS_OK)
        return 3;

    natsStatus s = scenarios[g_index].fn(nc);
    int rc = 0;
    if (s != NATS_INVALID_ARG) {
        fprintf(stderr, "%s -> %d (%s), expected NATS_INVALID_ARG\n", scenarios[g_index].name,
                s, natsStatus_GetText(s));
        rc = 1;
    }
    /* Nothing may have been sent. */
    natsConnection_Flush(nc);
    natsMsg *m = NULL;
    if (natsSubscription_NextMsg(&m, sub, 200) == NATS_OK) {
        fprintf(stderr, "%s: a message of %d bytes was delivered\n", scenarios[g_index].name,
                natsMsg_GetDataLength(m));
        natsMsg_Destroy(m);
        rc = 1;
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    return rc;
}

int main(void)
{
    test_init("bug_publish_data_args");
    server_start(&g_srv, NULL);

    int failures = 0;
    for (g_index = 0; g_index < sizeof(scenarios) / sizeof(scenarios[0]); g_index++) {
        int rc = test_run_in_child(run_one, NULL, 20);
        if (rc != 0) {
            fprintf(stderr, "%s: child exit %d%s\n", scenarios[g_index].name, rc,
                    rc > 128 ? " (killed by a signal)" : "");
            failures++;
        }
    }
    CHECK_MSG(failures == 0, "%d payload argument checks missing", failures);

    server_stop(&g_srv);
    return test_done();
}
