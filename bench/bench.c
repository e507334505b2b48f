/*
 * Micro-benchmark for the NATS C client API (core NATS only).
 *
 * The same source is compiled against the reference nats.c library and
 * against rnats; bench/run.sh drives both and compares the results.
 *
 * Usage:
 *   bench [-s URL] [-n NAME] pub SIZE COUNT
 *   bench [-s URL] [-n NAME] flushrtt COUNT
 *   bench [-s URL] [-n NAME] pubsub SIZE COUNT
 *   bench [-s URL] [-n NAME] rawping COUNT
 *   bench [-s URL] [-n NAME] rawwrite SIZE COUNT
 *   bench [-s URL] [-n NAME] rawsub SIZE COUNT
 *   bench [-s URL] [-n NAME] pub4 SIZE COUNT
 *   bench [-s URL] [-n NAME] syncsub SIZE COUNT
 *   bench [-s URL] [-n NAME] asyncsub SIZE COUNT
 *   bench [-s URL] [-n NAME] reqrep COUNT
 *   bench [-n NAME] sink SIZE COUNT
 *   bench [-s URL] [-n NAME] jspub|jspubasync|jspull|jspush mem|file COUNT
 *   bench [-s URL] [-n NAME] kvget|kvput|kvwatch COUNT
 *   bench [-s URL] [-n NAME] rawjspub|rawjspubasync|rawjspush mem|file COUNT
 *   bench [-s URL] [-n NAME] rawkvget|rawkvput|rawkvwatch COUNT
 *
 * URL defaults to $NATS_URL. NAME is echoed as impl=NAME in the output.
 *
 * --ca FILE (or -c FILE) connects over TLS: the options get
 * natsOptions_SetSecure(true) and FILE (PEM) as the only trusted CA, via
 * natsOptions_LoadCATrustedCertificates. The server certificate is verified
 * as usual. Only the modes that use the client library for every connection
 * accept it (pub, flushrtt, pubsub, pub4, reqrep); the RESULT line then
 * carries tls=1.
 *
 * Every run prints exactly one line starting with "RESULT " made of
 * space-separated key=value pairs. On failure the line carries
 * status=error and err=<reason>, and the exit code is non-zero.
 *
 * Modes:
 *   pub       publish COUNT messages of SIZE bytes on one connection, then
 *             flush; the clock covers the publish loop and the final flush.
 *   flushrtt  COUNT sequential natsConnection_Flush calls, each timed.
 *   pubsub    a synchronous subscriber on a second connection (own thread)
 *             counts messages while the main thread publishes COUNT
 *             messages; rate = received / (last receive - first publish).
 *   rawping   plain TCP socket, no client library: CONNECT once, then COUNT
 *             timed PING/PONG exchanges. The floor for the flush RTT.
 *   rawwrite  plain TCP socket, no client library: COUNT pre-encoded PUBs
 *             of SIZE bytes in 64 KiB writes, then PING/PONG. The server's
 *             ceiling for the pub mode.
 *   rawsub    plain TCP sockets, no client library: the syncsub publisher
 *             feeds a raw subscription that counts MSGs without building
 *             messages. The server's ceiling for syncsub and asyncsub.
 *   pub4      like pub, but 4 threads share one connection, each publishing
 *             COUNT/4 messages; rate = COUNT / (start .. final flush).
 *   syncsub   natsConnection_SubscribeSync + natsSubscription_NextMsg loop.
 *             The messages come from a plain TCP publisher thread (no
 *             library code) on another connection, paced so that at most
 *             RAW_WINDOW messages are in flight; rate = received / (first
 *             .. last receive). CPU excludes the publisher thread.
 *   asyncsub  same, with a natsConnection_Subscribe handler counting.
 *   reqrep    an async subscriber on a second connection answers with
 *             natsConnection_Publish to the reply subject; the main thread
 *             calls natsConnection_Request COUNT times in sequence, each
 *             timed. Payload REQ_SIZE bytes.
 *   sink      no nats-server: a child process listens on a free loopback
 *             port, sends INFO, answers PING with PONG and discards the
 *             rest, parsing PUB/HPUB to skip payloads and count messages.
 *             The client publishes COUNT messages to it and flushes. The
 *             sink's CPU is not part of cpu_ns_per_msg (other process).
 *   jspub     (JetStream server) COUNT synchronous js_Publish of 128 B to a
 *             fresh stream in mem or file storage, each timed.
 *   jspubasync  COUNT js_PublishAsync of 128 B (window 4096), then
 *             js_PublishAsyncComplete; the clock covers both.
 *   jspull    COUNT stored messages read with natsSubscription_Fetch
 *             batches of 100 on a durable pull consumer, each acked.
 *   jspush    COUNT stored messages delivered to a js_Subscribe handler
 *             (auto-ack); rate from subscribe to the last message.
 *   kvget / kvput  COUNT timed kvStore_Get (one key) / kvStore_Put.
 *   kvwatch   a kvStore_WatchAll watcher receives COUNT initial values.
 *
 * cpu_ns_per_msg is user+sys CPU time of the whole process (all threads)
 * during the measured phase divided by the number of messages (for
 * flushrtt and rawping: by the number of round trips). maxrss_kb is the
 * process peak resident set size (ru_maxrss).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "bench_util.h"

#define FLUSH_TIMEOUT_MS 120000
#define SUB_IDLE_TIMEOUT_MS 3000
#define PUB_THREADS 4
#define RAW_WINDOW 50000
#define REQ_SIZE 16
#define REQ_TIMEOUT_MS 5000

static const char *g_url;
static const char *g_ca;        /* CA file: connect over TLS when set */
static const char *g_name = "unknown";
static const char *g_mode = "none";

static const char *loaded_library(void)
{
    Dl_info info;

    if (dladdr((void *) natsConnection_Publish, &info) && info.dli_fname)
        return info.dli_fname;
    return "unknown";
}

static long maxrss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void emit(const char *status)
{
    printf("RESULT mode=%s impl=%s status=%s%s maxrss_kb=%ld lib=%s\n",
           g_mode, g_name, status, g_kv, maxrss_kb(), loaded_library());
    fflush(stdout);
}

static void fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    char *p;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "bench: %s\n", msg);
    /* Keep the RESULT line a single space-separated record. */
    for (p = msg; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '=')
            *p = '_';
    kv("err=%s", msg);
    emit("error");
    exit(1);
}

static void check(natsStatus s, const char *what)
{
    if (s != NATS_OK)
        fail("%s: %s (%d)", what, natsStatus_GetText(s), (int) s);
}

/* CPU time of the calling thread only. */
static double thread_cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_THREAD, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec * 1e-6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec * 1e-6;
}

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

    nanosleep(&ts, NULL);
}

static long parse_long(const char *s, const char *what, long min)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min)
        fail("bad %s '%s'", what, s);
    return v;
}

static natsConnection *connect_to(void)
{
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;

    check(natsOptions_Create(&opts), "natsOptions_Create");
    check(natsOptions_SetURL(opts, g_url), "natsOptions_SetURL");
    check(natsOptions_SetAllowReconnect(opts, false), "natsOptions_SetAllowReconnect");
    check(natsOptions_SetTimeout(opts, 5000), "natsOptions_SetTimeout");
    if (g_ca) {
        check(natsOptions_SetSecure(opts, true), "natsOptions_SetSecure");
        check(natsOptions_LoadCATrustedCertificates(opts, g_ca),
              "natsOptions_LoadCATrustedCertificates");
    }
    check(natsConnection_Connect(&nc, opts), "natsConnection_Connect");
    natsOptions_Destroy(opts);
    return nc;
}

static uint64_t out_msgs(natsConnection *nc)
{
    natsStatistics *st = NULL;
    uint64_t in_m = 0, in_b = 0, out_m = 0, out_b = 0, rec = 0;

    check(natsStatistics_Create(&st), "natsStatistics_Create");
    check(natsConnection_GetStats(nc, st), "natsConnection_GetStats");
    check(natsStatistics_GetCounts(st, &in_m, &in_b, &out_m, &out_b, &rec),
          "natsStatistics_GetCounts");
    natsStatistics_Destroy(st);
    return out_m;
}

static char *payload(long size)
{
    char *buf = malloc(size > 0 ? (size_t) size : 1);
    long i;

    if (!buf)
        fail("out of memory");
    for (i = 0; i < size; i++)
        buf[i] = (char) ('a' + i % 26);
    return buf;
}

/* ---------------------------------------------------------------- pub */

/* The rate keys of a publishing run: COUNT messages of SIZE bytes in EL
 * seconds, using CPU seconds of the process. */
static void report_rate(long size, long count, double el, double cpu)
{
    kv("elapsed_s=%.4f", el);
    kv("msgs_per_s=%.0f", (double) count / el);
    kv("mb_per_s=%.2f", (double) count * (double) size / el / 1e6);
    kv("cpu_ns_per_msg=%.1f", cpu * 1e9 / (double) count);
}

/* The receiving modes' report: COUNT sent of SIZE bytes, RECEIVED received, a rate of
 * COUNTED messages over EL seconds, CPU seconds spent per received message. */
