/*
 * Library-level functions: version, compatibility check, clocks, sleep,
 * status texts and the thread-local last error.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check_version(void)
{
    const char *v = nats_GetVersion();
    CHECK(v != NULL);
    CHECK_STR(v, NATS_VERSION_STRING);
    CHECK_STR(v, "3.4.1");
    CHECK_EQ(nats_GetVersionNumber(), NATS_VERSION_NUMBER);
    CHECK_EQ(nats_GetVersionNumber(), 0x030401);
    CHECK(nats_CheckCompatibility());
}

static void check_clocks(void)
{
    int64_t ms = nats_Now();
    int64_t ns = nats_NowInNanoSeconds();
    int64_t wall = (int64_t)time(NULL) * 1000;

    /* Both are wall-clock based (epoch). */
    CHECK_MSG(ms > wall - 5000 && ms < wall + 5000,
              "nats_Now()=%lld far from time()=%lld", (long long)ms,
              (long long)wall);
    CHECK_MSG(ns / 1000000 > wall - 5000 && ns / 1000000 < wall + 5000,
              "nats_NowInNanoSeconds()=%lld far from time()", (long long)ns);

    /* Sub-millisecond resolution shows up over a few samples. */
    bool sub_ms = false;
    for (int i = 0; i < 100 && !sub_ms; i++)
        sub_ms = (nats_NowInNanoSeconds() % 1000000) != 0;
    CHECK(sub_ms);

    /* nats_Sleep sleeps at least the given time (bounded above generously). */
    int64_t t0 = test_now_ms();
    int64_t n0 = nats_Now();
    nats_Sleep(50);
    int64_t el = test_now_ms() - t0;
    CHECK_MSG(el >= 49, "nats_Sleep(50) returned after %lld ms", (long long)el);
    CHECK_MSG(el < 5000, "nats_Sleep(50) took %lld ms", (long long)el);
    CHECK(nats_Now() - n0 >= 49);

    /* Zero returns promptly. */
    t0 = test_now_ms();
    nats_Sleep(0);
    CHECK(test_now_ms() - t0 < 1000);
}

static void check_status_texts(void)
{
    static const struct {
        natsStatus s;
    } texts[] = {
        { NATS_OK },
        { NATS_ERR },
        { NATS_PROTOCOL_ERROR },
        { NATS_IO_ERROR },
        { NATS_LINE_TOO_LONG },
        { NATS_CONNECTION_CLOSED },
        { NATS_NO_SERVER },
        { NATS_STALE_CONNECTION },
        { NATS_SECURE_CONNECTION_WANTED },
        { NATS_SECURE_CONNECTION_REQUIRED },
        { NATS_CONNECTION_DISCONNECTED },
        { NATS_CONNECTION_AUTH_FAILED },
        { NATS_NOT_PERMITTED },
        { NATS_NOT_FOUND },
        { NATS_ADDRESS_MISSING },
        { NATS_INVALID_SUBJECT },
        { NATS_INVALID_ARG },
        { NATS_INVALID_SUBSCRIPTION },
        { NATS_INVALID_TIMEOUT },
        { NATS_ILLEGAL_STATE },
        { NATS_SLOW_CONSUMER },
        { NATS_MAX_PAYLOAD },
        { NATS_MAX_DELIVERED_MSGS },
        { NATS_INSUFFICIENT_BUFFER },
        { NATS_NO_MEMORY },
        { NATS_SYS_ERROR },
        { NATS_TIMEOUT },
        { NATS_FAILED_TO_INITIALIZE },
        { NATS_NOT_INITIALIZED },
        { NATS_SSL_ERROR },
        { NATS_NO_SERVER_SUPPORT },
        { NATS_NOT_YET_CONNECTED },
        { NATS_DRAINING },
        { NATS_INVALID_QUEUE_NAME },
        { NATS_NO_RESPONDERS },
        { NATS_MISMATCH },
        { NATS_MISSED_HEARTBEAT },
    };
    size_t n = sizeof(texts) / sizeof(texts[0]);

    /* The numbering is part of the ABI. */
    CHECK_EQ(NATS_OK, 0);
    CHECK_EQ(NATS_CONNECTION_CLOSED, 5);
    CHECK_EQ(NATS_INVALID_ARG, 16);
    CHECK_EQ(NATS_TIMEOUT, 26);
    CHECK_EQ(NATS_MISSED_HEARTBEAT, 36);
    CHECK_EQ(n, 37);

    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(texts[i].s, (int)i);
        const char *t = natsStatus_GetText(texts[i].s);
        CHECK(t != NULL);
        CHECK(t[0] != '\0');
        /* Every status has its own text (the wording is the library's own). */
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(t, natsStatus_GetText(texts[j].s)) != 0);
        /* Static strings: the same pointer every time. */
        CHECK(natsStatus_GetText(texts[i].s) == t);
    }
}

