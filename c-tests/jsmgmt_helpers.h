/*
 * Helpers of the JetStream management tests: a nats-server with JetStream, a
 * connection and its JetStream context, a publish that waits for the stream's
 * ack, and a memory stream configuration.
 */
#ifndef RNATS_C_TESTS_JSMGMT_HELPERS_H
#define RNATS_C_TESTS_JSMGMT_HELPERS_H

#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server jsm_srv;

/* Starts nats-server -js -sd <tmpdir> (the harness removes the directory). */
static __attribute__((unused)) void jsm_start_js(void)
{
    server_start_js(&jsm_srv);
}

/* Connects to url and makes a JetStream context with default options. */
static jsCtx *jsm_connect(const char *url, natsConnection **nc)
{
    jsCtx *js = NULL;
    CHECK_OK(natsConnection_ConnectTo(nc, url));
    CHECK_OK(natsConnection_JetStream(&js, *nc, NULL));
    return js;
}

/* Publishes data (and one header when hdr is not NULL) to subject and waits
 * for the stream's positive ack. */
static __attribute__((unused)) void jsm_publish(natsConnection *nc, const char *subject, const char *hdr,
                        const char *hval, const char *data)
{
    natsMsg *m = NULL, *reply = NULL;
    CHECK_OK(natsMsg_Create(&m, subject, NULL, data, (int)strlen(data)));
    if (hdr != NULL)
        CHECK_OK(natsMsgHeader_Set(m, hdr, hval));
    CHECK_OK(natsConnection_RequestMsg(&reply, nc, m, 5000));
    CHECK_MSG(strstr(natsMsg_GetData(reply), "\"seq\"") != NULL, "ack: %s", natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    natsMsg_Destroy(m);
}

/* A stream config on memory storage with one subject. */
static void jsm_mem_stream(jsStreamConfig *cfg, const char *name, const char **subjects, int n)
{
    CHECK_OK(jsStreamConfig_Init(cfg));
    cfg->Name = name;
    cfg->Subjects = subjects;
    cfg->SubjectsLen = n;
    cfg->Storage = js_MemoryStorage;
}

#endif