static void report_received(long size, long count, long received, long counted, double el,
                            double cpu)
{
    kv("size=%ld", size);
    kv("count=%ld", count);
    kv("received=%ld", received);
    kv("lost=%ld", count - received);
    kv("elapsed_s=%.4f", el);
    kv("msgs_per_s=%.0f", (double) counted / el);
    kv("mb_per_s=%.2f", (double) counted * (double) size / el / 1e6);
    kv("cpu_ns_per_msg=%.1f", cpu * 1e9 / (double) received);
}

/* Publishes WARM messages and flushes, then times COUNT publishes of SIZE
 * bytes on SUBJ plus the final flush; checks the connection's statistics.
 * Returns the elapsed seconds and stores the process CPU seconds in *cpu. */
static double timed_publish(natsConnection *nc, const char *subj, long size, long count,
                            long warm, double *cpu)
{
    char *buf = payload(size);
    double t0, t1, c0, c1;
    uint64_t before, after;
    long i;

    for (i = 0; i < warm; i++)
        check(natsConnection_Publish(nc, subj, buf, (int) size), "warmup publish");
    check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "warmup flush");
    before = out_msgs(nc);

    c0 = cpu_s();
    t0 = now_s();
    for (i = 0; i < count; i++) {
        natsStatus s = natsConnection_Publish(nc, subj, buf, (int) size);
        if (s != NATS_OK)
            fail("publish #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
    }
    check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "flush");
    t1 = now_s();
    c1 = cpu_s();

    after = out_msgs(nc);
    if (after - before != (uint64_t) count)
        fail("stats report %llu messages sent, expected %ld",
             (unsigned long long) (after - before), count);
    free(buf);
    *cpu = c1 - c0;
    return t1 - t0;
}

static void mode_pub(long size, long count)
{
    natsConnection *nc = connect_to();
    long warm = count / 10 < 10000 ? count / 10 : 10000;
    double cpu, el = timed_publish(nc, "bench.pub", size, count, warm, &cpu);

    kv("size=%ld", size);
    kv("count=%ld", count);
    report_rate(size, count, el, cpu);

    natsConnection_Destroy(nc);
}

/* ----------------------------------------------------------- flushrtt */

static void mode_flushrtt(long count)
{
    natsConnection *nc = connect_to();
    double *lat = malloc(sizeof(double) * (size_t) count);
    long warm = count / 10 < 200 ? count / 10 : 200;
    double t0, t1, c0, c1, start;
    long i;

    if (!lat)
        fail("out of memory");
    for (i = 0; i < warm; i++)
        check(natsConnection_Flush(nc), "warmup flush");

    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        natsStatus s;

        t0 = now_s();
        s = natsConnection_Flush(nc);
        t1 = now_s();
        if (s != NATS_OK)
            fail("flush #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
        lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    c1 = cpu_s();

    kv("count=%ld", count);
    kv("elapsed_s=%.4f", t1 - start);
    kv("ops_per_s=%.0f", (double) count / (t1 - start));
    latency_report(lat, count);
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) count);

    natsConnection_Destroy(nc);
    free(lat);
}

/* ------------------------------------------------------------- pubsub */

struct sub_state {
    natsSubscription *sub;
    long expected;
    long received;
    double last_recv;
    natsStatus err;
};

static void *sub_thread(void *arg)
{
    struct sub_state *st = arg;

    while (st->received < st->expected) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, st->sub, SUB_IDLE_TIMEOUT_MS);

        if (s == NATS_TIMEOUT)
            break;
        if (s != NATS_OK) {
            /* Slow-consumer notifications are reported, other errors end the run. */
            if (s == NATS_SLOW_CONSUMER)
                continue;
            st->err = s;
            break;
        }
        st->received++;
        st->last_recv = now_s();
        natsMsg_Destroy(m);
    }
    return NULL;
}

static void mode_pubsub(long size, long count)
{
    natsConnection *snc = connect_to();
    natsConnection *pnc = connect_to();
    const char *subj = "bench.pubsub";
    char *buf = payload(size);
    struct sub_state st;
    pthread_t th;
    double t0, tpub, c0, c1, el;
    int64_t dropped = 0;
    long i;

    memset(&st, 0, sizeof(st));
    st.expected = count;
    check(natsConnection_SubscribeSync(&st.sub, snc, subj), "natsConnection_SubscribeSync");
    check(natsSubscription_SetPendingLimits(st.sub, -1, -1), "natsSubscription_SetPendingLimits");
    /* Make sure the server knows about the subscription before publishing. */
    check(natsConnection_FlushTimeout(snc, FLUSH_TIMEOUT_MS), "subscriber flush");

    if (pthread_create(&th, NULL, sub_thread, &st) != 0)
        fail("pthread_create failed");

    c0 = cpu_s();
    t0 = now_s();
    for (i = 0; i < count; i++) {
        natsStatus s = natsConnection_Publish(pnc, subj, buf, (int) size);
        if (s != NATS_OK)
            fail("publish #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
    }
    check(natsConnection_FlushTimeout(pnc, FLUSH_TIMEOUT_MS), "publisher flush");
    tpub = now_s();
    pthread_join(th, NULL);
    c1 = cpu_s();

    if (st.err != NATS_OK)
        fail("subscriber: %s (%d)", natsStatus_GetText(st.err), (int) st.err);
    if (st.received == 0)
        fail("subscriber received nothing");
    natsSubscription_GetDropped(st.sub, &dropped);

    el = st.last_recv - t0;
    report_received(size, count, st.received, st.received, el, c1 - c0);
    kv("dropped=%lld", (long long) dropped);
    kv("pub_msgs_per_s=%.0f", (double) count / (tpub - t0));

    natsSubscription_Destroy(st.sub);
    natsConnection_Destroy(pnc);
    natsConnection_Destroy(snc);
    free(buf);
}

/* ------------------------------------------------------------ rawping */

struct linebuf {
    int fd;
    char buf[65536];
    size_t len;
};

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("send: %s", strerror(errno));
        }
        data += n;
        len -= (size_t) n;
    }
}

/* Reads one protocol line (without CRLF) into out. */
static void read_line(struct linebuf *lb, char *out, size_t outsz)
{
    for (;;) {
        char *nl = memchr(lb->buf, '\n', lb->len);

        if (nl) {
            size_t l = (size_t) (nl - lb->buf);
            size_t copy = l;

            if (copy > 0 && lb->buf[copy - 1] == '\r')
                copy--;
            if (copy >= outsz)
                copy = outsz - 1;
            memcpy(out, lb->buf, copy);
            out[copy] = '\0';
            memmove(lb->buf, nl + 1, lb->len - l - 1);
            lb->len -= l + 1;
            return;
        }
        if (lb->len == sizeof(lb->buf))
            fail("protocol line too long");
        {
            ssize_t n = recv(lb->fd, lb->buf + lb->len, sizeof(lb->buf) - lb->len, 0);

            if (n == 0)
                fail("server closed the connection");
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                fail("recv: %s", strerror(errno));
            }
            lb->len += (size_t) n;
        }
    }
}

/* Waits for PONG, answering server PINGs on the way. */
static void wait_pong(struct linebuf *lb)
{
    char line[1024];

    for (;;) {
        read_line(lb, line, sizeof(line));
        if (strncmp(line, "PONG", 4) == 0)
            return;
        if (strncmp(line, "PING", 4) == 0) {
            send_all(lb->fd, "PONG\r\n", 6);
            continue;
        }
        if (strncmp(line, "-ERR", 4) == 0)
            fail("server error: %s", line);
        /* +OK or anything else: ignore. */
    }
}

static int tcp_connect(const char *url)
{
    char host[256], port[16];
    const char *p = url, *colon;
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, one = 1, rc;
    size_t hl;

    if (strncmp(p, "nats://", 7) == 0)
        p += 7;
    if (strchr(p, '@'))
        p = strchr(p, '@') + 1;
    colon = strrchr(p, ':');
    if (colon) {
        hl = (size_t) (colon - p);
        snprintf(port, sizeof(port), "%s", colon + 1);
    } else {
        hl = strlen(p);
        snprintf(port, sizeof(port), "4222");
    }
    if (hl == 0 || hl >= sizeof(host))
        fail("cannot parse host in '%s'", url);
    memcpy(host, p, hl);
    host[hl] = '\0';
    {
        char *slash = strchr(port, '/');
        if (slash)
            *slash = '\0';
    }

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        fail("getaddrinfo %s:%s: %s", host, port, gai_strerror(rc));
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fail("cannot connect to %s:%s", host, port);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* A plain socket that has read INFO, sent CONNECT and seen the PONG of its PING. */
static void raw_connect(struct linebuf *lb)
{
    static const char connect_cmd[] =
        "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"bench\","
        "\"version\":\"0\",\"protocol\":1,\"headers\":true}\r\nPING\r\n";
    char line[65536];

    lb->fd = tcp_connect(g_url);
    read_line(lb, line, sizeof(line));
    if (strncmp(line, "INFO", 4) != 0)
        fail("expected INFO from server");
    send_all(lb->fd, connect_cmd, sizeof(connect_cmd) - 1);
    wait_pong(lb);
}

static void mode_rawping(long count)
{
    static struct linebuf lb;
    double *lat = malloc(sizeof(double) * (size_t) count);
    long warm = count / 10 < 200 ? count / 10 : 200;
    double t0, t1, c0, c1, start;
    long i;

    if (!lat)
        fail("out of memory");
    raw_connect(&lb);

    for (i = 0; i < warm; i++) {
        send_all(lb.fd, "PING\r\n", 6);
        wait_pong(&lb);
    }

    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        t0 = now_s();
        send_all(lb.fd, "PING\r\n", 6);
        wait_pong(&lb);
        t1 = now_s();
        lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    c1 = cpu_s();

    kv("count=%ld", count);
    kv("elapsed_s=%.4f", t1 - start);
    kv("ops_per_s=%.0f", (double) count / (t1 - start));
    latency_report(lat, count);
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) count);

    close(lb.fd);
    free(lat);
}

