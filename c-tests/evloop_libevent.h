/* The libevent adapter for evloop_common.h: <nats/adapters/libevent.h> of the library
 * under test (ours, or nats.c's in the reference run). */
#ifndef RNATS_C_TESTS_EVLOOP_LIBEVENT_H
#define RNATS_C_TESTS_EVLOOP_LIBEVENT_H

#include <nats/adapters/libevent.h>

#define EVL_ATTACH natsLibevent_Attach
#define EVL_READ   natsLibevent_Read
#define EVL_WRITE  natsLibevent_Write
#define EVL_DETACH natsLibevent_Detach

static void *evl_loop_new(void)
{
    static bool inited = false;
    if (!inited) {
        natsLibevent_Init();
        inited = true;
    }
    return event_base_new();
}

static void evl_loop_prepare(void *loop)
{
    (void)loop;
}

static void evl_loop_run(void *loop)
{
    event_base_dispatch((struct event_base *)loop);
}

static void evl_loop_free(void *loop)
{
    event_base_free((struct event_base *)loop);
}

static void evl_loop_nudge(void *loop)
{
    event_base_loopbreak((struct event_base *)loop);
}

#include "evloop_common.h"

#endif
