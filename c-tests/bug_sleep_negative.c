/*
 * nats.c 3.4.1 defect pinned here: nats_Sleep with a negative duration
 * sleeps (practically) forever.
 *
 * The milliseconds are converted to an unsigned microsecond count, so
 * nats_Sleep(-5) waits about 71 minutes. A duration that is already over
 * must return at once, like nats_Sleep(0).
 *
 * Expected to FAIL (stopped here after 5 s) against nats.c.
 */
#include "harness.h"

static atomic_bool g_done;

static void *sleeper(void *arg)
{
    (void)arg;
    nats_Sleep(-5);
    nats_Sleep(-1000);
    atomic_store(&g_done, true);
    return NULL;
}

int main(void)
{
    test_init("bug_sleep_negative");
    pthread_t th;
    CHECK(pthread_create(&th, NULL, sleeper, NULL) == 0);
    CHECK_MSG(WAIT_FOR(atomic_load(&g_done), 5000), "nats_Sleep(negative) still sleeping after 5 s");
    pthread_join(th, NULL);
    return test_done();
}