/*
 * Pre-encoded PUBs of SIZE bytes on SUBJ, as many as fit in 64 KiB (at least
 * one), for the plain-socket writers. Returns the malloc'ed chunk.
 */
static char *pub_chunk(const char *subj, long size, long *per_chunk, size_t *msglen)
{
    char head[512];
    size_t hl = (size_t) snprintf(head, sizeof(head), "PUB %s %ld\r\n", subj, size);
    char *chunk;
    long i;

    *msglen = hl + (size_t) size + 2;
    *per_chunk = (long) (65536 / *msglen);
    if (*per_chunk < 1)
        *per_chunk = 1;
    chunk = malloc((size_t) *per_chunk * *msglen);
    if (!chunk)
        fail("out of memory");
    for (i = 0; i < *per_chunk; i++) {
        char *m = chunk + (size_t) i * *msglen;
        long j;

        memcpy(m, head, hl);
        for (j = 0; j < size; j++)
            m[hl + (size_t) j] = (char) ('a' + j % 26);
        memcpy(m + hl + (size_t) size, "\r\n", 2);
    }
    return chunk;
}

/* ------------------------------------------------------------ rawwrite */

/*
 * The server's ceiling for publishing: pre-encoded PUBs written over a plain
 * socket in 64 KiB chunks, then a PING whose PONG says the server has read
 * them all. No client library runs.
 */
static void mode_rawwrite(long size, long count)
{
    static struct linebuf lb;
    size_t msglen;
    long per_chunk, sent = 0;
    double t0, t1, c0, c1;
    char *chunk;

    raw_connect(&lb);

    chunk = pub_chunk("bench.pub", size, &per_chunk, &msglen);

    c0 = cpu_s();
    t0 = now_s();
    while (sent < count) {
        long n = count - sent < per_chunk ? count - sent : per_chunk;

        send_all(lb.fd, chunk, (size_t) n * msglen);
        sent += n;
    }
    send_all(lb.fd, "PING\r\n", 6);
    wait_pong(&lb);
    t1 = now_s();
    c1 = cpu_s();

    kv("size=%ld", size);
    kv("count=%ld", count);
    report_rate(size, count, t1 - t0, c1 - c0);

    close(lb.fd);
    free(chunk);
}

/* --------------------------------------------------------------- pub4 */

struct pub4_state {
    natsConnection *nc;
    pthread_barrier_t *start;
    const char *subj;
    const char *buf;
    long size;
    long count;
};

static void *pub4_thread(void *arg)
{
    struct pub4_state *st = arg;
    long i;

    pthread_barrier_wait(st->start);
    for (i = 0; i < st->count; i++) {
        natsStatus s = natsConnection_Publish(st->nc, st->subj, st->buf, (int) st->size);
        if (s != NATS_OK)
            fail("publish #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
    }
    return NULL;
}

static void mode_pub4(long size, long count)
{
    natsConnection *nc = connect_to();
    const char *subj = "bench.pub4";
    char *buf = payload(size);
    long warm = count / 10 < 10000 ? count / 10 : 10000;
    struct pub4_state st[PUB_THREADS];
    pthread_t th[PUB_THREADS];
    pthread_barrier_t start;
    double t0, t1, c0, c1, el;
    uint64_t before, after;
    long i;

    for (i = 0; i < warm; i++)
        check(natsConnection_Publish(nc, subj, buf, (int) size), "warmup publish");
    check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "warmup flush");
    before = out_msgs(nc);

    pthread_barrier_init(&start, NULL, PUB_THREADS + 1);
    for (i = 0; i < PUB_THREADS; i++) {
        st[i].nc = nc;
        st[i].start = &start;
        st[i].subj = subj;
        st[i].buf = buf;
        st[i].size = size;
        st[i].count = count / PUB_THREADS + (i < count % PUB_THREADS ? 1 : 0);
        if (pthread_create(&th[i], NULL, pub4_thread, &st[i]) != 0)
            fail("pthread_create failed");
    }
    c0 = cpu_s();
    t0 = now_s();
    pthread_barrier_wait(&start);
    for (i = 0; i < PUB_THREADS; i++)
        pthread_join(th[i], NULL);
    check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "flush");
    t1 = now_s();
    c1 = cpu_s();
    pthread_barrier_destroy(&start);

    after = out_msgs(nc);
    if (after - before != (uint64_t) count)
        fail("stats report %llu messages sent, expected %ld",
             (unsigned long long) (after - before), count);

    el = t1 - t0;
    kv("size=%ld", size);
    kv("count=%ld", count);
    kv("threads=%d", PUB_THREADS);
    report_rate(size, count, el, c1 - c0);

    natsConnection_Destroy(nc);
    free(buf);
}

/* ------------------------------------------------------ raw publisher */

/*
 * A publisher that speaks the protocol over a plain socket, so that the only
 * client library code running is the subscriber's. It keeps at most
 * RAW_WINDOW messages ahead of what the subscriber has counted, which keeps
 * the server from declaring the subscriber a slow consumer.
 */
struct rawpub {
    const char *subj;
    long size;
    long count;
    atomic_long *received;  /* advanced by the subscriber */
    atomic_int stop;        /* set by the subscriber side when it gives up */
    long sent;
    double cpu_s;           /* CPU time used by this thread */
    int stalled;
};

static void *rawpub_thread(void *arg)
{
    struct rawpub *rp = arg;
    struct linebuf *lb = calloc(1, sizeof(*lb));
    double c0 = thread_cpu_s();
    size_t msglen;
    long per_chunk;
    char *chunk;

    if (!lb)
        fail("out of memory");
    raw_connect(lb);

    chunk = pub_chunk(rp->subj, rp->size, &per_chunk, &msglen);

    while (rp->sent < rp->count && !atomic_load(&rp->stop)) {
        long room = RAW_WINDOW - (rp->sent - atomic_load_explicit(rp->received, memory_order_relaxed));
        long n = rp->count - rp->sent;

        if (n > per_chunk)
            n = per_chunk;
        if (n > room)
            n = room;
        if (n < per_chunk && rp->sent + n < rp->count) {
            /* Wait for the subscriber to make room for a whole chunk. */
            sleep_us(20);
            continue;
        }
        send_all(lb->fd, chunk, (size_t) n * msglen);
        rp->sent += n;
    }
    if (!atomic_load(&rp->stop)) {
        send_all(lb->fd, "PING\r\n", 6);
        wait_pong(lb);
    } else {
        rp->stalled = rp->sent < rp->count;
    }
    close(lb->fd);
    free(chunk);
    free(lb);
    rp->cpu_s = thread_cpu_s() - c0;
    return NULL;
}

/* --------------------------------------------------- syncsub, asyncsub */

struct async_state {
    atomic_long received;
    long expected;
    double first_recv;
    double last_recv;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done;
};

static void on_bench_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    struct async_state *st = closure;
    /* Only the subscription's delivery thread writes the counter. */
    long n = atomic_load_explicit(&st->received, memory_order_relaxed) + 1;
    double t = now_s();

    (void) nc;
    (void) sub;
    if (n == 1)
        st->first_recv = t;
    st->last_recv = t;
    natsMsg_Destroy(msg);
    atomic_store_explicit(&st->received, n, memory_order_release);
    if (n == st->expected) {
        pthread_mutex_lock(&st->mu);
        st->done = 1;
        pthread_cond_signal(&st->cond);
        pthread_mutex_unlock(&st->mu);
    }
}

