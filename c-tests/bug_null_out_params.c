/*
 * nats.c 3.4.1 defect pinned here: NULL output pointers crash.
 *
 * natsOptions_Create(NULL), natsStatistics_Create(NULL),
 * natsInbox_Create(NULL), natsMsg_Create(NULL, ...),
 * natsConnection_ConnectTo(NULL, url), natsConnection_Connect(NULL, opts),
 * natsConnection_SubscribeSync(NULL, ...),
 * natsConnection_QueueSubscribeSync(NULL, ...),
 * natsConnection_GetLastError(nc, NULL), natsConnection_PublishMsg(nc, NULL)
 * and natsOptions_SetServers with a NULL array element all dereference the
 * NULL pointer (SIGSEGV). Every one of them must return NATS_INVALID_ARG.
 *
 * Each call runs in its own child process.
 *
 * Expected to FAIL (the children crash) against nats.c.
 */
#include "harness.h"

#include <unistd.h>

static test_server g_srv;

typedef natsStatus (*scenario_fn)(void);

static natsStatus s_options_create(void) { return natsOptions_Create(NULL); }
static natsStatus s_stats_create(void) { return natsStatistics_Create(NULL); }
static natsStatus s_inbox_create(void) { return natsInbox_Create(NULL); }
static natsStatus s_msg_create(void) { return natsMsg_Create(NULL, "foo", NULL, "x", 1); }
static natsStatus s_connect_to(void) { return natsConnection_ConnectTo(NULL, g_srv.url); }

static natsStatus s_connect(void)
{
    natsOptions *o = NULL;
    natsOptions_Create(&o);
    natsOptions_SetURL(o, g_srv.url);
    natsStatus s = natsConnection_Connect(NULL, o);
    natsOptions_Destroy(o);
    return s;
}

static natsStatus s_set_servers_null_entry(void)
{
    natsOptions *o = NULL;
    const char *servers[] = { g_srv.url, NULL };
    natsOptions_Create(&o);
    natsStatus s = natsOptions_SetServers(o, servers, 2);
    natsOptions_Destroy(o);
    return s;
}

static natsConnection *connect_or_die(void)
{
    natsConnection *nc = NULL;
    if (natsConnection_ConnectTo(&nc, g_srv.url) != NATS_OK)
        _exit(3);
    return nc;
}

static natsStatus s_subscribe_sync(void)
{
    natsConnection *nc = connect_or_die();
    natsStatus s = natsConnection_SubscribeSync(NULL, nc, "foo");
    natsConnection_Destroy(nc);
    return s;
}

static natsStatus s_queue_subscribe_sync(void)
{
    natsConnection *nc = connect_or_die();
    natsStatus s = natsConnection_QueueSubscribeSync(NULL, nc, "foo", "q");
    natsConnection_Destroy(nc);
    return s;
}

static natsStatus s_get_last_error(void)
{
    natsConnection *nc = connect_or_die();
    natsStatus s = natsConnection_GetLastError(nc, NULL);
    natsConnection_Destroy(nc);
    return s;
}

static natsStatus s_publish_msg(void)
{
    natsConnection *nc = connect_or_die();
    natsStatus s = natsConnection_PublishMsg(nc, NULL);
    natsConnection_Destroy(nc);
    return s;
}

static const struct {
    const char *name;
    scenario_fn fn;
} scenarios[] = {
    { "natsOptions_Create(NULL)", s_options_create },
    { "natsStatistics_Create(NULL)", s_stats_create },
    { "natsInbox_Create(NULL)", s_inbox_create },
    { "natsMsg_Create(NULL, ...)", s_msg_create },
    { "natsConnection_ConnectTo(NULL, url)", s_connect_to },
    { "natsConnection_Connect(NULL, opts)", s_connect },
    { "natsOptions_SetServers({url, NULL}, 2)", s_set_servers_null_entry },
    { "natsConnection_SubscribeSync(NULL, nc, subj)", s_subscribe_sync },
    { "natsConnection_QueueSubscribeSync(NULL, nc, subj, q)", s_queue_subscribe_sync },
    { "natsConnection_GetLastError(nc, NULL)", s_get_last_error },
    { "natsConnection_PublishMsg(nc, NULL)", s_publish_msg },
};

static size_t g_index;

static int run_one(void *arg)
{
    (void)arg;
    natsStatus s = scenarios[g_index].fn();
    if (s != NATS_INVALID_ARG) {
        fprintf(stderr, "%s -> %d (%s), expected NATS_INVALID_ARG\n", scenarios[g_index].name,
                s, natsStatus_GetText(s));
        return 1;
    }
    return 0;
}

int main(void)
{
    test_init("bug_null_out_params");
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
    CHECK_MSG(failures == 0, "%d calls with NULL output pointers mishandled", failures);

    server_stop(&g_srv);
    return test_done();
}
