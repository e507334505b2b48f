/*
 * nats.c 3.4.1 defect pinned here: URL lists made only of blanks and
 * commas corrupt the heap.
 *
 * natsConnection_ConnectTo(" ") (and natsOptions_SetURL(opts, " ") followed
 * by natsOptions_Destroy, or natsOptions_SetServers with a " " entry)
 * trims past the start of an allocation and the process aborts in free();
 * "," and ", " read out of bounds (valgrind shows it). Such lists contain
 * no server at all: the calls must fail cleanly with NATS_INVALID_ARG, as
 * nats.c already does for "".
 *
 * Each case runs in a child process so that a crash is reported as a
 * failure of this test rather than taking the harness down.
 *
 * Expected to FAIL (the children crash) against nats.c.
 */
#include "harness.h"

#include <string.h>

static const char *g_list;

static int check_connect_to(void)
{
    natsConnection *nc = NULL;
    natsStatus s = natsConnection_ConnectTo(&nc, g_list);
    natsConnection_Destroy(nc);
    if (s != NATS_INVALID_ARG) {
        fprintf(stderr, "ConnectTo(\"%s\") -> %d (%s), expected NATS_INVALID_ARG\n",
                g_list, s, natsStatus_GetText(s));
        return 1;
    }
    return 0;
}

static int check_set_url(void)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    if (natsOptions_Create(&o) != NATS_OK)
        return 2;
    natsStatus s = natsOptions_SetURL(o, g_list);
    if (s == NATS_OK) {
        /* Accepted when set: then connecting must refuse it. */
        s = natsConnection_Connect(&nc, o);
        natsConnection_Destroy(nc);
    }
    natsOptions_Destroy(o);
    if (s != NATS_INVALID_ARG) {
        fprintf(stderr, "SetURL/Connect(\"%s\") -> %d (%s), expected NATS_INVALID_ARG\n",
                g_list, s, natsStatus_GetText(s));
        return 1;
    }
    return 0;
}

static int check_set_servers(void)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    const char *servers[] = { g_list };
    if (natsOptions_Create(&o) != NATS_OK)
        return 2;
    natsStatus s = natsOptions_SetServers(o, servers, 1);
    if (s == NATS_OK) {
        s = natsConnection_Connect(&nc, o);
        natsConnection_Destroy(nc);
    }
    natsOptions_Destroy(o);
    if (s != NATS_INVALID_ARG) {
        fprintf(stderr, "SetServers/Connect({\"%s\"}) -> %d (%s), expected NATS_INVALID_ARG\n",
                g_list, s, natsStatus_GetText(s));
        return 1;
    }
    return 0;
}

/* One child per list: a crash in one call ends that child only. */
static int child(void *arg)
{
    (void)arg;
    int bad = check_connect_to();
    bad += check_set_url();
    bad += check_set_servers();
    return bad == 0 ? 0 : 1;
}

int main(void)
{
    test_init("bug_url_lists");

    static const char *lists[] = { " ", ",", ", ", " , ", ",,", "  " };
    int failures = 0;

    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        g_list = lists[i];
        int rc = test_run_in_child(child, NULL, 30);
        if (rc != 0) {
            fprintf(stderr, "list \"%s\": child exit %d%s\n", lists[i], rc,
                    rc > 128 ? " (killed by a signal)" : "");
            failures++;
        }
    }
    CHECK_MSG(failures == 0, "%d URL lists mishandled", failures);
    return test_done();
}
