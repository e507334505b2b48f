/*
 * JetStream synchronous publish: js_Publish / js_PublishMsg acknowledgments,
 * de-duplication by message id, every jsPubOptions expectation passing and
 * failing with the server's error code, a subject without a stream, and bad
 * arguments.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static char store_dir[256];

/* A JetStream server storing in a fresh temporary directory. */
static void start_js_server(test_server *srv)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(store_dir, sizeof(store_dir), "%s/rnats-jspub-XXXXXX", (tmp && tmp[0]) ? tmp : "/tmp");
    CHECK(mkdtemp(store_dir) != NULL);
    const char *args[] = {"-js", "-sd", store_dir, NULL};
    server_start(srv, args);
}

static void remove_store(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    CHECK(system(cmd) == 0);
}

/* Creates a memory stream through the JetStream API directly. */
static void add_stream(natsConnection *nc, const char *name, const char *subjects_json)
{
    char subj[128], body[512];
    natsMsg *reply = NULL;
    snprintf(subj, sizeof(subj), "$JS.API.STREAM.CREATE.%s", name);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"subjects\":%s,\"storage\":\"memory\",\"duplicate_window\":60000000000}",
             name, subjects_json);
    CHECK_OK(natsConnection_RequestString(&reply, nc, subj, body, 5000));
    CHECK_MSG(strstr(natsMsg_GetData(reply), "\"error\"") == NULL, "stream create failed: %s", natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
}

static void expect_fail(jsCtx *js, const char *subj, jsPubOptions *o, int code)
{
    jsPubAck *pa = NULL;
    jsErrCode ec = 0;
    CHECK_STATUS(js_Publish(&pa, js, subj, "x", 1, o, &ec), NATS_ERR);
    CHECK(pa == NULL);
    CHECK_EQ(ec, code);
    CHECK(nats_GetLastError(NULL) != NULL && nats_GetLastError(NULL)[0] != '\0');
}

static void expect_ok(jsCtx *js, const char *subj, jsPubOptions *o, uint64_t seq)
{
    jsPubAck *pa = NULL;
    jsErrCode ec = 1;
    CHECK_OK(js_Publish(&pa, js, subj, "ok", 2, o, &ec));
    CHECK_EQ(ec, 0);
    CHECK(pa != NULL);
    CHECK_EQ(pa->Sequence, seq);
    jsPubAck_Destroy(pa);
}

