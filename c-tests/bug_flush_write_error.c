/*
 * nats.c 3.4.1 defect pinned here: natsConnection_FlushTimeout returns
 * NATS_OK when its PING cannot be written.
 *
 * nats.c writes the PING in place; when that write fails (here: the server
 * stopped reading, the socket is full and the write deadline expires, after
 * which nats.c shuts the socket down) the PING is never registered, the
 * wait is skipped and the call reports success at once, although nothing
 * reached the server. A flush may only succeed after the server's PONG;
 * this server never sends one after the handshake, so every flush here
 * must fail.
 *
 * In nats.c the outcome depends on which thread notices the broken socket
 * first, so the scenario runs for several rounds, with a second thread
 * flushing concurrently.
 *
 * Expected to FAIL against nats.c.
 */
#include "harness.h"

#include <stdlib.h>

typedef struct {
    natsConnection *nc;
    atomic_bool stop;
    int oks;
    int calls;
} bg_flusher;

static void *flush_loop(void *p)
{
    bg_flusher *b = p;
    int64_t deadline = test_now_ms() + 5000;
    while (!atomic_load(&b->stop) && test_now_ms() < deadline) {
        natsStatus s = natsConnection_FlushTimeout(b->nc, 20);
        b->calls++;
        if (s == NATS_OK)
            b->oks++;
        if (s == NATS_CONNECTION_CLOSED)
            break;
    }
    return NULL;
}

static void round_once(int round)
{
    fake_server f;
    fake_config cfg = { .mode = FAKE_NO_READ };
    fake_start(&f, &cfg);

    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_OK(natsOptions_SetURL(o, f.url));
    CHECK_OK(natsOptions_SetAllowReconnect(o, false));
    CHECK_OK(natsOptions_SetWriteDeadline(o, 100));
    CHECK_OK(natsConnection_Connect(&nc, o));

    bg_flusher bg = { .nc = nc };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, flush_loop, &bg) == 0);

    /* Publish until the client can no longer write. */
    const int chunk = 64 * 1024;
    char *buf = calloc(1, (size_t)chunk);
    CHECK(buf != NULL);
    natsStatus s = NATS_OK;
    int i;
    for (i = 0; i < 1024 && s == NATS_OK; i++)
        s = natsConnection_Publish(nc, "blocked", buf, chunk);
    free(buf);
    CHECK_MSG(s != NATS_OK, "64 MB accepted by a server that reads nothing");

    int64_t t0 = test_now_ms();
    natsStatus fs = natsConnection_FlushTimeout(nc, 1000);
    int64_t el = test_now_ms() - t0;

    atomic_store(&bg.stop, true);
    pthread_join(th, NULL);
    test_log("round %d: publish stopped after %d: %s; FlushTimeout -> %s after %lld ms; "
             "concurrent flushes: %d calls, %d OK",
             round, i, natsStatus_GetText(s), natsStatus_GetText(fs), (long long)el,
             bg.calls, bg.oks);

    CHECK_MSG(fs != NATS_OK, "FlushTimeout returned OK although no PONG can have arrived");
    CHECK_MSG(bg.oks == 0, "%d concurrent flushes returned OK without a PONG", bg.oks);
    CHECK(el < 5000);
    CHECK_EQ(atomic_load(&f.pongs_sent), 1);

    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    fake_stop(&f);
}

int main(void)
{
    test_init("bug_flush_write_error");
    for (int round = 0; round < 10; round++)
        round_once(round);
    return test_done();
}
