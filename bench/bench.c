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
 *
 * URL defaults to $NATS_URL. NAME is echoed as impl=NAME in the output.
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
 *
 * cpu_ns_per_msg is user+sys CPU time of the whole process (all threads)
 * during the measured phase divided by the number of messages (for
 * flushrtt and rawping: by the number of round trips). maxrss_kb is the
 * process peak resident set size (ru_maxrss).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#define FLUSH_TIMEOUT_MS 120000
#define SUB_IDLE_TIMEOUT_MS 3000

static const char *g_url;
static const char *g_name = "unknown";
static const char *g_mode = "none";

/* Extra key=value pairs accumulated for the RESULT line. */
static char g_kv[4096];

static void kv(const char *fmt, ...)
{
    size_t len = strlen(g_kv);
    va_list ap;

    if (len + 2 >= sizeof(g_kv))
        return;
    g_kv[len++] = ' ';
    g_kv[len] = '\0';
    va_start(ap, fmt);
    vsnprintf(g_kv + len, sizeof(g_kv) - len, fmt, ap);
    va_end(ap);
}

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

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec * 1e-6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec * 1e-6;
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile over a sorted array. */
static double percentile(const double *v, long n, double p)
{
    long rank = (long) (p / 100.0 * (double) n + 0.999999);

    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

static void latency_report(double *lat_us, long n)
{
    double sum = 0;
    long i;

    for (i = 0; i < n; i++)
        sum += lat_us[i];
    qsort(lat_us, (size_t) n, sizeof(double), cmp_double);
    kv("p50_us=%.2f", percentile(lat_us, n, 50));
    kv("p99_us=%.2f", percentile(lat_us, n, 99));
    kv("mean_us=%.2f", sum / (double) n);
    kv("min_us=%.2f", lat_us[0]);
    kv("max_us=%.2f", lat_us[n - 1]);
}

/* ---------------------------------------------------------------- pub */

static void mode_pub(long size, long count)
{
    natsConnection *nc = connect_to();
    const char *subj = "bench.pub";
    char *buf = payload(size);
    long warm = count / 10 < 10000 ? count / 10 : 10000;
    double t0, t1, c0, c1, el;
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

    el = t1 - t0;
    kv("size=%ld", size);
    kv("count=%ld", count);
    kv("elapsed_s=%.4f", el);
    kv("msgs_per_s=%.0f", (double) count / el);
    kv("mb_per_s=%.2f", (double) count * (double) size / el / 1e6);
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) count);

    natsConnection_Destroy(nc);
    free(buf);
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
    kv("size=%ld", size);
    kv("count=%ld", count);
    kv("received=%ld", st.received);
    kv("lost=%ld", count - st.received);
    kv("dropped=%lld", (long long) dropped);
    kv("elapsed_s=%.4f", el);
    kv("msgs_per_s=%.0f", (double) st.received / el);
    kv("mb_per_s=%.2f", (double) st.received * (double) size / el / 1e6);
    kv("pub_msgs_per_s=%.0f", (double) count / (tpub - t0));
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) st.received);

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

static void mode_rawping(long count)
{
    static const char connect_cmd[] =
        "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"bench\","
        "\"version\":\"0\",\"protocol\":1}\r\nPING\r\n";
    static struct linebuf lb;
    double *lat = malloc(sizeof(double) * (size_t) count);
    long warm = count / 10 < 200 ? count / 10 : 200;
    char line[65536];
    double t0, t1, c0, c1, start;
    long i;

    if (!lat)
        fail("out of memory");
    lb.fd = tcp_connect(g_url);
    read_line(&lb, line, sizeof(line));
    if (strncmp(line, "INFO", 4) != 0)
        fail("expected INFO from server");
    send_all(lb.fd, connect_cmd, sizeof(connect_cmd) - 1);
    wait_pong(&lb);

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

/* --------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench [-s URL] [-n NAME] pub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] flushrtt COUNT\n"
            "       bench [-s URL] [-n NAME] pubsub SIZE COUNT\n"
            "       bench [-s URL] [-n NAME] rawping COUNT\n"
            "URL defaults to $NATS_URL.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int opt;

    setvbuf(stdout, NULL, _IOLBF, 0);
    g_url = getenv("NATS_URL");
    while ((opt = getopt(argc, argv, "+s:n:h")) != -1) {
        switch (opt) {
        case 's': g_url = optarg; break;
        case 'n': g_name = optarg; break;
        default: usage();
        }
    }
    argc -= optind;
    argv += optind;
    if (argc < 1)
        usage();
    g_mode = argv[0];
    if (!g_url || !*g_url)
        fail("no server URL: pass -s URL or set NATS_URL");

    if (strcmp(g_mode, "pub") == 0 && argc == 3) {
        mode_pub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "flushrtt") == 0 && argc == 2) {
        mode_flushrtt(parse_long(argv[1], "count", 1));
    } else if (strcmp(g_mode, "pubsub") == 0 && argc == 3) {
        mode_pubsub(parse_long(argv[1], "size", 0), parse_long(argv[2], "count", 1));
    } else if (strcmp(g_mode, "rawping") == 0 && argc == 2) {
        mode_rawping(parse_long(argv[1], "count", 1));
    } else {
        usage();
    }

    emit("ok");
    /* Release library-wide resources (threads, timers) before exiting. */
    nats_Close();
    return 0;
}
