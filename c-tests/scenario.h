/*
 * Shared by the scenario_*.c tests: they use the API the way nats.c's example
 * programs do (the programs in examples/ and examples/getstarted/), each side of an
 * example running in the same process against a real nats-server.
 *
 * scenario_print_stats() prints statistics as the examples' printStats()
 * does: connection counts, and for a subscription its delivered, pending
 * and dropped counts. Like the examples, it accepts exactly one failure
 * from natsSubscription_GetStats: NATS_INVALID_SUBSCRIPTION, which is what
 * a subscription closed by its AutoUnsubscribe limit answers. Any other
 * status is returned (and fails the scenario).
 */
#ifndef RNATS_C_TESTS_SCENARIO_H
#define RNATS_C_TESTS_SCENARIO_H

#include "harness.h"

#include <inttypes.h>

#define SCENARIO_STATS_IN    0x1
#define SCENARIO_STATS_OUT   0x2
#define SCENARIO_STATS_COUNT 0x4

static inline natsStatus scenario_print_stats(int mode, natsConnection *conn,
                                              natsSubscription *sub,
                                              natsStatistics *stats)
{
    uint64_t in_msgs = 0, in_bytes = 0, out_msgs = 0, out_bytes = 0, reconnected = 0;
    int pending = 0;
    int64_t delivered = 0, dropped = 0;

    natsStatus s = natsConnection_GetStats(conn, stats);
    if (s == NATS_OK)
        s = natsStatistics_GetCounts(stats, &in_msgs, &in_bytes, &out_msgs,
                                     &out_bytes, &reconnected);
    if (s == NATS_OK && sub != NULL) {
        s = natsSubscription_GetStats(sub, &pending, NULL, NULL, NULL,
                                      &delivered, &dropped);
        /* AutoUnsubscribe closed the subscription once its limit was
         * reached: the examples ignore exactly this status. */
        if (s == NATS_INVALID_SUBSCRIPTION) {
            s = NATS_OK;
            pending = 0;
        }
    }
    if (s == NATS_OK) {
        char line[256];
        int n = 0;
        if (mode & SCENARIO_STATS_IN)
            n += snprintf(line + n, sizeof(line) - (size_t)n,
                          "In Msgs: %" PRIu64 " - In Bytes: %" PRIu64 " - ",
                          in_msgs, in_bytes);
        if (mode & SCENARIO_STATS_OUT)
            n += snprintf(line + n, sizeof(line) - (size_t)n,
                          "Out Msgs: %" PRIu64 " - Out Bytes: %" PRIu64 " - ",
                          out_msgs, out_bytes);
        if (mode & SCENARIO_STATS_COUNT)
            n += snprintf(line + n, sizeof(line) - (size_t)n,
                          "Delivered: %" PRId64 " - Pending: %d - Dropped: %" PRId64 " - ",
                          delivered, pending, dropped);
        snprintf(line + n, sizeof(line) - (size_t)n, "Reconnected: %" PRIu64,
                 reconnected);
        test_log("%s", line);
    }
    return s;
}

#endif /* RNATS_C_TESTS_SCENARIO_H */
