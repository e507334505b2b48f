/*
 * Message headers: natsMsgHeader_Set/Add/Get/Values/Keys/Delete semantics
 * (case-sensitive keys, NATS_NOT_FOUND, argument checks, arrays released
 * with free()), headers through the server (sync and async subscriptions,
 * a request with headers answered with headers), max_payload counting the
 * header block, a server without header support (NATS_NO_SERVER_SUPPORT),
 * keys with blanks; (an empty header value through the server:
 * bug_header_empty_value.c; CR/LF in values, ':' in keys:
 * bug_header_text.c),
 * natsMsg_IsNoResponders on built messages, natsMsgList_Destroy.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static test_server g_srv;

static natsConnection *connect_to(const char *url)
{
    natsConnection *nc = NULL;
    CHECK_OK(natsConnection_ConnectTo(&nc, url));
    return nc;
}

/* True when `keys` (count n) holds exactly the strings in `want` (NULL-ended),
 * in any order. */
static bool same_set(const char **keys, int n, const char *const *want)
{
    int nw = 0;
    while (want[nw] != NULL)
        nw++;
    if (n != nw)
        return false;
    for (int i = 0; i < nw; i++) {
        int found = 0;
        for (int j = 0; j < n; j++)
            found += test_str_eq(keys[j], want[i]);
        if (found != 1)
            return false;
    }
    return true;
}

static void check_keys(natsMsg *m, const char *const *want)
{
    const char **keys = NULL;
    int n = -1;
    CHECK_OK(natsMsgHeader_Keys(m, &keys, &n));
    bool ok = same_set(keys, n, want);
    if (!ok) {
        for (int i = 0; i < n; i++)
            fprintf(stderr, "  key[%d] = \"%s\"\n", i, keys[i]);
    }
    free((void *)keys);
    CHECK_MSG(ok, "header keys differ from the expected set");
}

static void check_values(natsMsg *m, const char *key, const char *const *want)
{
    const char **vals = NULL;
    int n = -1, nw = 0;
    while (want[nw] != NULL)
        nw++;
    CHECK_OK(natsMsgHeader_Values(m, key, &vals, &n));
    CHECK_EQ(n, nw);
    for (int i = 0; i < nw; i++)
        CHECK_STR(vals[i], want[i]);       /* in insertion order */
    free((void *)vals);
}

/* ------------------------------------------------------------------------ */