static void mode_sub(long size, long count, int async)
{
    natsConnection *snc = connect_to();
    const char *subj = async ? "bench.asyncsub" : "bench.syncsub";
    natsSubscription *sub = NULL;
    struct async_state ast;
    atomic_long sync_received;
    struct rawpub rp;
    pthread_t th;
    double c0, c1, first = 0, last = 0, el;
    long received = 0;
    int64_t dropped = 0;
    natsStatus err = NATS_OK;

    memset(&ast, 0, sizeof(ast));
    atomic_init(&ast.received, 0);
    atomic_init(&sync_received, 0);
    ast.expected = count;
    pthread_mutex_init(&ast.mu, NULL);
    pthread_cond_init(&ast.cond, NULL);

    if (async)
        check(natsConnection_Subscribe(&sub, snc, subj, on_bench_msg, &ast),
              "natsConnection_Subscribe");
    else
        check(natsConnection_SubscribeSync(&sub, snc, subj), "natsConnection_SubscribeSync");
    check(natsSubscription_SetPendingLimits(sub, -1, -1), "natsSubscription_SetPendingLimits");
    check(natsConnection_FlushTimeout(snc, FLUSH_TIMEOUT_MS), "subscriber flush");

    memset(&rp, 0, sizeof(rp));
    rp.subj = subj;
    rp.size = size;
    rp.count = count;
    rp.received = async ? &ast.received : &sync_received;
    atomic_init(&rp.stop, 0);

    c0 = cpu_s();
    if (pthread_create(&th, NULL, rawpub_thread, &rp) != 0)
        fail("pthread_create failed");

    if (!async) {
        while (received < count) {
            natsMsg *m = NULL;
            natsStatus s = natsSubscription_NextMsg(&m, sub, SUB_IDLE_TIMEOUT_MS);

            if (s == NATS_TIMEOUT)
                break;
            if (s != NATS_OK) {
                if (s == NATS_SLOW_CONSUMER)
                    continue;
                err = s;
                break;
            }
            last = now_s();
            if (received == 0)
                first = last;
            received++;
            natsMsg_Destroy(m);
            atomic_store_explicit(&sync_received, received, memory_order_relaxed);
        }
    } else {
        long seen = 0;
        double progress = now_s();

        pthread_mutex_lock(&ast.mu);
        while (!ast.done) {
            struct timespec ts;
            long now_recv;

            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&ast.cond, &ast.mu, &ts);
            now_recv = atomic_load(&ast.received);
            if (now_recv != seen) {
                seen = now_recv;
                progress = now_s();
            } else if (now_s() - progress > SUB_IDLE_TIMEOUT_MS / 1000.0) {
                break;
            }
        }
        pthread_mutex_unlock(&ast.mu);
        received = atomic_load_explicit(&ast.received, memory_order_acquire);
        first = ast.first_recv;
        last = ast.last_recv;
    }
    atomic_store(&rp.stop, 1);
    pthread_join(th, NULL);
    c1 = cpu_s();

    if (err != NATS_OK)
        fail("subscriber: %s (%d)", natsStatus_GetText(err), (int) err);
    if (received < 2)
        fail("subscriber received %ld messages", received);
    natsSubscription_GetDropped(sub, &dropped);

    el = last - first;
    /* The rate counts the intervals between the first and the last receive. */
    report_received(size, count, received, received - 1, el, c1 - c0 - rp.cpu_s);
    kv("dropped=%lld", (long long) dropped);
    kv("rawpub_cpu_ns_per_msg=%.1f", rp.cpu_s * 1e9 / (double) received);

    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(snc);
    pthread_cond_destroy(&ast.cond);
    pthread_mutex_destroy(&ast.mu);
}

/* ------------------------------------------------------------- reqrep */

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    const char *reply = natsMsg_GetReply(msg);

    (void) nc;
    (void) sub;
    (void) closure;
    if (reply)
        natsConnection_Publish((natsConnection *) closure, reply,
                               natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
}

static void mode_reqrep(long count)
{
    natsConnection *rnc = connect_to();
    natsConnection *nc;
    natsSubscription *sub = NULL;
    const char *subj = "bench.req";
    char *buf = payload(REQ_SIZE);
    double *lat = malloc(sizeof(double) * (size_t) count);
    long warm = count / 10 < 200 ? count / 10 : 200;
    double t0, t1, c0, c1, start;
    long i;

    if (!lat)
        fail("out of memory");
    check(natsConnection_Subscribe(&sub, rnc, subj, on_request, rnc), "natsConnection_Subscribe");
    check(natsConnection_FlushTimeout(rnc, FLUSH_TIMEOUT_MS), "replier flush");
    nc = connect_to();

    for (i = 0; i < warm; i++) {
        natsMsg *reply = NULL;

        check(natsConnection_Request(&reply, nc, subj, buf, REQ_SIZE, REQ_TIMEOUT_MS),
              "warmup request");
        natsMsg_Destroy(reply);
    }

    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        natsMsg *reply = NULL;
        natsStatus s;

        t0 = now_s();
        s = natsConnection_Request(&reply, nc, subj, buf, REQ_SIZE, REQ_TIMEOUT_MS);
        t1 = now_s();
        if (s != NATS_OK)
            fail("request #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
        if (natsMsg_GetDataLength(reply) != REQ_SIZE)
            fail("request #%ld: reply of %d bytes", i, natsMsg_GetDataLength(reply));
        natsMsg_Destroy(reply);
        lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    c1 = cpu_s();

    kv("size=%d", REQ_SIZE);
    kv("count=%ld", count);
    kv("elapsed_s=%.4f", t1 - start);
    kv("msgs_per_s=%.0f", (double) count / (t1 - start));
    latency_report(lat, count);
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) count);

    natsConnection_Destroy(nc);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(rnc);
    free(lat);
    free(buf);
}

/* --------------------------------------------------------------- sink */

struct sink_stats {
    long long msgs;
    long long bytes;
    double cpu_s;
    int err;            /* 0, or a line of the client protocol was too long */
    /* rawsub only: */
    long long stop_at;      /* return once this many messages were counted (0: at EOF) */
    atomic_long *progress;  /* the count, for the raw publisher's window */
    double first, last;     /* when the first and the last message were read */
};

/* Handles one protocol line (CRLF stripped): the client's side of the protocol for the
 * sink, the server's side for rawsub. Returns bytes of payload to skip. */
static long long sink_line(int fd, const char *line, size_t len, struct sink_stats *st)
{
    const char *sp;

    if (len >= 4 && (memcmp(line, "PUB ", 4) == 0 || memcmp(line, "HPUB", 4) == 0
                     || memcmp(line, "MSG ", 4) == 0 || memcmp(line, "HMSG", 4) == 0)) {
        /* The last field is the payload size (for HPUB and HMSG: headers + payload), read
         * backwards digit by digit: the sink must cost as little as it can. */
        long long n = 0, mul = 1;

        sp = line + len;
        while (sp > line && sp[-1] >= '0' && sp[-1] <= '9' && mul <= 1000000000000LL) {
            n += (sp[-1] - '0') * mul;
            mul *= 10;
            sp--;
        }
        st->msgs++;
        return n + 2;
    }
    if (len >= 4 && memcmp(line, "PING", 4) == 0)
        send_all(fd, "PONG\r\n", 6);
    /* CONNECT, PONG, SUB, UNSUB: nothing to do. */
    return 0;
}

/* Reads and discards the protocol on fd, counting messages (see sink_line). The sink
 * sends INFO first (send_info); rawsub reads a subscription's MSGs instead. */
static void sink_serve(int fd, struct sink_stats *st, int send_info)
{
    static const char info[] =
        "INFO {\"server_id\":\"SINK\",\"version\":\"2.10.0\",\"proto\":1,"
        "\"headers\":true,\"max_payload\":1048576}\r\n";
    static char buf[1 << 18];
    char line[4096];
    size_t ll = 0;
    long long skip = 0;

    if (send_info)
        send_all(fd, info, sizeof(info) - 1);
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        const char *p = buf, *end;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        st->bytes += n;
        end = buf + n;
        while (p < end) {
            const char *nl;
            size_t seg;

            if (skip > 0) {
                size_t k = (size_t) (end - p) < (unsigned long long) skip
                               ? (size_t) (end - p) : (size_t) skip;
                p += k;
                skip -= (long long) k;
                continue;
            }
            nl = memchr(p, '\n', (size_t) (end - p));
            seg = (size_t) ((nl ? nl + 1 : end) - p);
            if (nl && ll == 0) {
                /* Whole line inside this read: parse in place. */
                size_t l = seg - 1;

                if (l > 0 && p[l - 1] == '\r')
                    l--;
                skip = sink_line(fd, p, l, st);
                p += seg;
                continue;
            }
            if (ll + seg > sizeof(line)) {
                st->err = 1;
                return;
            }
            memcpy(line + ll, p, seg);
            ll += seg;
            p += seg;
            if (nl) {
                size_t l = ll - 1;

                if (l > 0 && line[l - 1] == '\r')
                    l--;
                skip = sink_line(fd, line, l, st);
                ll = 0;
            }
        }
        if (st->stop_at && st->msgs > 0) {
            st->last = now_s();
            if (st->first == 0)
                st->first = st->last;
            atomic_store_explicit(st->progress, (long) st->msgs, memory_order_relaxed);
            if (st->msgs >= st->stop_at)
                return;
        }
    }
}

/* ------------------------------------------------------------- rawsub */

/*
 * The server's ceiling for the subscriber modes: the same raw publisher feeds a
 * subscription made over a plain socket, read in 256 KiB chunks and counted
 * without building messages. No client library runs.
 */
