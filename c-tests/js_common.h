/*
 * Helpers shared by the JetStream consuming tests: streams are created with
 * plain API requests, so that the tests depend only on the functions they
 * test.
 */
#ifndef RNATS_C_TESTS_JS_COMMON_H
#define RNATS_C_TESTS_JS_COMMON_H

#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* Sends a JetStream API request and returns the reply's data (malloc'd). */
static inline char *js_api(natsConnection *nc, const char *subj, const char *body)
{
    natsMsg *r = NULL;
    CHECK_OK(natsConnection_RequestString(&r, nc, subj, body, 5000));
    char *out = strdup(natsMsg_GetData(r));
    natsMsg_Destroy(r);
    return out;
}

/* Creates a file-stored stream with one subject. */
static inline void js_add_stream(natsConnection *nc, const char *name, const char *subject)
{
    char subj[128], body[256];
    snprintf(subj, sizeof(subj), "$JS.API.STREAM.CREATE.%s", name);
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"subjects\":[\"%s\"],\"storage\":\"file\"}", name, subject);
    char *r = js_api(nc, subj, body);
    CHECK_MSG(strstr(r, "\"error\"") == NULL, "stream create: %s", r);
    free(r);
}

/* Stores n messages "m0".."m<n-1>" (waiting for each stream ack). */
static inline void js_store(natsConnection *nc, const char *subject, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char data[32];
        snprintf(data, sizeof(data), "m%d", i);
        char *r = js_api(nc, subject, data);
        CHECK_MSG(strstr(r, "\"seq\"") != NULL, "publish: %s", r);
        free(r);
    }
}

/* True when the consumer exists. */
static inline bool js_consumer_exists(natsConnection *nc, const char *stream, const char *consumer)
{
    char subj[256];
    snprintf(subj, sizeof(subj), "$JS.API.CONSUMER.INFO.%s.%s", stream, consumer);
    char *r = js_api(nc, subj, "");
    bool exists = strstr(r, "\"error\"") == NULL;
    free(r);
    return exists;
}

/* A data payload as a string ("m3"). */
static inline bool js_data_is(natsMsg *m, int i)
{
    char want[32];
    snprintf(want, sizeof(want), "m%d", i);
    return natsMsg_GetDataLength(m) == (int)strlen(want) && memcmp(natsMsg_GetData(m), want, strlen(want)) == 0;
}

#endif
