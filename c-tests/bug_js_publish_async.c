/*
 * nats.c 3.4.1 defects pinned here, in the asynchronous JetStream publish:
 *
 * Part 1: js_PublishAsyncGetPendingList on a context that has not published
 * asynchronously yet dereferences its (not yet created) table of pending
 * messages: the process crashes. It must return NATS_NOT_FOUND (nothing is
 * pending), as it does once messages were published and acknowledged.
 *
 * Part 2: jsCtx_Destroy neither waits for an acknowledgment handler that is
 * running nor stops it: the handler can still be running (and use what the
 * application freed after Destroy) when jsCtx_Destroy has returned. Once
 * jsCtx_Destroy returns (called from a thread other than the handler's), no
 * handler of that context may be running or start.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;
static char store_dir[256];

static int pending_before_publish(void *arg)
{
    (void)arg;
    natsConnection *nc = test_connect(g_srv.url);
    jsCtx *js = NULL;
    natsMsgList list;
    memset(&list, 0, sizeof(list));
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));
    CHECK_STATUS(js_PublishAsyncGetPendingList(&list, js), NATS_NOT_FOUND);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}

typedef struct {
    atomic_int entered;
    atomic_int exited;
} slow_state;

static void slow_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    (void)pa;
    (void)pae;
    slow_state *st = closure;
    atomic_fetch_add(&st->entered, 1);
    test_sleep_ms(300);
    natsMsg_Destroy(msg);
    atomic_fetch_add(&st->exited, 1);
}

int main(void)
{
    test_init("bug_js_publish_async");

    const char *tmp = getenv("TMPDIR");
    snprintf(store_dir, sizeof(store_dir), "%s/rnats-jspubb-XXXXXX", (tmp && tmp[0]) ? tmp : "/tmp");
    CHECK(mkdtemp(store_dir) != NULL);
    const char *args[] = {"-js", "-sd", store_dir, NULL};
    server_start(&g_srv, args);

    /* Part 1 */
    int rc = test_run_in_child(pending_before_publish, NULL, 20);
    CHECK_MSG(rc == 0, "js_PublishAsyncGetPendingList before any async publish: child ended with %d", rc);

    /* Part 2: a stream, and a context whose ack handler is slow. */
    natsConnection *nc = test_connect(g_srv.url);
    natsMsg *reply = NULL;
    CHECK_OK(natsConnection_RequestString(&reply, nc, "$JS.API.STREAM.CREATE.SLOW",
                                          "{\"name\":\"SLOW\",\"subjects\":[\"slow\"],\"storage\":\"memory\"}", 5000));
    CHECK(strstr(natsMsg_GetData(reply), "\"error\"") == NULL);
    natsMsg_Destroy(reply);

    static slow_state st;
    jsOptions o;
    jsCtx *js = NULL;
    CHECK_OK(jsOptions_Init(&o));
    o.PublishAsync.AckHandler = slow_ack;
    o.PublishAsync.AckHandlerClosure = &st;
    CHECK_OK(natsConnection_JetStream(&js, nc, &o));
    CHECK_OK(js_PublishAsync(js, "slow", "1", 1, NULL));
    CHECK(WAIT_FOR(atomic_load(&st.entered) == 1, 5000));
    jsCtx_Destroy(js);
    int exited = atomic_load(&st.exited);
    CHECK_MSG(exited == 1, "jsCtx_Destroy returned while the ack handler was still running");

    natsConnection_Destroy(nc);
    server_stop(&g_srv);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    CHECK(system(cmd) == 0);
    return test_done();
}