static void mode_rawsub(long size, long count)
{
    static const char sub_cmd[] = "SUB bench.rawsub 1\r\nPING\r\n";
    static struct linebuf lb;
    struct timeval tv = { 5, 0 };
    struct sink_stats ss;
    struct rawpub rp;
    atomic_long progress;
    pthread_t th;
    double c0, c1, el;

    raw_connect(&lb);
    send_all(lb.fd, sub_cmd, sizeof(sub_cmd) - 1);
    wait_pong(&lb);
    /* A lost message must end the run, not hang it. */
    setsockopt(lb.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    memset(&ss, 0, sizeof(ss));
    atomic_init(&progress, 0);
    ss.stop_at = count;
    ss.progress = &progress;
    memset(&rp, 0, sizeof(rp));
    rp.subj = "bench.rawsub";
    rp.size = size;
    rp.count = count;
    rp.received = &progress;
    atomic_init(&rp.stop, 0);

    c0 = cpu_s();
    if (pthread_create(&th, NULL, rawpub_thread, &rp) != 0)
        fail("pthread_create failed");
    sink_serve(lb.fd, &ss, 0);
    atomic_store(&rp.stop, 1);
    pthread_join(th, NULL);
    c1 = cpu_s();

    if (ss.err)
        fail("rawsub: a protocol line was too long");
    if (ss.msgs < 2)
        fail("rawsub received %lld messages", ss.msgs);
    el = ss.last - ss.first;
    report_received(size, count, (long) ss.msgs, (long) ss.msgs - 1, el, c1 - c0 - rp.cpu_s);
    close(lb.fd);
}

static void mode_sink(long size, long count)
{
    char url[64];
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    struct sink_stats ss;
    natsConnection *nc;
    long warm = count / 10 < 10000 ? count / 10 : 10000;
    double cpu, el;
    int lfd, pfd[2], status = 0, one = 1;
    pid_t pid;

    /* The sink runs in a child process, forked before the library starts
     * any thread; its CPU time is not part of this process's rusage. */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0)
        fail("socket: %s", strerror(errno));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(lfd, 1) != 0
        || getsockname(lfd, (struct sockaddr *) &addr, &alen) != 0)
        fail("sink listen: %s", strerror(errno));
    if (pipe(pfd) != 0)
        fail("pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd;

        close(pfd[0]);
        memset(&ss, 0, sizeof(ss));
        fd = accept(lfd, NULL, NULL);
        close(lfd);
        if (fd >= 0) {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            sink_serve(fd, &ss, 1);
            close(fd);
        } else {
            ss.err = 2;
        }
        ss.cpu_s = cpu_s();
        if (write(pfd[1], &ss, sizeof(ss)) != (ssize_t) sizeof(ss))
            _exit(1);
        _exit(0);
    }
    close(lfd);
    close(pfd[1]);

    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", (int) ntohs(addr.sin_port));
    g_url = url;
    nc = connect_to();
    el = timed_publish(nc, "bench.sink", size, count, warm, &cpu);
    natsConnection_Destroy(nc);

    /* The sink reports once the client has closed the connection. */
    memset(&ss, 0, sizeof(ss));
    if (read(pfd[0], &ss, sizeof(ss)) != (ssize_t) sizeof(ss))
        fail("sink process did not report");
    close(pfd[0]);
    waitpid(pid, &status, 0);
    if (ss.err)
        fail("sink failed (%d)", ss.err);
    if (ss.msgs != warm + count)
        fail("sink counted %lld messages, expected %ld", ss.msgs, warm + count);

    kv("size=%ld", size);
    kv("count=%ld", count);
    report_rate(size, count, el, cpu);
    kv("sink_cpu_ns_per_msg=%.1f", ss.cpu_s * 1e9 / (double) (warm + count));
}

/* ---------------------------------------------------- JetStream and KV */

/* The JetStream modes need a server started with -js. Each run makes its own
 * stream (or bucket) named after the mode and the process id, in STORAGE
 * ("mem" or "file"), and deletes it at the end. Messages are JS_SIZE bytes. */
#define JS_SIZE 128
#define JS_FETCH_BATCH 100

static char g_js_stream[64];
static char g_js_subject[96];

static jsCtx *js_setup(natsConnection *nc, const char *storage, long max_pending)
{
    jsCtx *js = NULL;
    jsOptions jo;
    jsStreamConfig cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *subjects[1];

    check(jsOptions_Init(&jo), "jsOptions_Init");
    jo.Wait = 10000;
    if (max_pending > 0)
        jo.PublishAsync.MaxPending = max_pending;
    check(natsConnection_JetStream(&js, nc, &jo), "natsConnection_JetStream");
    snprintf(g_js_stream, sizeof(g_js_stream), "BENCH_%s_%ld", g_mode, (long) getpid());
    snprintf(g_js_subject, sizeof(g_js_subject), "bench.js.%ld", (long) getpid());
    subjects[0] = g_js_subject;
    check(jsStreamConfig_Init(&cfg), "jsStreamConfig_Init");
    cfg.Name = g_js_stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    if (strcmp(storage, "mem") == 0)
        cfg.Storage = js_MemoryStorage;
    else if (strcmp(storage, "file") == 0)
        cfg.Storage = js_FileStorage;
    else
        fail("bad storage '%s' (mem or file)", storage);
    kv("storage=%s", storage);
    check(js_AddStream(&si, js, &cfg, NULL, &jerr), "js_AddStream");
    jsStreamInfo_Destroy(si);
    return js;
}

static void js_teardown(jsCtx *js)
{
    jsErrCode jerr = 0;

    check(js_DeleteStream(js, g_js_stream, NULL, &jerr), "js_DeleteStream");
    jsCtx_Destroy(js);
}

/* jspub: COUNT synchronous js_Publish calls, each timed. */
static void mode_jspub(const char *storage, long count)
{
    natsConnection *nc = connect_to();
    jsCtx *js = js_setup(nc, storage, 0);
    char *data = payload(JS_SIZE);
    double *lat = malloc(sizeof(double) * (size_t) count);
    double t0, t1, start, c0;
    long i;

    if (!lat)
        fail("out of memory");
    for (i = 0; i < 100; i++)
        check(js_Publish(NULL, js, g_js_subject, data, JS_SIZE, NULL, NULL), "warmup js_Publish");
    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        jsPubAck *pa = NULL;
        natsStatus s;

        t0 = now_s();
        s = js_Publish(&pa, js, g_js_subject, data, JS_SIZE, NULL, NULL);
        t1 = now_s();
        if (s != NATS_OK)
            fail("js_Publish #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
        jsPubAck_Destroy(pa);
        lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, t1 - start, cpu_s() - c0);
    latency_report(lat, count);
    js_teardown(js);
    natsConnection_Destroy(nc);
    free(lat);
    free(data);
}

/* jspubasync: COUNT js_PublishAsync calls with a window of 4096, then
 * js_PublishAsyncComplete; the clock covers both. */
static void mode_jspubasync(const char *storage, long count)
{
    natsConnection *nc = connect_to();
    jsCtx *js = js_setup(nc, storage, 4096);
    char *data = payload(JS_SIZE);
    jsPubOptions po;
    double start, el, c0;
    long i;

    check(jsPubOptions_Init(&po), "jsPubOptions_Init");
    po.MaxWait = 60000;
    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        natsStatus s = js_PublishAsync(js, g_js_subject, data, JS_SIZE, NULL);
        if (s != NATS_OK)
            fail("js_PublishAsync #%ld: %s (%d)", i, natsStatus_GetText(s), (int) s);
    }
    check(js_PublishAsyncComplete(js, &po), "js_PublishAsyncComplete");
    el = now_s() - start;
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, el, cpu_s() - c0);
    js_teardown(js);
    natsConnection_Destroy(nc);
    free(data);
}

/* Fills the bench stream with COUNT messages (async, not timed). */
static void js_fill(jsCtx *js, long count)
{
    char *data = payload(JS_SIZE);
    jsPubOptions po;
    long i;

    check(jsPubOptions_Init(&po), "jsPubOptions_Init");
    po.MaxWait = 60000;
    for (i = 0; i < count; i++)
        check(js_PublishAsync(js, g_js_subject, data, JS_SIZE, NULL), "fill js_PublishAsync");
    check(js_PublishAsyncComplete(js, &po), "fill js_PublishAsyncComplete");
    free(data);
}

/* jspull: COUNT stored messages read by a durable pull consumer with Fetch
 * batches of 100, each message acked (natsMsg_Ack). */
static void mode_jspull(const char *storage, long count)
{
    natsConnection *nc = connect_to();
    jsCtx *js = js_setup(nc, storage, 4096);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    long got = 0;
    double start, el, c0;

    js_fill(js, count);
    check(jsSubOptions_Init(&so), "jsSubOptions_Init");
    so.Stream = g_js_stream;
    check(js_PullSubscribe(&sub, js, g_js_subject, "bench", NULL, &so, &jerr), "js_PullSubscribe");
    c0 = cpu_s();
    start = now_s();
    while (got < count) {
        natsMsgList list = { 0 };
        int i;
        natsStatus s = natsSubscription_Fetch(&list, sub, JS_FETCH_BATCH, 5000, &jerr);

        if (s != NATS_OK)
            fail("natsSubscription_Fetch after %ld: %s (%d)", got, natsStatus_GetText(s), (int) s);
        for (i = 0; i < list.Count; i++)
            check(natsMsg_Ack(list.Msgs[i], NULL), "natsMsg_Ack");
        got += list.Count;
        natsMsgList_Destroy(&list);
    }
    el = now_s() - start;
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, el, cpu_s() - c0);
    natsSubscription_Destroy(sub);
    js_teardown(js);
    natsConnection_Destroy(nc);
}

