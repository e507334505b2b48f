/*
 * nats.c 3.4.1 checks stream names only for '.' (and emptiness): a name with a
 * blank or a wildcard ("a b", "*", ">") goes into the API subject as is. A
 * blank splits the PUB line (the server answers a protocol error, or the
 * request goes to a different subject); a wildcard token makes a subject
 * nobody may publish to, and the call waits for its timeout. rnats refuses
 * such names with NATS_INVALID_ARG before any request, as nats.c already does
 * for consumer names.
 */
#include "jsmgmt_helpers.h"

int main(void)
{
    test_init("bug_js_stream_name_chars");
    jsm_start_js();
    natsConnection *nc = NULL;
    jsCtx *js = jsm_connect(jsm_srv.url, &nc);
    jsOptions o;
    CHECK_OK(jsOptions_Init(&o));
    o.Wait = 1000;

    const char *names[] = {"*", ">", "a b", "a\tb"};
    for (int i = 0; i < 4; i++) {
        jsStreamConfig cfg;
        jsStreamInfo *si = NULL;
        const char *subj[] = {"x"};
        jsm_mem_stream(&cfg, names[i], subj, 1);
        CHECK_STATUS(js_AddStream(&si, js, &cfg, &o, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_GetStreamInfo(&si, js, names[i], &o, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_DeleteStream(js, names[i], &o, NULL), NATS_INVALID_ARG);
        CHECK_STATUS(js_PurgeStream(js, names[i], &o, NULL), NATS_INVALID_ARG);
        CHECK(si == NULL);
    }
    /* The connection is still fine. */
    CHECK_OK(natsConnection_Flush(nc));

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return test_done();
}
