/*
 * What bench.c and bench_libuv.c share: the key=value pairs of the RESULT
 * line, the clocks, and the latency percentiles. Included once by each
 * program (static functions).
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

#endif