int main(void)
{
    test_init("test_js_publish");

    test_server srv;
    start_js_server(&srv);
    natsConnection *nc = test_connect(srv.url);
    jsCtx *js = NULL;
    CHECK_OK(natsConnection_JetStream(&js, nc, NULL));

    jsPubOptions o;
    jsPubAck *pa = NULL;
    jsErrCode ec = 0;

    /* Bad arguments. */
    CHECK_STATUS(jsPubOptions_Init(NULL), NATS_INVALID_ARG);
    CHECK_STATUS(js_Publish(&pa, NULL, "foo", "x", 1, NULL, &ec), NATS_INVALID_ARG);
    CHECK_STATUS(js_Publish(&pa, js, NULL, "x", 1, NULL, &ec), NATS_INVALID_ARG);
    CHECK_STATUS(js_Publish(&pa, js, "", "x", 1, NULL, &ec), NATS_INVALID_ARG);
    CHECK_STATUS(js_PublishMsg(&pa, js, NULL, NULL, &ec), NATS_INVALID_ARG);
    CHECK_STATUS(js_PublishMsg(&pa, NULL, NULL, NULL, NULL), NATS_INVALID_ARG);
    CHECK_OK(jsPubOptions_Init(&o));
    o.MaxWait = -1;
    CHECK_STATUS(js_Publish(&pa, js, "foo", "x", 1, &o, &ec), NATS_INVALID_ARG);
    CHECK(pa == NULL);
    jsPubAck_Destroy(NULL);

    add_stream(nc, "ORDERS", "[\"orders.*\"]");

    /* An ack with its fields; NULL pubAck and errCode are fine. */
    CHECK_OK(js_Publish(&pa, js, "orders.new", "one", 3, NULL, &ec));
    CHECK_EQ(ec, 0);
    CHECK(pa != NULL);
    CHECK_STR(pa->Stream, "ORDERS");
    CHECK_EQ(pa->Sequence, 1);
    CHECK(pa->Domain == NULL);
    CHECK(!pa->Duplicate);
    jsPubAck_Destroy(pa);
    pa = NULL;
    CHECK_OK(js_Publish(NULL, js, "orders.new", NULL, 0, NULL, NULL));

    natsMsg *m = NULL;
    CHECK_OK(natsMsg_Create(&m, "orders.new", NULL, "three", 5));
    CHECK_OK(js_PublishMsg(&pa, js, m, NULL, &ec));
    CHECK_STR(pa->Stream, "ORDERS");
    CHECK_EQ(pa->Sequence, 3);
    jsPubAck_Destroy(pa);
    pa = NULL;

    /* MsgId: the second publish with the same id is a duplicate, stored once. The
     * options' headers are set on the message itself. */
    CHECK_OK(jsPubOptions_Init(&o));
    o.MsgId = "order-4";
    CHECK_OK(js_PublishMsg(&pa, js, m, &o, &ec));
    CHECK_EQ(pa->Sequence, 4);
    CHECK(!pa->Duplicate);
    jsPubAck_Destroy(pa);
    const char *hv = NULL;
    CHECK_OK(natsMsgHeader_Get(m, "Nats-Msg-Id", &hv));
    CHECK_STR(hv, "order-4");
    CHECK_OK(js_Publish(&pa, js, "orders.new", "again", 5, &o, &ec));
    CHECK_EQ(pa->Sequence, 4);
    CHECK(pa->Duplicate);
    jsPubAck_Destroy(pa);
    pa = NULL;
    natsMsg_Destroy(m);

    /* Expectations: the stream holds 4 messages, all on orders.new. */
    CHECK_OK(jsPubOptions_Init(&o));
    o.ExpectStream = "ORDERS";
    expect_ok(js, "orders.new", &o, 5);
    o.ExpectStream = "OTHER";
    expect_fail(js, "orders.new", &o, JSStreamNotMatchErr);

    CHECK_OK(jsPubOptions_Init(&o));
    o.ExpectLastSeq = 5;
    expect_ok(js, "orders.new", &o, 6);
    expect_fail(js, "orders.new", &o, JSStreamWrongLastSequenceErr);

    CHECK_OK(jsPubOptions_Init(&o));
    o.ExpectLastSubjectSeq = 6;
    expect_ok(js, "orders.new", &o, 7);
    expect_fail(js, "orders.new", &o, JSStreamWrongLastSequenceErr);

    CHECK_OK(jsPubOptions_Init(&o));
    o.ExpectNoMessage = true;
    expect_ok(js, "orders.other", &o, 8);
    expect_fail(js, "orders.other", &o, JSStreamWrongLastSequenceErr);

    CHECK_OK(jsPubOptions_Init(&o));
    o.MsgId = "m9";
    expect_ok(js, "orders.new", &o, 9);
    CHECK_OK(jsPubOptions_Init(&o));
    o.MsgId = "m10";
    o.ExpectLastMsgId = "m9";
    expect_ok(js, "orders.new", &o, 10);
    o.MsgId = "m11";
    expect_fail(js, "orders.new", &o, JSStreamWrongLastMsgIDErr);

    /* No stream on the subject: the server answers no-responders at once. */
    CHECK_OK(jsPubOptions_Init(&o));
    o.MaxWait = 5000;
    int64_t t0 = test_now_ms();
    CHECK_STATUS(js_Publish(&pa, js, "nostream", "x", 1, &o, &ec), NATS_NO_RESPONDERS);
    CHECK(test_now_ms() - t0 < 2000);
    CHECK_EQ(ec, JSNotEnabledErr);
    CHECK(pa == NULL);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    remove_store();
    return test_done();
}