struct push_state {
    atomic_long received;
    long expected;
    pthread_mutex_t mu;
    pthread_cond_t done;
};

static void on_push_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    struct push_state *st = closure;

    (void) nc;
    (void) sub;
    natsMsg_Destroy(msg);
    if (atomic_fetch_add(&st->received, 1) + 1 == st->expected) {
        pthread_mutex_lock(&st->mu);
        pthread_cond_signal(&st->done);
        pthread_mutex_unlock(&st->mu);
    }
}

/* jspush: COUNT stored messages delivered to a js_Subscribe handler with
 * the library's auto-ack. */
static void mode_jspush(const char *storage, long count)
{
    natsConnection *nc = connect_to();
    jsCtx *js = js_setup(nc, storage, 4096);
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsErrCode jerr = 0;
    struct push_state st = { .expected = count };
    double start, el, c0;
    struct timespec deadline;

    pthread_mutex_init(&st.mu, NULL);
    pthread_cond_init(&st.done, NULL);
    js_fill(js, count);
    check(jsSubOptions_Init(&so), "jsSubOptions_Init");
    so.Stream = g_js_stream;
    so.Config.MaxAckPending = 20000;
    c0 = cpu_s();
    start = now_s();
    check(js_Subscribe(&sub, js, g_js_subject, on_push_msg, &st, NULL, &so, &jerr), "js_Subscribe");
    check(natsSubscription_SetPendingLimits(sub, -1, -1), "natsSubscription_SetPendingLimits");
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 120;
    pthread_mutex_lock(&st.mu);
    while (atomic_load(&st.received) < count) {
        if (pthread_cond_timedwait(&st.done, &st.mu, &deadline) != 0)
            break;
    }
    pthread_mutex_unlock(&st.mu);
    el = now_s() - start;
    if (atomic_load(&st.received) < count)
        fail("push: %ld of %ld messages", (long) atomic_load(&st.received), count);
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, el, cpu_s() - c0);
    natsSubscription_Destroy(sub);
    js_teardown(js);
    natsConnection_Destroy(nc);
}

static kvStore *kv_setup(natsConnection *nc, jsCtx **jsp)
{
    kvStore *store = NULL;
    kvConfig kc;

    check(natsConnection_JetStream(jsp, nc, NULL), "natsConnection_JetStream");
    snprintf(g_js_stream, sizeof(g_js_stream), "bench_%s_%ld", g_mode, (long) getpid());
    check(kvConfig_Init(&kc), "kvConfig_Init");
    kc.Bucket = g_js_stream;
    kc.History = 1;
    kc.StorageType = js_MemoryStorage;
    check(js_CreateKeyValue(&store, *jsp, &kc), "js_CreateKeyValue");
    return store;
}

static void kv_teardown(kvStore *store, jsCtx *js)
{
    kvStore_Destroy(store);
    check(js_DeleteKeyValue(js, g_js_stream), "js_DeleteKeyValue");
    jsCtx_Destroy(js);
}

/* kvput / kvget: COUNT timed kvStore_Put (or kvStore_Get of one key). */
static void mode_kvop(long count, int get)
{
    natsConnection *nc = connect_to();
    jsCtx *js = NULL;
    kvStore *store = kv_setup(nc, &js);
    char *data = payload(JS_SIZE);
    double *lat = malloc(sizeof(double) * (size_t) count);
    double t0, t1, start, c0;
    uint64_t rev = 0;
    long i;

    if (!lat)
        fail("out of memory");
    check(kvStore_Put(&rev, store, "key", data, JS_SIZE), "kvStore_Put");
    for (i = 0; i < 100; i++) {
        kvEntry *e = NULL;
        check(kvStore_Get(&e, store, "key"), "warmup kvStore_Get");
        kvEntry_Destroy(e);
    }
    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        natsStatus s;
        kvEntry *e = NULL;

        t0 = now_s();
        s = get ? kvStore_Get(&e, store, "key") : kvStore_Put(&rev, store, "key", data, JS_SIZE);
        t1 = now_s();
        if (s != NATS_OK)
            fail("%s #%ld: %s (%d)", get ? "kvStore_Get" : "kvStore_Put", i, natsStatus_GetText(s), (int) s);
        kvEntry_Destroy(e);
        lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, t1 - start, cpu_s() - c0);
    latency_report(lat, count);
    kv_teardown(store, js);
    natsConnection_Destroy(nc);
    free(lat);
    free(data);
}

/* kvwatch: a watcher on one bucket receives COUNT updates (distinct keys,
 * put asynchronously by the same process through js_PublishAsync on the
 * bucket's subjects); rate = COUNT / (watch start .. last update). */
static void mode_kvwatch(long count)
{
    natsConnection *nc = connect_to();
    jsCtx *js = NULL;
    kvStore *store = kv_setup(nc, &js);
    kvWatcher *w = NULL;
    char *data = payload(JS_SIZE);
    char subj[160];
    jsPubOptions po;
    long got = 0, i;
    double start, el, c0;

    check(jsPubOptions_Init(&po), "jsPubOptions_Init");
    po.MaxWait = 60000;
    for (i = 0; i < count; i++) {
        snprintf(subj, sizeof(subj), "$KV.%s.k%ld", g_js_stream, i);
        check(js_PublishAsync(js, subj, data, JS_SIZE, NULL), "js_PublishAsync");
    }
    check(js_PublishAsyncComplete(js, &po), "js_PublishAsyncComplete");
    c0 = cpu_s();
    start = now_s();
    check(kvStore_WatchAll(&w, store, NULL), "kvStore_WatchAll");
    while (got < count) {
        kvEntry *e = NULL;
        natsStatus s = kvWatcher_Next(&e, w, 10000);

        if (s != NATS_OK)
            fail("kvWatcher_Next after %ld: %s (%d)", got, natsStatus_GetText(s), (int) s);
        if (e == NULL)
            continue;   /* the end of the initial values */
        got++;
        kvEntry_Destroy(e);
    }
    el = now_s() - start;
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, el, cpu_s() - c0);
    kvWatcher_Destroy(w);
    kv_teardown(store, js);
    natsConnection_Destroy(nc);
    free(data);
}

/* ------------------------------------------------ raw JetStream floors */

/*
 * The server's floor (latency) or ceiling (throughput) for the JetStream and
 * Key/Value cases: the same server work done over a plain socket, with the
 * protocol written by hand and no client library. Like rawping and rawsub they
 * show what no client can beat. A stream (or a bucket's stream) is made and
 * deleted through the JetStream API by hand as well.
 */
struct rawrd {
    int fd;
    char *buf;
    size_t cap, start, end;
};

/* One MSG or HMSG: its reply subject, header and total sizes, and its bytes
 * (valid until the next read). */
struct rawmsg {
    char subject[256];
    char reply[256];
    long sid, hdr, total;
    const char *data;
};

static void rawrd_init(struct rawrd *r, int fd)
{
    r->fd = fd;
    r->cap = 1 << 20;
    r->buf = malloc(r->cap);
    if (!r->buf)
        fail("out of memory");
    r->start = r->end = 0;
}

/* Makes at least `need` bytes available from r->start. */
static void rawrd_fill(struct rawrd *r, size_t need)
{
    while (r->end - r->start < need) {
        ssize_t n;

        if (r->start > 0 && r->cap - r->end < 65536) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        if (need > r->cap)
            fail("raw: a message does not fit the read buffer");
        n = recv(r->fd, r->buf + r->end, r->cap - r->end, 0);
        if (n == 0)
            fail("raw: the server closed the connection");
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("raw: recv: %s", strerror(errno));
        }
        r->end += (size_t) n;
    }
}

/* Whether a whole protocol line is buffered (no system call). */
static int rawrd_has_line(struct rawrd *r)
{
    return memchr(r->buf + r->start, '\n', r->end - r->start) != NULL;
}

/* Reads protocol up to the next MSG or HMSG (answering PINGs, failing on -ERR). */
static void raw_next_msg(struct rawrd *r, struct rawmsg *m)
{
    for (;;) {
        char *nl, *line, *f[6];
        size_t len;
        int nf = 0;
        char *p, *save = NULL;

        while (!(nl = memchr(r->buf + r->start, '\n', r->end - r->start)))
            rawrd_fill(r, r->end - r->start + 1);
        line = r->buf + r->start;
        len = (size_t) (nl - line);
        r->start += len + 1;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        if (strncmp(line, "PING", 4) == 0) {
            send_all(r->fd, "PONG\r\n", 6);
            continue;
        }
        if (strncmp(line, "-ERR", 4) == 0)
            fail("raw: server error: %s", line);
        if (strncmp(line, "MSG ", 4) != 0 && strncmp(line, "HMSG ", 5) != 0)
            continue;   /* +OK, PONG, INFO */
        for (p = strtok_r(line, " ", &save); p && nf < 6; p = strtok_r(NULL, " ", &save))
            f[nf++] = p;
        /* MSG subj sid [reply] size; HMSG subj sid [reply] hdr size */
        {
            int hmsg = line[0] == 'H';
            int base = hmsg ? 5 : 4;    /* fields without a reply */

            if (nf != base && nf != base + 1)
                fail("raw: bad message line");
            snprintf(m->subject, sizeof(m->subject), "%s", f[1]);
            m->sid = atol(f[2]);
            snprintf(m->reply, sizeof(m->reply), "%s", nf == base + 1 ? f[3] : "");
            m->total = atol(f[nf - 1]);
            m->hdr = hmsg ? atol(f[nf - 2]) : 0;
        }
        rawrd_fill(r, (size_t) m->total + 2);
        m->data = r->buf + r->start;
        r->start += (size_t) m->total + 2;
        return;
    }
}

