/*
 * JetStream account information: js_GetAccountInfo counts streams and
 * consumers, reports limits and API statistics; bad arguments; a server
 * without JetStream.
 */
#include "jsmgmt_helpers.h"

int main(void)
{
    test_init("test_js_account");
    jsm_start_js();
    natsConnection *nc = NULL;
    jsCtx *js = jsm_connect(jsm_srv.url, &nc);
    jsErrCode jerr = 1;
    jsAccountInfo *ai = NULL;

    CHECK_STATUS(js_GetAccountInfo(NULL, js, NULL, &jerr), NATS_INVALID_ARG);
    CHECK_EQ(jerr, 0);
    CHECK_STATUS(js_GetAccountInfo(&ai, NULL, NULL, &jerr), NATS_INVALID_ARG);
    CHECK(ai == NULL);

    CHECK_OK(js_GetAccountInfo(&ai, js, NULL, &jerr));
    CHECK_EQ(ai->Streams, 0);
    CHECK_EQ(ai->Consumers, 0);
    CHECK_EQ(ai->Limits.MaxStreams, -1);
    CHECK_EQ(ai->Limits.MaxConsumers, -1);
    uint64_t calls = ai->API.Total;
    jsAccountInfo_Destroy(ai);
    ai = NULL;

    jsStreamConfig sc;
    const char *subjects[] = {"a"};
    jsm_mem_stream(&sc, "A", subjects, 1);
    CHECK_OK(js_AddStream(NULL, js, &sc, NULL, &jerr));
    jsConsumerConfig cc;
    CHECK_OK(jsConsumerConfig_Init(&cc));
    cc.Durable = "d";
    CHECK_OK(js_AddConsumer(NULL, js, "A", &cc, NULL, &jerr));
    jsm_publish(nc, "a", NULL, NULL, "hello");
    /* A call that fails counts as an API error. */
    jsStreamInfo *si = NULL;
    CHECK_STATUS(js_GetStreamInfo(&si, js, "MISSING", NULL, &jerr), NATS_NOT_FOUND);

    CHECK_OK(js_GetAccountInfo(&ai, js, NULL, &jerr));
    CHECK_EQ(ai->Streams, 1);
    CHECK_EQ(ai->Consumers, 1);
    CHECK(ai->Memory > 0);
    CHECK(ai->API.Total >= calls + 3);
    CHECK(ai->API.Errors >= 1);
    jsAccountInfo_Destroy(ai);
    ai = NULL;
    jsAccountInfo_Destroy(NULL);

    /* Per-call options: a wrong prefix has no responders. */
    jsOptions o;
    CHECK_OK(jsOptions_Init(&o));
    o.Prefix = "$NOPE.API";
    CHECK_STATUS(js_GetAccountInfo(&ai, js, &o, &jerr), NATS_NO_RESPONDERS);
    CHECK_EQ(jerr, JSNotEnabledErr);
    CHECK(ai == NULL);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);

    /* A server without JetStream answers at once. */
    test_server plain;
    server_start(&plain, NULL);
    js = jsm_connect(plain.url, &nc);
    int64_t start = test_now_ms();
    CHECK_STATUS(js_GetAccountInfo(&ai, js, NULL, &jerr), NATS_NO_RESPONDERS);
    CHECK_EQ(jerr, JSNotEnabledErr);
    CHECK(test_now_ms() - start < 3000);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    server_stop(&plain);
    nats_Close();
    return test_done();
}