/* Runs on a thread that never called the library. */
static void *fresh_thread(void *arg)
{
    natsStatus s = NATS_ERR;
    const char *t = nats_GetLastError(&s);
    char buf[256];
    memset(buf, 'x', sizeof(buf));
    natsStatus ss = nats_GetLastErrorStack(buf, sizeof(buf));
    int *ok = arg;
    *ok = (s == NATS_OK) && (t == NULL || t[0] == '\0') && (ss == NATS_OK)
          && (buf[0] == '\0');
    return NULL;
}

static void *error_thread(void *arg)
{
    /* Sets an error in this thread only. */
    (void)natsOptions_SetTimeout(NULL, 10);
    natsStatus s = NATS_OK;
    nats_GetLastError(&s);
    int *ok = arg;
    *ok = (s == NATS_INVALID_ARG);
    return NULL;
}

static void check_last_error(void)
{
    pthread_t th;
    int ok = 0;

    /* A thread without library errors sees none, and an empty stack. */
    CHECK(pthread_create(&th, NULL, fresh_thread, &ok) == 0);
    pthread_join(th, NULL);
    CHECK(ok);

    char buf[2048];

    /* Produce an error here. */
    CHECK_STATUS(natsOptions_SetTimeout(NULL, 10), NATS_INVALID_ARG);
    natsStatus s = NATS_OK;
    const char *txt = nats_GetLastError(&s);
    CHECK_EQ(s, NATS_INVALID_ARG);
    CHECK(txt != NULL && txt[0] != '\0');
    /* NULL status pointer is allowed. */
    CHECK(nats_GetLastError(NULL) != NULL);

    /* Another thread's error does not leak into this one ... */
    natsOptions *o = NULL;
    CHECK_OK(natsOptions_Create(&o));
    CHECK_STATUS(natsOptions_SetMaxPendingMsgs(o, 0), NATS_INVALID_ARG);
    ok = 0;
    CHECK(pthread_create(&th, NULL, error_thread, &ok) == 0);
    pthread_join(th, NULL);
    CHECK(ok);
    s = NATS_OK;
    nats_GetLastError(&s);
    CHECK_EQ(s, NATS_INVALID_ARG);

    /* ... and the error stack is reported. */
    CHECK_STATUS(nats_GetLastErrorStack(NULL, 100), NATS_INVALID_ARG);
    CHECK_STATUS(nats_GetLastErrorStack(buf, 2), NATS_INSUFFICIENT_BUFFER);
    memset(buf, 'x', sizeof(buf));
    CHECK_OK(nats_GetLastErrorStack(buf, sizeof(buf)));
    CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
    CHECK(strlen(buf) > 0);

    /* nats_PrintLastErrorStack writes the status text. */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    nats_PrintLastErrorStack(f);
    fflush(f);
    long len = ftell(f);
    CHECK(len > 0);
    rewind(f);
    char *content = calloc(1, (size_t)len + 1);
    CHECK(content != NULL);
    CHECK(fread(content, 1, (size_t)len, f) == (size_t)len);
    CHECK_MSG(strstr(content, natsStatus_GetText(NATS_INVALID_ARG)) != NULL,
              "printed stack lacks the status text: %s", content);
    free(content);
    fclose(f);

    natsOptions_Destroy(o);
}

int main(void)
{
    test_init("test_library");

    CHECK_OK(nats_Open(-1));
    check_version();
    check_clocks();
    check_status_texts();
    check_last_error();

    /* Opening again is harmless. */
    CHECK_OK(nats_Open(-1));

    return test_done();
}