static void check_api(void)
{
    natsMsg *m = NULL;
    const char *v = NULL;
    const char **arr = NULL;
    int n = -1;

    CHECK_OK(natsMsg_Create(&m, "subj", NULL, "data", 4));

    /* No headers yet. */
    CHECK_STATUS(natsMsgHeader_Get(m, "k", &v), NATS_NOT_FOUND);
    CHECK(v == NULL);
    CHECK_STATUS(natsMsgHeader_Values(m, "k", &arr, &n), NATS_NOT_FOUND);
    CHECK(arr == NULL);
    CHECK_STATUS(natsMsgHeader_Keys(m, &arr, &n), NATS_NOT_FOUND);
    CHECK(arr == NULL);
    CHECK_EQ(n, 0);
    CHECK_STATUS(natsMsgHeader_Delete(m, "k"), NATS_NOT_FOUND);

    /* Set, Get; keys are case-sensitive. */
    CHECK_OK(natsMsgHeader_Set(m, "k", "v1"));
    CHECK_OK(natsMsgHeader_Get(m, "k", &v));
    CHECK_STR(v, "v1");
    v = NULL;
    CHECK_STATUS(natsMsgHeader_Get(m, "K", &v), NATS_NOT_FOUND);
    CHECK(v == NULL);

    /* Add appends; Get returns the first value. */
    CHECK_OK(natsMsgHeader_Add(m, "k", "v2"));
    CHECK_OK(natsMsgHeader_Add(m, "k", "v3"));
    CHECK_OK(natsMsgHeader_Get(m, "k", &v));
    CHECK_STR(v, "v1");
    check_values(m, "k", (const char *const[]){ "v1", "v2", "v3", NULL });

    /* A differently cased key is a separate entry. */
    CHECK_OK(natsMsgHeader_Add(m, "K", "upper"));
    check_values(m, "K", (const char *const[]){ "upper", NULL });
    check_values(m, "k", (const char *const[]){ "v1", "v2", "v3", NULL });
    check_keys(m, (const char *const[]){ "k", "K", NULL });

    /* Set replaces all values. */
    CHECK_OK(natsMsgHeader_Set(m, "k", "only"));
    check_values(m, "k", (const char *const[]){ "only", NULL });

    /* Empty and NULL values are accepted. */
    CHECK_OK(natsMsgHeader_Set(m, "empty", ""));
    CHECK_OK(natsMsgHeader_Get(m, "empty", &v));
    CHECK_STR(v, "");
    CHECK_OK(natsMsgHeader_Set(m, "nullval", NULL));
    CHECK_OK(natsMsgHeader_Add(m, "nullval", "after"));
    CHECK_OK(natsMsgHeader_Values(m, "nullval", &arr, &n));
    CHECK_EQ(n, 2);
    CHECK_STR(arr[1], "after");
    free((void *)arr);
    arr = NULL;

    /* Delete removes all values of that key only. */
    CHECK_OK(natsMsgHeader_Delete(m, "K"));
    CHECK_STATUS(natsMsgHeader_Get(m, "K", &v), NATS_NOT_FOUND);
    CHECK_STATUS(natsMsgHeader_Delete(m, "K"), NATS_NOT_FOUND);
    CHECK_OK(natsMsgHeader_Get(m, "k", &v));
    CHECK_STR(v, "only");
    check_keys(m, (const char *const[]){ "k", "empty", "nullval", NULL });
    CHECK_OK(natsMsgHeader_Delete(m, "k"));
    CHECK_OK(natsMsgHeader_Delete(m, "empty"));
    CHECK_OK(natsMsgHeader_Delete(m, "nullval"));
    CHECK_STATUS(natsMsgHeader_Keys(m, &arr, &n), NATS_NOT_FOUND);

    /* The payload is untouched by all this. */
    CHECK_STR(natsMsg_GetData(m), "data");
    CHECK_EQ(natsMsg_GetDataLength(m), 4);

    /* Argument checks. */
    CHECK_STATUS(natsMsgHeader_Set(NULL, "k", "v"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Set(m, NULL, "v"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Set(m, "", "v"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Add(NULL, "k", "v"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Add(m, NULL, "v"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Add(m, "", "v"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Get(NULL, "k", &v), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Get(m, NULL, &v), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Get(m, "", &v), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Get(m, "k", NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Values(NULL, "k", &arr, &n), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Values(m, NULL, &arr, &n), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Values(m, "", &arr, &n), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Values(m, "k", NULL, &n), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Values(m, "k", &arr, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Keys(NULL, &arr, &n), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Keys(m, NULL, &n), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Keys(m, &arr, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Delete(NULL, "k"), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Delete(m, NULL), NATS_INVALID_ARG);
    CHECK_STATUS(natsMsgHeader_Delete(m, ""), NATS_INVALID_ARG);

    natsMsg_Destroy(m);
}

/* Many keys and values, still all there. */
static void check_many(void)
{
    natsMsg *m = NULL;
    char key[32], val[32];
    CHECK_OK(natsMsg_Create(&m, "subj", NULL, NULL, 0));
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "Key-%d", i % 50);
        snprintf(val, sizeof(val), "value-%d", i);
        CHECK_OK(natsMsgHeader_Add(m, key, val));
    }
    const char **keys = NULL;
    int n = 0;
    CHECK_OK(natsMsgHeader_Keys(m, &keys, &n));
    CHECK_EQ(n, 50);
    free((void *)keys);
    for (int k = 0; k < 50; k++) {
        const char **vals = NULL;
        snprintf(key, sizeof(key), "Key-%d", k);
        CHECK_OK(natsMsgHeader_Values(m, key, &vals, &n));
        CHECK_EQ(n, 4);
        for (int j = 0; j < 4; j++) {
            snprintf(val, sizeof(val), "value-%d", k + 50 * j);
            CHECK_STR(vals[j], val);
        }
        free((void *)vals);
    }
    natsMsg_Destroy(m);
}

static void check_no_responders_flag(void)
{
    natsMsg *m = NULL;
    CHECK(!natsMsg_IsNoResponders(NULL));

    CHECK_OK(natsMsg_Create(&m, "subj", NULL, NULL, 0));
    CHECK(!natsMsg_IsNoResponders(m));
    CHECK_OK(natsMsgHeader_Set(m, "Status", "503"));
    CHECK(natsMsg_IsNoResponders(m));
    CHECK_OK(natsMsgHeader_Set(m, "Status", "404"));
    CHECK(!natsMsg_IsNoResponders(m));
    natsMsg_Destroy(m);

    /* With a payload it is not a no-responders message. */
    CHECK_OK(natsMsg_Create(&m, "subj", NULL, "x", 1));
    CHECK_OK(natsMsgHeader_Set(m, "Status", "503"));
    CHECK(!natsMsg_IsNoResponders(m));
    natsMsg_Destroy(m);
}

static void check_msg_list(void)
{
    natsMsgList_Destroy(NULL);

    natsMsgList empty;
    memset(&empty, 0, sizeof(empty));
    natsMsgList_Destroy(&empty);
    CHECK(empty.Msgs == NULL);
    CHECK_EQ(empty.Count, 0);

    natsMsgList list;
    list.Count = 4;
    list.Msgs = malloc(sizeof(natsMsg *) * (size_t)list.Count);
    CHECK(list.Msgs != NULL);
    CHECK_OK(natsMsg_Create(&list.Msgs[0], "a", NULL, "1", 1));
    list.Msgs[1] = NULL;          /* kept by the user: skipped */
    CHECK_OK(natsMsg_Create(&list.Msgs[2], "b", "r", "22", 2));
    CHECK_OK(natsMsg_Create(&list.Msgs[3], "c", NULL, NULL, 0));
    CHECK_OK(natsMsgHeader_Set(list.Msgs[3], "h", "v"));
    natsMsgList_Destroy(&list);
    /* The array is freed and the list reset. */
    CHECK(list.Msgs == NULL);
    CHECK_EQ(list.Count, 0);
}

/* ------------------------------------------------------------------------ */
/* Through the server                                                       */

static void check_round_trip(void)
{
    natsConnection *nc = connect_to(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL, *r = NULL;
    const char *v = NULL;
    char longval[1001];
    memset(longval, 'L', 1000);
    longval[1000] = '\0';

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "hdr.rt"));

    CHECK_OK(natsMsg_Create(&m, "hdr.rt", "hdr.reply", "payload", 7));
    CHECK_OK(natsMsgHeader_Set(m, "A", "1"));
    CHECK_OK(natsMsgHeader_Add(m, "A", "2"));
    CHECK_OK(natsMsgHeader_Set(m, "a", "lower"));
    CHECK_OK(natsMsgHeader_Set(m, "Spaced", "x y  z"));
    CHECK_OK(natsMsgHeader_Set(m, "Colons", "a:b:c"));
    CHECK_OK(natsMsgHeader_Set(m, "Long", longval));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    m = NULL;

    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_STR(natsMsg_GetSubject(r), "hdr.rt");
    CHECK_STR(natsMsg_GetReply(r), "hdr.reply");
    CHECK_EQ(natsMsg_GetDataLength(r), 7);
    CHECK(memcmp(natsMsg_GetData(r), "payload", 7) == 0);
    check_values(r, "A", (const char *const[]){ "1", "2", NULL });
    check_values(r, "a", (const char *const[]){ "lower", NULL });
    CHECK_OK(natsMsgHeader_Get(r, "Spaced", &v));
    CHECK_STR(v, "x y  z");
    CHECK_OK(natsMsgHeader_Get(r, "Colons", &v));
    CHECK_STR(v, "a:b:c");
    CHECK_OK(natsMsgHeader_Get(r, "Long", &v));
    CHECK_STR(v, longval);
    check_keys(r, (const char *const[]){ "A", "a", "Spaced", "Colons", "Long", NULL });
    CHECK(!natsMsg_IsNoResponders(r));
    /* A received message's headers can be changed. */
    CHECK_OK(natsMsgHeader_Set(r, "Added", "later"));
    CHECK_OK(natsMsgHeader_Delete(r, "A"));
    check_keys(r, (const char *const[]){ "a", "Spaced", "Colons", "Long", "Added", NULL });
    natsMsg_Destroy(r);
    r = NULL;

    /* Headers with an empty payload. */
    CHECK_OK(natsMsg_Create(&m, "hdr.rt", NULL, NULL, 0));
    CHECK_OK(natsMsgHeader_Set(m, "Only", "headers"));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_EQ(natsMsg_GetDataLength(r), 0);
    CHECK_OK(natsMsgHeader_Get(r, "Only", &v));
    CHECK_STR(v, "headers");
    CHECK(!natsMsg_IsNoResponders(r));
    natsMsg_Destroy(r);
    r = NULL;

    /* A plain publish has no headers; neither has a message whose headers
     * were all deleted before publishing. */
    CHECK_OK(natsConnection_PublishString(nc, "hdr.rt", "plain"));
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    const char **arr = NULL;
    int n = 0;
    CHECK_STATUS(natsMsgHeader_Keys(r, &arr, &n), NATS_NOT_FOUND);
    CHECK_STATUS(natsMsgHeader_Get(r, "A", &v), NATS_NOT_FOUND);
    natsMsg_Destroy(r);
    r = NULL;
    CHECK_OK(natsMsg_Create(&m, "hdr.rt", NULL, "gone", 4));
    CHECK_OK(natsMsgHeader_Set(m, "Tmp", "1"));
    CHECK_OK(natsMsgHeader_Delete(m, "Tmp"));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_STR(natsMsg_GetData(r), "gone");
    CHECK_STATUS(natsMsgHeader_Keys(r, &arr, &n), NATS_NOT_FOUND);
    natsMsg_Destroy(r);
    r = NULL;

    /* The same message object published twice after a change. */
    CHECK_OK(natsMsg_Create(&m, "hdr.rt", NULL, "twice", 5));
    CHECK_OK(natsMsgHeader_Set(m, "Seq", "1"));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    CHECK_OK(natsMsgHeader_Set(m, "Seq", "2"));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    m = NULL;
    for (int i = 1; i <= 2; i++) {
        char want[8];
        snprintf(want, sizeof(want), "%d", i);
        CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
        CHECK_OK(natsMsgHeader_Get(r, "Seq", &v));
        CHECK_STR(v, want);
        natsMsg_Destroy(r);
        r = NULL;
    }

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* A request with headers answered by a message with headers. */
static void header_responder(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)sub;
    (void)closure;
    const char *id = NULL;
    natsMsg *resp = NULL;
    if (natsMsgHeader_Get(msg, "Req-Id", &id) != NATS_OK)
        id = "missing";
    if (natsMsg_Create(&resp, natsMsg_GetReply(msg), NULL, "answer", 6) == NATS_OK) {
        natsMsgHeader_Set(resp, "Req-Id", id);
        natsMsgHeader_Set(resp, "Responder", "yes");
        natsConnection_PublishMsg(nc, resp);
        natsMsg_Destroy(resp);
    }
    natsMsg_Destroy(msg);
}

static void check_request_headers(void)
{
    natsConnection *nc = connect_to(g_srv.url);
    natsSubscription *svc = NULL;
    natsMsg *req = NULL, *reply = NULL;
    const char *v = NULL;

    CHECK_OK(natsConnection_Subscribe(&svc, nc, "hdr.svc", header_responder, NULL));
    CHECK_OK(natsConnection_Flush(nc));
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof(id), "req-%d", i);
        CHECK_OK(natsMsg_Create(&req, "hdr.svc", NULL, "q", 1));
        CHECK_OK(natsMsgHeader_Set(req, "Req-Id", id));
        CHECK_OK(natsConnection_RequestMsg(&reply, nc, req, 5000));
        CHECK_STR(natsMsg_GetData(reply), "answer");
        CHECK_OK(natsMsgHeader_Get(reply, "Req-Id", &v));
        CHECK_STR(v, id);
        CHECK_OK(natsMsgHeader_Get(reply, "Responder", &v));
        CHECK_STR(v, "yes");
        natsMsg_Destroy(reply);
        natsMsg_Destroy(req);
        reply = NULL;
        req = NULL;
    }
    natsSubscription_Destroy(svc);
    natsConnection_Destroy(nc);
}

/* max_payload applies to the header block plus the data. */
static void check_max_payload(void)
{
    test_server s;
    server_start_conf(&s, "max_payload: 1024\n", NULL);
    natsConnection *nc = connect_to(s.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL, *r = NULL;
    char data[1100];
    char hval[200];
    memset(data, 'd', sizeof(data));
    memset(hval, 'h', sizeof(hval) - 1);
    hval[sizeof(hval) - 1] = '\0';

    CHECK_EQ(natsConnection_GetMaxPayload(nc), 1024);
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "mp"));

    /* Data alone: up to 1024 passes, 1025 does not. */
    CHECK_OK(natsConnection_Publish(nc, "mp", data, 1024));
    CHECK_STATUS(natsConnection_Publish(nc, "mp", data, 1025), NATS_MAX_PAYLOAD);

    /* 1000 bytes of data fit; with a 200-byte header they do not. */
    CHECK_OK(natsMsg_Create(&m, "mp", NULL, data, 1000));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    CHECK_OK(natsMsgHeader_Set(m, "Big", hval));
    CHECK_STATUS(natsConnection_PublishMsg(nc, m), NATS_MAX_PAYLOAD);
    natsMsg_Destroy(m);
    m = NULL;

    /* Small data plus a header that fit together go through. */
    CHECK_OK(natsMsg_Create(&m, "mp", NULL, data, 700));
    CHECK_OK(natsMsgHeader_Set(m, "Big", hval));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    m = NULL;

    /* The connection survived: exactly three messages arrived. */
    CHECK_OK(natsConnection_Flush(nc));
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_EQ(natsMsg_GetDataLength(r), 1024);
    natsMsg_Destroy(r);
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_EQ(natsMsg_GetDataLength(r), 1000);
    natsMsg_Destroy(r);
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_EQ(natsMsg_GetDataLength(r), 700);
    const char *v = NULL;
    CHECK_OK(natsMsgHeader_Get(r, "Big", &v));
    CHECK_STR(v, hval);
    natsMsg_Destroy(r);
    CHECK_STATUS(natsSubscription_NextMsg(&r, sub, 100), NATS_TIMEOUT);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&s);
}

/* Keys with inner blanks are stored and carried as given (text that would
 * corrupt the header block is in bug_header_text.c). */
static void check_key_with_blanks(void)
{
    natsConnection *nc = connect_to(g_srv.url);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL, *r = NULL;
    const char *v = NULL;

    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "hdr.blank"));
    CHECK_OK(natsMsg_Create(&m, "hdr.blank", NULL, "d", 1));
    CHECK_OK(natsMsgHeader_Set(m, "a b", "space"));
    CHECK_OK(natsMsgHeader_Set(m, "tab\tkey", "tab"));
    CHECK_OK(natsMsgHeader_Get(m, "a b", &v));
    CHECK_STR(v, "space");
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));
    CHECK_OK(natsMsgHeader_Get(r, "a b", &v));
    CHECK_STR(v, "space");
    CHECK_OK(natsMsgHeader_Get(r, "tab\tkey", &v));
    CHECK_STR(v, "tab");
    natsMsg_Destroy(r);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
}

