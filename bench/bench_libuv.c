/*
 * Benchmark of a connection driven by a libuv loop through <nats/adapters/libuv.h>.
 *
 * Compiled like bench.c, twice: against nats.c (with its adapter) and against rnats
 * (with ours); bench/run.sh builds both when libuv is installed.
 *
 * Usage:
 *   bench_libuv [-s URL] [-n NAME] uvpub SIZE COUNT
 *   bench_libuv [-s URL] [-n NAME] uvflushrtt COUNT
 *
 * The loop runs on its own thread, which connects (the adapter's first attach must be on
 * the loop's thread); the main thread publishes and flushes, as an application whose
 * other threads feed a loop-driven connection would.
 *
 *   uvpub       COUNT publishes of SIZE bytes, then a flush; the clock covers both.
 *   uvflushrtt  COUNT sequential flushes (PING written by the loop, PONG read by it),
 *               each timed.
 *
 * Prints one "RESULT key=value..." line, as bench.c does.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <nats/adapters/libuv.h>

#include "bench_util.h"

#define FLUSH_TIMEOUT_MS 60000

static const char *g_url;
static const char *g_name = "unknown";
static const char *g_mode = "none";

static void emit(const char *status)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    printf("RESULT mode=%s impl=%s status=%s%s maxrss_kb=%ld\n", g_mode, g_name, status, g_kv, ru.ru_maxrss);
    fflush(stdout);
}

static void check(natsStatus s, const char *what)
{
    if (s != NATS_OK) {
        fprintf(stderr, "bench_libuv: %s: %s (%s)\n", what, natsStatus_GetText(s), nats_GetLastError(NULL));
        kv("err=%s_failed", what);
        emit("error");
        exit(1);
    }
}

/* ---------------------------------------------------------- the loop thread */

typedef struct {
    uv_loop_t loop;
    natsConnection *nc;
    natsStatus status;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready;
} loop_ctx;

static void *loop_main(void *arg)
{
    loop_ctx *c = arg;
    natsOptions *opts = NULL;
    natsStatus s;

    natsLibuv_SetThreadLocalLoop(&c->loop);
    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(opts, g_url);
    if (s == NATS_OK)
        s = natsOptions_SetEventLoop(opts, (void *) &c->loop, natsLibuv_Attach, natsLibuv_Read,
                                     natsLibuv_Write, natsLibuv_Detach);
    if (s == NATS_OK)
        s = natsConnection_Connect(&c->nc, opts);
    natsOptions_Destroy(opts);

    pthread_mutex_lock(&c->mu);
    c->status = s;
    c->ready = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);

    if (s == NATS_OK)
        uv_run(&c->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void uvpub(natsConnection *nc, long size, long count)
{
    char *buf = calloc(1, size > 0 ? (size_t) size : 1);
    long warm = count / 10 < 10000 ? count / 10 : 10000;
    double t0, t1, c0, c1;
    long i;

    for (i = 0; i < warm; i++)
        check(natsConnection_Publish(nc, "bench.uvpub", buf, (int) size), "publish");
    check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "flush");

    c0 = cpu_s();
    t0 = now_s();
    for (i = 0; i < count; i++)
        check(natsConnection_Publish(nc, "bench.uvpub", buf, (int) size), "publish");
    check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "flush");
    t1 = now_s();
    c1 = cpu_s();

    kv("size=%ld", size);
    kv("count=%ld", count);
    kv("elapsed_s=%.4f", t1 - t0);
    kv("msgs_per_s=%.0f", (double) count / (t1 - t0));
    kv("mb_per_s=%.2f", (double) count * (double) size / (t1 - t0) / 1e6);
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) count);
    free(buf);
}

static void uvflushrtt(natsConnection *nc, long count)
{
    double *lat = malloc(sizeof(double) * (size_t) (count > 0 ? count : 1));
    double start, t0, t1, c0, c1;
    long i;

    for (i = 0; i < (count / 10 < 200 ? count / 10 : 200); i++)
        check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "flush");
    c0 = cpu_s();
    start = now_s();
    for (i = 0; i < count; i++) {
        t0 = now_s();
        check(natsConnection_FlushTimeout(nc, FLUSH_TIMEOUT_MS), "flush");
        t1 = now_s();
        lat[i] = (t1 - t0) * 1e6;
    }
    t1 = now_s();
    c1 = cpu_s();
    kv("count=%ld", count);
    kv("elapsed_s=%.4f", t1 - start);
    kv("ops_per_s=%.0f", (double) count / (t1 - start));
    if (count > 0)
        latency_report(lat, count);
    kv("cpu_ns_per_msg=%.1f", (c1 - c0) * 1e9 / (double) count);
    free(lat);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_libuv [-s URL] [-n NAME] uvpub SIZE COUNT | uvflushrtt COUNT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    loop_ctx c;
    pthread_t th;
    int i = 1;

    g_url = getenv("NATS_URL");
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-s") == 0)
            g_url = argv[i + 1];
        else if (strcmp(argv[i], "-n") == 0)
            g_name = argv[i + 1];
        else
            usage();
    }
    if (i >= argc || g_url == NULL)
        usage();
    g_mode = argv[i];
    if (!((strcmp(g_mode, "uvpub") == 0 && argc - i == 3) || (strcmp(g_mode, "uvflushrtt") == 0 && argc - i == 2)))
        usage();

    memset(&c, 0, sizeof(c));
    natsLibuv_Init();
    if (uv_loop_init(&c.loop) != 0)
        usage();
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    if (pthread_create(&th, NULL, loop_main, &c) != 0)
        return 1;
    pthread_mutex_lock(&c.mu);
    while (!c.ready)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    check(c.status, "connect");

    if (strcmp(g_mode, "uvpub") == 0)
        uvpub(c.nc, atol(argv[i + 1]), atol(argv[i + 2]));
    else
        uvflushrtt(c.nc, atol(argv[i + 1]));
    emit("ok");

    /* Destroy detaches the connection; the loop then runs out of handles. */
    natsConnection_Destroy(c.nc);
    pthread_join(th, NULL);
    uv_loop_close(&c.loop);
    return 0;
}
