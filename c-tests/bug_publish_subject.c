/*
 * nats.c 3.4.1 defect pinned here: publish subjects and reply subjects are
 * not validated beyond NULL/empty.
 *
 * natsConnection_Publish(nc, "foo bar", ...) is accepted and written as
 * "PUB foo bar <len>", which the server reads as subject "foo" with reply
 * "bar": the message silently goes to the wrong subject. Subjects with
 * tabs or CR/LF inject protocol text. The same holds for reply subjects
 * in PublishRequest. Such calls must be refused (NATS_INVALID_SUBJECT for
 * the subject, NATS_INVALID_ARG for the reply, as for an empty reply) and
 * send nothing.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

int main(void)
{
    test_server srv;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;

    test_init("bug_publish_subject");
    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, ">"));
    CHECK_OK(natsConnection_Flush(nc));

    static const char *bad_subjects[] = { "foo bar", "foo\tbar", "foo\r\nbar", "foo ", " foo" };
    int accepted = 0;
    for (size_t i = 0; i < sizeof(bad_subjects) / sizeof(bad_subjects[0]); i++) {
        natsStatus s = natsConnection_Publish(nc, bad_subjects[i], "x", 1);
        if (s != NATS_INVALID_SUBJECT) {
            fprintf(stderr, "Publish to subject \"%s\" -> %d (%s)\n", bad_subjects[i], s,
                    natsStatus_GetText(s));
            accepted++;
        }
        s = natsConnection_PublishString(nc, bad_subjects[i], "x");
        if (s != NATS_INVALID_SUBJECT)
            accepted++;
        s = natsConnection_PublishRequest(nc, bad_subjects[i], "reply", "x", 1);
        if (s != NATS_INVALID_SUBJECT)
            accepted++;
    }

    static const char *bad_replies[] = { "bar baz", "bar\r\nbaz", "bar\t" };
    for (size_t i = 0; i < sizeof(bad_replies) / sizeof(bad_replies[0]); i++) {
        natsStatus s = natsConnection_PublishRequest(nc, "foo", bad_replies[i], "x", 1);
        if (s != NATS_INVALID_ARG) {
            fprintf(stderr, "PublishRequest with reply \"%s\" -> %d (%s)\n", bad_replies[i], s,
                    natsStatus_GetText(s));
            accepted++;
        }
        s = natsConnection_PublishRequestString(nc, "foo", bad_replies[i], "x");
        if (s != NATS_INVALID_ARG)
            accepted++;
    }

    /* Whatever was accepted must not have reached any subscriber. */
    natsStatus fs = natsConnection_Flush(nc);
    int delivered = 0;
    natsMsg *m = NULL;
    while (natsSubscription_NextMsg(&m, sub, 200) == NATS_OK) {
        fprintf(stderr, "delivered: subject \"%s\" reply \"%s\"\n", natsMsg_GetSubject(m),
                natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "");
        delivered++;
        natsMsg_Destroy(m);
        m = NULL;
    }

    CHECK_MSG(accepted == 0, "%d publish calls with malformed subjects were accepted", accepted);
    CHECK_EQ(delivered, 0);
    CHECK_OK(fs);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    return test_done();
}