static void raw_pub(int fd, const char *subj, const char *reply, const char *data, size_t len)
{
    char head[600];
    int hl = snprintf(head, sizeof(head), "PUB %s %s %zu\r\n", subj, reply ? reply : "", len);

    send_all(fd, head, (size_t) hl);
    send_all(fd, data, len);
    send_all(fd, "\r\n", 2);
}

/* A JetStream API call over the raw socket (its reply inbox _RAW.api is
 * subscribed with sid 1); fails on an error answer. */
static void raw_api(struct rawrd *r, const char *subj, const char *json)
{
    struct rawmsg m;

    raw_pub(r->fd, subj, "_RAW.api", json, strlen(json));
    do
        raw_next_msg(r, &m);
    while (strcmp(m.subject, "_RAW.api") != 0);
    if (m.total - m.hdr > 0 && memmem(m.data + m.hdr, (size_t) (m.total - m.hdr), "\"error\"", 7))
        fail("raw: %s: %.*s", subj, (int) (m.total - m.hdr), m.data + m.hdr);
}

/* Connects a raw socket with the API inbox subscribed. */
static void raw_js_connect(struct rawrd *r)
{
    static struct linebuf lb;

    struct timeval tv = { 10, 0 };

    raw_connect(&lb);
    /* A server without JetStream never answers: fail instead of hanging. */
    setsockopt(lb.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    rawrd_init(r, lb.fd);
    memcpy(r->buf, lb.buf, lb.len);     /* what came after the PONG (an INFO update) */
    r->end = lb.len;
    send_all(r->fd, "SUB _RAW.api 1\r\nSUB _RAW.ack.* 2\r\n", 34);
}

static void raw_stream_create(struct rawrd *r, const char *storage, int kv_like)
{
    char subj[160], json[1024];

    snprintf(g_js_stream, sizeof(g_js_stream), "%sRAW_%s_%ld", kv_like ? "KV_" : "", g_mode, (long) getpid());
    if (kv_like)
        snprintf(g_js_subject, sizeof(g_js_subject), "$KV.%s.key", g_js_stream + 3);
    else
        snprintf(g_js_subject, sizeof(g_js_subject), "bench.rawjs.%ld", (long) getpid());
    snprintf(subj, sizeof(subj), "$JS.API.STREAM.CREATE.%s", g_js_stream);
    if (kv_like)
        /* What js_CreateKeyValue makes for History 1 in memory. */
        snprintf(json, sizeof(json),
                 "{\"name\":\"%s\",\"subjects\":[\"$KV.%s.>\"],\"retention\":\"limits\","
                 "\"max_msgs_per_subject\":1,\"discard\":\"new\",\"storage\":\"memory\","
                 "\"num_replicas\":1,\"allow_rollup_hdrs\":true,\"deny_delete\":true,"
                 "\"allow_direct\":true,\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,"
                 "\"max_msg_size\":-1}",
                 g_js_stream, g_js_stream + 3);
    else
        snprintf(json, sizeof(json),
                 "{\"name\":\"%s\",\"subjects\":[\"%s\"],\"storage\":\"%s\",\"num_replicas\":1}",
                 g_js_stream, g_js_subject, strcmp(storage, "mem") == 0 ? "memory" : "file");
    kv("storage=%s", storage);
    raw_api(r, subj, json);
}

static void raw_stream_delete(struct rawrd *r)
{
    char subj[160];

    snprintf(subj, sizeof(subj), "$JS.API.STREAM.DELETE.%s", g_js_stream);
    raw_api(r, subj, "");
    close(r->fd);
    free(r->buf);
}

/* Waits for the next message on the ack inbox (sid 2). */
static void raw_wait_ack(struct rawrd *r, struct rawmsg *m)
{
    do
        raw_next_msg(r, m);
    while (m->sid != 2);
}

/*
 * rawjspub / rawkvput / rawkvget: COUNT timed request round trips, each the
 * server work of js_Publish (PUB with a reply, the stream's ack back), of
 * kvStore_Put (the same on a bucket's stream) or of kvStore_Get (a direct get
 * of the key's last value).
 */
static void mode_rawjsreq(const char *storage, long count, int what)
{
    struct rawrd r;
    struct rawmsg m;
    char *data = payload(JS_SIZE);
    double *lat = malloc(sizeof(double) * (size_t) count);
    char get_subj[200], get_body[200], reply[64];
    double t0, t1, start = 0, c0 = 0;
    long i;

    if (!lat)
        fail("out of memory");
    raw_js_connect(&r);
    raw_stream_create(&r, storage, what != 0);
    snprintf(get_subj, sizeof(get_subj), "$JS.API.DIRECT.GET.%s", g_js_stream);
    snprintf(get_body, sizeof(get_body), "{\"last_by_subj\":\"%s\"}", g_js_subject);
    raw_pub(r.fd, g_js_subject, "_RAW.ack.0", data, JS_SIZE);
    raw_wait_ack(&r, &m);
    for (i = -100; i < count; i++) {
        snprintf(reply, sizeof(reply), "_RAW.ack.%ld", i + 101);
        t0 = now_s();
        if (what == 2)
            raw_pub(r.fd, get_subj, reply, get_body, strlen(get_body));
        else
            raw_pub(r.fd, g_js_subject, reply, data, JS_SIZE);
        raw_wait_ack(&r, &m);
        t1 = now_s();
        if (what == 2 ? m.total - m.hdr != JS_SIZE
                      : !memmem(m.data + m.hdr, (size_t) (m.total - m.hdr), "\"seq\"", 5))
            fail("raw: unexpected answer %.*s", (int) m.total, m.data);
        if (i == -1) {
            c0 = cpu_s();
            start = now_s();
        }
        if (i >= 0)
            lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, t1 - start, cpu_s() - c0);
    latency_report(lat, count);
    raw_stream_delete(&r);
    free(lat);
    free(data);
}

/*
 * Publishes COUNT messages of JS_SIZE on SUBJ (a distinct key per message when
 * SUBJ ends in '.'), each with its own reply subject _RAW.ack.<n> on a wildcard
 * subscription (as the libraries do), at most WINDOW unacknowledged; returns
 * when every ack arrived. Writes are batched up to 64 KiB.
 */
static void raw_pub_window(struct rawrd *r, const char *subj, long count, long window)
{
    char *data = payload(JS_SIZE);
    char *out = malloc(1 << 16);
    size_t ol = 0;
    long sent = 0, acked = 0;
    int keyed = subj[strlen(subj) - 1] == '.';
    struct rawmsg m;

    if (!out)
        fail("out of memory");
    while (acked < count) {
        while (sent < count && sent - acked < window && ol < (1 << 16) - 512) {
            int hl = keyed ? snprintf(out + ol, 400, "PUB %sk%ld _RAW.ack.%ld %d\r\n", subj, sent, sent, JS_SIZE)
                           : snprintf(out + ol, 400, "PUB %s _RAW.ack.%ld %d\r\n", subj, sent, JS_SIZE);
            ol += (size_t) hl;
            memcpy(out + ol, data, JS_SIZE);
            memcpy(out + ol + JS_SIZE, "\r\n", 2);
            ol += JS_SIZE + 2;
            sent++;
        }
        if (ol > 0 && (sent - acked >= window || sent == count || ol >= (1 << 16) - 512)) {
            send_all(r->fd, out, ol);
            ol = 0;
        }
        if (ol > 0 && !rawrd_has_line(r))
            continue;   /* more to write, nothing read yet */
        raw_wait_ack(r, &m);
        acked++;
        while (rawrd_has_line(r) && acked < count) {
            raw_wait_ack(r, &m);
            acked++;
        }
    }
    free(out);
    free(data);
}

/* rawjspubasync: the server's ceiling for js_PublishAsync with a window of
 * 4096 (the bench's MaxPending). */
static void mode_rawjspubasync(const char *storage, long count)
{
    struct rawrd r;
    double start, el, c0;

    raw_js_connect(&r);
    raw_stream_create(&r, storage, 0);
    c0 = cpu_s();
    start = now_s();
    raw_pub_window(&r, g_js_subject, count, 4096);
    el = now_s() - start;
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, el, cpu_s() - c0);
    raw_stream_delete(&r);
}

