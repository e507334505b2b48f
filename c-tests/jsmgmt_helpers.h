/*
 * Helpers of the JetStream management tests: a nats-server with JetStream in
 * a temporary store directory (stopped and removed at exit), a connection and
 * its JetStream context, and a publish that waits for the stream's ack.
 */
#ifndef RNATS_C_TESTS_JSMGMT_HELPERS_H
#define RNATS_C_TESTS_JSMGMT_HELPERS_H

#include "harness.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>

static test_server jsm_srv;
static char jsm_dir[64];

static int jsm_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

static void jsm_cleanup(void)
{
    if (jsm_srv.pid > 0)
        server_stop(&jsm_srv);
    if (jsm_dir[0] != '\0')
        nftw(jsm_dir, jsm_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Starts nats-server -js -sd <tmpdir>. */
static __attribute__((unused)) void jsm_start_js(void)
{
    strcpy(jsm_dir, "/tmp/rnats-jsm-XXXXXX");
    CHECK(mkdtemp(jsm_dir) != NULL);
    const char *args[] = {"-js", "-sd", jsm_dir, NULL};
    server_start(&jsm_srv, args);
    atexit(jsm_cleanup);
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
