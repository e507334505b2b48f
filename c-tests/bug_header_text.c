/*
 * nats.c 3.4.1 defect pinned here: header text that breaks the header block
 * is accepted and then silently changed on the way.
 *
 * natsMsgHeader_Set/Add take any key and value. A value with CR or LF, a key
 * with ':' or a leading blank is written into the "Key: value\r\n" block as
 * is, and the receiver reads something else: "1\r\nX: y" arrives as
 * "1  X: y", key "a:b" arrives as key "a", key " k" disappears. A value with
 * "\r\n" could as well smuggle in a header of its own.
 *
 * Each case must either round-trip exactly or be refused by
 * natsMsgHeader_Set with NATS_INVALID_ARG.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* Printable copy of s (CR, LF as \r, \n). */
static const char *shown(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    for (; s != NULL && *s && o + 3 < len; s++) {
        if (*s == '\r' || *s == '\n') {
            buf[o++] = '\\';
            buf[o++] = *s == '\r' ? 'r' : 'n';
        } else {
            buf[o++] = *s;
        }
    }
    buf[o] = '\0';
    return s == NULL ? "(null)" : buf;
}

int main(void)
{
    static const char *const cases[][2] = {
        { "Crlf", "1\r\nInjected: yes" },
        { "Lf", "a\nb" },
        { "Cr", "a\rb" },
        { "a:b", "colon key" },
        { " lead", "leading blank in key" },
    };
    test_server srv;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    int bad = 0;

    test_init("bug_header_text");
    server_start(&srv, NULL);
    CHECK_OK(natsConnection_ConnectTo(&nc, srv.url));
    CHECK_OK(natsConnection_SubscribeSync(&sub, nc, "hdr.text"));

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *key = cases[i][0], *val = cases[i][1];
        natsMsg *m = NULL, *r = NULL;
        CHECK_OK(natsMsg_Create(&m, "hdr.text", NULL, "d", 1));
        CHECK_OK(natsMsgHeader_Set(m, "Before", "1"));
        natsStatus s = natsMsgHeader_Set(m, key, val);
        if (s == NATS_INVALID_ARG) {
            natsMsg_Destroy(m);
            continue;       /* refused: fine */
        }
        CHECK_OK(s);
        CHECK_OK(natsConnection_PublishMsg(nc, m));
        natsMsg_Destroy(m);
        CHECK_OK(natsSubscription_NextMsg(&r, sub, 5000));

        const char *got = NULL;
        const char **keys = NULL;
        int n = 0;
        natsStatus gs = natsMsgHeader_Get(r, key, &got);
        if (natsMsgHeader_Keys(r, &keys, &n) == NATS_OK)
            free((void *)keys);
        if (gs != NATS_OK || !test_str_eq(got, val) || n != 2) {
            bad++;
            char b1[64], b2[64];
            test_log("key \"%s\": sent \"%s\", received status %d value \"%s\", %d keys", key,
                     shown(val, b1, sizeof(b1)), (int)gs, shown(got, b2, sizeof(b2)), n);
        }
        natsMsg_Destroy(r);
    }
    CHECK_MSG(bad == 0, "%d header(s) accepted but changed on the way", bad);

    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    server_stop(&srv);
    return test_done();
}