/* A server whose INFO says it cannot carry headers. */
static void check_no_header_support(void)
{
    fake_server f;
    fake_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = FAKE_NORMAL;
    cfg.info = "{\"server_id\":\"FAKE\",\"version\":\"2.1.0\",\"proto\":1,"
               "\"headers\":false,\"max_payload\":1048576}";
    fake_start(&f, &cfg);

    natsConnection *nc = connect_to(f.url);
    natsMsg *m = NULL;

    CHECK_OK(natsMsg_Create(&m, "nohdr", NULL, "data", 4));
    CHECK_OK(natsMsgHeader_Set(m, "Key", "value"));
    CHECK_STATUS(natsConnection_PublishMsg(nc, m), NATS_NO_SERVER_SUPPORT);
    natsMsg_Destroy(m);
    m = NULL;

    /* Without headers the same publish works. */
    CHECK_OK(natsMsg_Create(&m, "nohdr", NULL, "plain", 5));
    CHECK_OK(natsConnection_PublishMsg(nc, m));
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(natsConnection_Flush(nc));
    CHECK(fake_received_contains(&f, "PUB nohdr 5\r\nplain\r\n"));
    CHECK(!fake_received_contains(&f, "HPUB"));

    natsConnection_Destroy(nc);
    fake_stop(&f);
}

int main(void)
{
    test_init("test_headers");
    server_start(&g_srv, NULL);

    check_api();
    check_many();
    check_no_responders_flag();
    check_msg_list();
    check_round_trip();
    check_request_headers();
    check_max_payload();
    check_no_header_support();
    check_key_with_blanks();

    server_stop(&g_srv);
    return test_done();
}
