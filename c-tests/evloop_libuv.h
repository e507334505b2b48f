/* The libuv adapter for evloop_common.h: <nats/adapters/libuv.h> of the library under
 * test (ours, or nats.c's in the reference run). */
#ifndef RNATS_C_TESTS_EVLOOP_LIBUV_H
#define RNATS_C_TESTS_EVLOOP_LIBUV_H

#include <nats/adapters/libuv.h>

#define EVL_ATTACH natsLibuv_Attach
#define EVL_READ   natsLibuv_Read
#define EVL_WRITE  natsLibuv_Write
#define EVL_DETACH natsLibuv_Detach

static void *evl_loop_new(void)
{
    natsLibuv_Init();
    uv_loop_t *loop = malloc(sizeof(uv_loop_t));
    if (loop != NULL && uv_loop_init(loop) != 0) {
        free(loop);
        loop = NULL;
    }
    return loop;
}

static void evl_loop_prepare(void *loop)
{
    natsLibuv_SetThreadLocalLoop((uv_loop_t *)loop);
}

static void evl_loop_run(void *loop)
{
    uv_run((uv_loop_t *)loop, UV_RUN_DEFAULT);
}

static void evl_loop_free(void *loop)
{
    /* Handles closed by a detach the loop processed last are released here. */
    uv_run((uv_loop_t *)loop, UV_RUN_NOWAIT);
    int rc = uv_loop_close((uv_loop_t *)loop);
    if (rc != 0)
        fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(rc));
    free(loop);
}

static void evl_loop_nudge(void *loop)
{
    (void)loop; /* libuv's loop ends once its handles are closed: nothing to do */
}

#include "evloop_common.h"

#endif
