/*
 * Inboxes: format, uniqueness (also across threads), usability as a reply
 * subject.
 */
#include "harness.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "_INBOX."

static void check_format(const char *inbox)
{
    CHECK(inbox != NULL);
    CHECK_MSG(strncmp(inbox, PREFIX, strlen(PREFIX)) == 0, "inbox \"%s\"", inbox);
    const char *id = inbox + strlen(PREFIX);
    /* A 22-character NUID. */
    CHECK_EQ(strlen(id), 22);
    for (const char *p = id; *p; p++)
        CHECK_MSG(isalnum((unsigned char)*p), "inbox \"%s\"", inbox);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define PER_THREAD 5000
#define THREADS 4

static void *make_many(void *arg)
{
    char **out = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        natsInbox *ib = NULL;
        if (natsInbox_Create(&ib) != NATS_OK || ib == NULL)
            return (void *)1;
        out[i] = strdup(ib);
        natsInbox_Destroy(ib);
    }
    return NULL;
}

static void check_unique(void)
{
    char **all = calloc(PER_THREAD * THREADS, sizeof(char *));
    CHECK(all != NULL);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, make_many, all + t * PER_THREAD) == 0);
    for (int t = 0; t < THREADS; t++) {
        void *rc = NULL;
        pthread_join(th[t], &rc);
        CHECK(rc == NULL);
    }
    int n = PER_THREAD * THREADS;
    for (int i = 0; i < n; i++)
        check_format(all[i]);
    qsort(all, (size_t)n, sizeof(char *), cmp_str);
    for (int i = 1; i < n; i++)
        CHECK_MSG(strcmp(all[i - 1], all[i]) != 0, "duplicate inbox %s", all[i]);
    for (int i = 0; i < n; i++)
        free(all[i]);
    free(all);
}

static void check_as_reply(void)
{
    test_server srv;
    natsConnection *nc = NULL;
    natsSubscription *req = NULL, *rep = NULL;
    natsInbox *inbox = NULL;
    natsMsg *m = NULL;

    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_OK(natsInbox_Create(&inbox));
    CHECK_OK(natsConnection_SubscribeSync(&rep, nc, inbox));
    CHECK_OK(natsConnection_SubscribeSync(&req, nc, "service"));
    CHECK_OK(natsConnection_Flush(nc));

    CHECK_OK(natsConnection_PublishRequestString(nc, "service", inbox, "question"));
    CHECK_OK(natsSubscription_NextMsg(&m, req, 5000));
    CHECK_STR(natsMsg_GetReply(m), inbox);
    CHECK_OK(natsConnection_PublishString(nc, natsMsg_GetReply(m), "answer"));
    natsMsg_Destroy(m);
    m = NULL;
    CHECK_OK(natsSubscription_NextMsg(&m, rep, 5000));
    CHECK_STR(natsMsg_GetSubject(m), inbox);
    CHECK_STR(natsMsg_GetData(m), "answer");
    natsMsg_Destroy(m);

    /* Wildcard over all inboxes sees it too. */
    natsSubscription *all = NULL;
    CHECK_OK(natsConnection_SubscribeSync(&all, nc, "_INBOX.*"));
    CHECK_OK(natsConnection_PublishString(nc, inbox, "again"));
    CHECK_OK(natsSubscription_NextMsg(&m, all, 5000));
    CHECK_STR(natsMsg_GetSubject(m), inbox);
    natsMsg_Destroy(m);

    natsSubscription_Destroy(all);
    natsSubscription_Destroy(req);
    natsSubscription_Destroy(rep);
    natsInbox_Destroy(inbox);
    natsConnection_Destroy(nc);
    server_stop(&srv);
}

int main(void)
{
    test_init("test_inbox");

    natsInbox *a = NULL, *b = NULL;
    CHECK_OK(natsInbox_Create(&a));
    CHECK_OK(natsInbox_Create(&b));
    check_format(a);
    check_format(b);
    CHECK(strcmp(a, b) != 0);
    natsInbox_Destroy(a);
    natsInbox_Destroy(b);
    natsInbox_Destroy(NULL);

    check_unique();
    check_as_reply();
    return test_done();
}