/*
 * rawjspush: the ceiling for jspush (COUNT stored messages pushed to a
 * consumer with explicit acks, each acked with +ACK as it is read; the same
 * consumer settings as the jspush mode) and, with kv set, for kvwatch (an
 * ordered-style consumer: last value per key, no acks, flow control and
 * heartbeats answered).
 */
static void mode_rawjspush(const char *storage, long count, int kvw)
{
    struct rawrd r;
    struct rawmsg m;
    char subj[200], json[1024], prefix[160];
    char *out = malloc(1 << 16);
    size_t ol = 0;
    long got = 0;
    double start, el, c0;

    if (!out)
        fail("out of memory");
    raw_js_connect(&r);
    raw_stream_create(&r, storage, kvw);
    if (kvw) {
        snprintf(prefix, sizeof(prefix), "$KV.%s.", g_js_stream + 3);
        raw_pub_window(&r, prefix, count, 4096);
    } else {
        raw_pub_window(&r, g_js_subject, count, 4096);
    }
    send_all(r.fd, "SUB _RAW.push 3\r\n", 17);
    snprintf(subj, sizeof(subj), "$JS.API.CONSUMER.CREATE.%s", g_js_stream);
    if (kvw)
        snprintf(json, sizeof(json),
                 "{\"stream_name\":\"%s\",\"config\":{\"deliver_subject\":\"_RAW.push\","
                 "\"deliver_policy\":\"last_per_subject\",\"ack_policy\":\"none\","
                 "\"max_deliver\":1,\"filter_subject\":\"$KV.%s.>\",\"replay_policy\":\"instant\","
                 "\"flow_control\":true,\"idle_heartbeat\":5000000000,\"mem_storage\":true,"
                 "\"num_replicas\":1,\"inactive_threshold\":300000000000}}",
                 g_js_stream, g_js_stream + 3);
    else
        snprintf(json, sizeof(json),
                 "{\"stream_name\":\"%s\",\"config\":{\"deliver_subject\":\"_RAW.push\","
                 "\"deliver_policy\":\"all\",\"ack_policy\":\"explicit\","
                 "\"max_ack_pending\":20000,\"filter_subject\":\"%s\","
                 "\"replay_policy\":\"instant\"}}",
                 g_js_stream, g_js_subject);
    c0 = cpu_s();
    start = now_s();
    /* Messages may come before the API's answer: both are read in one loop. */
    raw_pub(r.fd, subj, "_RAW.api", json, strlen(json));
    while (got < count) {
        raw_next_msg(&r, &m);
        if (strcmp(m.subject, "_RAW.api") == 0
            && memmem(m.data + m.hdr, (size_t) (m.total - m.hdr), "\"error\"", 7))
            fail("raw: %s: %.*s", subj, (int) (m.total - m.hdr), m.data + m.hdr);
        if (m.sid != 3)
            continue;   /* pushed messages keep their own subjects */
        if (m.hdr > 0 && m.hdr >= 12 && memcmp(m.data, "NATS/1.0 100", 12) == 0) {
            /* Flow control (with a reply) or a heartbeat (without). */
            if (m.reply[0]) {
                int hl = snprintf(out + ol, 400, "PUB %s 0\r\n\r\n", m.reply);
                ol += (size_t) hl;
            }
        } else if (m.reply[0]) {
            /* A stored message (others carry no reply: the server's own notices). */
            got++;
            if (!kvw) {
                int hl = snprintf(out + ol, 400, "PUB %s 4\r\n+ACK\r\n", m.reply);
                ol += (size_t) hl;
            }
        }
        if (ol > 0 && (ol >= (1 << 16) - 512 || !rawrd_has_line(&r) || got == count)) {
            send_all(r.fd, out, ol);
            ol = 0;
        }
    }
    el = now_s() - start;
    kv("size=%d", JS_SIZE);
    report_rate(JS_SIZE, count, el, cpu_s() - c0);
    raw_stream_delete(&r);
    free(out);
}

/* --------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench [-s URL] [-n NAME] pub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] flushrtt COUNT\n"
            "       bench [-s URL] [-n NAME] pubsub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] rawping COUNT\n"
            "       bench [-s URL] [-n NAME] rawwrite SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] rawsub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] pub4 SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] syncsub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] asyncsub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] reqrep COUNT\n"
            "       bench [-n NAME] sink SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] jspub|jspubasync|jspull|jspush mem|file COUNT\n"
            "       bench [-s URL] [-n NAME] kvget|kvput|kvwatch COUNT\n"
            "       bench [-s URL] [-n NAME] rawjspub|rawjspubasync|rawjspush mem|file COUNT\n"
            "       bench [-s URL] [-n NAME] rawkvget|rawkvput|rawkvwatch COUNT\n"
            "URL defaults to $NATS_URL. --ca FILE (-c FILE) connects over TLS with FILE\n"
            "as the trusted CA (pub, flushrtt, pubsub, pub4 and reqrep only).\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "ca", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    setvbuf(stdout, NULL, _IOLBF, 0);
    g_url = getenv("NATS_URL");
    while ((opt = getopt_long(argc, argv, "+s:n:c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 's': g_url = optarg; break;
        case 'n': g_name = optarg; break;
        case 'c': g_ca = optarg; break;
        default: usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 1)
        usage();
    g_mode = argv[0];
    if (strcmp(g_mode, "sink") != 0 && (!g_url || !*g_url))
        fail("no server URL: pass -s URL or set NATS_URL");
    if (g_ca) {
        /* These modes open plain TCP sockets of their own (or no server). */
        if (strcmp(g_mode, "rawping") == 0 || strcmp(g_mode, "syncsub") == 0
            || strcmp(g_mode, "asyncsub") == 0 || strcmp(g_mode, "sink") == 0
            || strcmp(g_mode, "rawwrite") == 0 || strcmp(g_mode, "rawsub") == 0
            || strncmp(g_mode, "rawjs", 5) == 0 || strncmp(g_mode, "rawkv", 5) == 0)
            fail("--ca is not supported by mode %s", g_mode);
        kv("tls=1");
    }

    if (strcmp(g_mode, "pub") == 0 && argc == 3) {
        mode_pub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "flushrtt") == 0 && argc == 2) {
        mode_flushrtt(parse_long(argv[1], "count", 1));
    } else if (strcmp(g_mode, "pubsub") == 0 && argc == 3) {
        mode_pubsub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "rawping") == 0 && argc == 2) {
        mode_rawping(parse_long(argv[1], "count", 1));
    } else if (strcmp(g_mode, "pub4") == 0 && argc == 3) {
        mode_pub4(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", PUB_THREADS));
    } else if (strcmp(g_mode, "syncsub") == 0 && argc == 3) {
        mode_sub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1), 0);
    } else if (strcmp(g_mode, "asyncsub") == 0 && argc == 3) {
        mode_sub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1), 1);
    } else if (strcmp(g_mode, "reqrep") == 0 && argc == 2) {
        mode_reqrep(parse_long(argv[1], "count", 1));
    } else if (strcmp(g_mode, "rawsub") == 0 && argc == 3) {
        mode_rawsub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 2));
    } else if (strcmp(g_mode, "rawwrite") == 0 && argc == 3) {
        mode_rawwrite(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "sink") == 0 && argc == 3) {
        mode_sink(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "jspub") == 0 && argc == 3) {
        mode_jspub(argv[1], parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "jspubasync") == 0 && argc == 3) {
        mode_jspubasync(argv[1], parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "jspull") == 0 && argc == 3) {
        mode_jspull(argv[1], parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "jspush") == 0 && argc == 3) {
        mode_jspush(argv[1], parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "kvget") == 0 && argc == 2) {
        mode_kvop(parse_long(argv[1], "count", 1), 1);
    } else if (strcmp(g_mode, "kvput") == 0 && argc == 2) {
        mode_kvop(parse_long(argv[1], "count", 1), 0);
    } else if (strcmp(g_mode, "kvwatch") == 0 && argc == 2) {
        mode_kvwatch(parse_long(argv[1], "count", 1));
    } else if (strcmp(g_mode, "rawjspub") == 0 && argc == 3) {
        mode_rawjsreq(argv[1], parse_long(argv[2], "count", 1), 0);
    } else if (strcmp(g_mode, "rawkvput") == 0 && argc == 2) {
        mode_rawjsreq("mem", parse_long(argv[1], "count", 1), 1);
    } else if (strcmp(g_mode, "rawkvget") == 0 && argc == 2) {
        mode_rawjsreq("mem", parse_long(argv[1], "count", 1), 2);
    } else if (strcmp(g_mode, "rawjspubasync") == 0 && argc == 3) {
        mode_rawjspubasync(argv[1], parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "rawjspush") == 0 && argc == 3) {
        mode_rawjspush(argv[1], parse_long(argv[2], "count", 1), 0);
    } else if (strcmp(g_mode, "rawkvwatch") == 0 && argc == 2) {
        mode_rawjspush("mem", parse_long(argv[1], "count", 1), 1);
    } else {
        usage();
    }

    emit("ok");
    /* Release library-wide resources (threads, timers) before exiting. */
    nats_Close();
    return 0;
}
