/*
 * rnats: the NATS client for C, written in Rust.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runs a NATS connection's socket on a libuv loop (natsOptions_SetEventLoop). Header-only:
 * include it in one source file of the program.
 *
 *     natsLibuv_Init();
 *     natsLibuv_SetThreadLocalLoop(loop);            // on the thread that runs uv_run(loop)
 *     natsOptions_SetEventLoop(opts, (void*) loop, natsLibuv_Attach, natsLibuv_Read,
 *                              natsLibuv_Write, natsLibuv_Detach);
 *     natsConnection_Connect(&nc, opts);             // on that same thread
 *
 * libuv is not thread-safe: every libuv call is made on the loop's thread. A request from
 * another thread (a publish asking to write, a reconnect, a close) records what the
 * connection wants and wakes the loop with a uv_async_t; the loop thread then applies it.
 * Requests never wait for the loop, so the library may make them while it holds its locks.
 *
 * The adapter polls its own duplicate of the connection's socket, closed only once libuv
 * has let go of it: whenever the library closes its own descriptor, the number the loop
 * watches stays valid and is never taken by another socket while still registered.
 */
#ifndef RNATS_ADAPTERS_LIBUV_H
#define RNATS_ADAPTERS_LIBUV_H

/* uv.h needs the POSIX thread types a strict -std=c11 hides: effective when this header
 * comes before any system header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#define NATS_LIBUV_INCLUDE

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>
#include "../nats.h"

#ifdef __cplusplus
extern "C" {
#endif

/** \cond internal */

/* One poll handle on one duplicated socket; freed (and the duplicate closed) by libuv's
 * close callback, so it may outlive the connection's state by a loop turn. */
typedef struct natsLibuvWatch_
{
    uv_poll_t       poll;
    natsSock        fd;

} natsLibuvWatch_;

/* The adapter's state for one connection (the library's userData). */
typedef struct natsLibuvConn_
{
    natsConnection  *nc;
    uv_loop_t       *loop;
    uv_async_t      wakeup;

    /* What the connection asked for, under lock; applied on the loop thread. */
    uv_mutex_t      lock;
    natsSock        newFd;      /* a duplicate to poll from now on, -1: none */
    bool            wantRead;
    bool            wantWrite;
    bool            detach;

    /* Loop thread only. */
    natsLibuvWatch_ *watch;
    int             events;
    bool            detached;

} natsLibuvConn_;

static uv_once_t natsLibuvOnce_ = UV_ONCE_INIT;
static uv_key_t  natsLibuvLoopKey_;
static bool      natsLibuvKeyOk_ = false;

static void
natsLibuvInitOnce_(void)
{
    natsLibuvKeyOk_ = (uv_key_create(&natsLibuvLoopKey_) == 0);
}

static bool
natsLibuvOnLoop_(uv_loop_t *loop)
{
    uv_once(&natsLibuvOnce_, natsLibuvInitOnce_);
    return natsLibuvKeyOk_ && (uv_key_get(&natsLibuvLoopKey_) == (void*) loop);
}

static void
natsLibuvWatchClosed_(uv_handle_t *h)
{
    natsLibuvWatch_ *w = (natsLibuvWatch_*) h->data;

    close(w->fd);
    free(w);
}

static void
natsLibuvDropWatch_(natsLibuvConn_ *c)
{
    if (c->watch == NULL)
        return;
    /* The close callback must not reach the connection's state: it may be gone by then. */
    c->watch->poll.data = c->watch;
    uv_close((uv_handle_t*) &c->watch->poll, natsLibuvWatchClosed_);
    c->watch  = NULL;
    c->events = 0;
}

static void
natsLibuvConnClosed_(uv_handle_t *h)
{
    natsLibuvConn_ *c = (natsLibuvConn_*) h->data;

    uv_mutex_lock(&c->lock);
    if (c->newFd >= 0)
        close(c->newFd);
    uv_mutex_unlock(&c->lock);
    uv_mutex_destroy(&c->lock);
    free(c);
}

static void
natsLibuvOnPoll_(uv_poll_t *handle, int status, int events)
{
    natsLibuvConn_ *c = (natsLibuvConn_*) handle->data;

    if ((c == NULL) || c->detached)
        return;
    /* An error on the socket shows up as a failed read, which starts a reconnect. */
    if ((status < 0) || (events & (UV_READABLE | UV_DISCONNECT)))
        natsConnection_ProcessReadEvent(c->nc);
    /* The read may have detached the connection (it closed): the watch is on its way out. */
    if (!c->detached && (c->watch != NULL) && (&c->watch->poll == handle) && (events & UV_WRITABLE))
        natsConnection_ProcessWriteEvent(c->nc);
}

/* Loop thread: makes libuv do what the connection last asked for. */
static natsStatus
natsLibuvApply_(natsLibuvConn_ *c)
{
    natsSock    newFd;
    bool        wantRead, wantWrite, detach;
    int         events;

    if (c->detached)
        return NATS_OK;

    uv_mutex_lock(&c->lock);
    newFd     = c->newFd;
    c->newFd  = -1;
    wantRead  = c->wantRead;
    wantWrite = c->wantWrite;
    detach    = c->detach;
    uv_mutex_unlock(&c->lock);

    if (newFd >= 0)
    {
        natsLibuvDropWatch_(c);
        c->watch = (natsLibuvWatch_*) calloc(1, sizeof(natsLibuvWatch_));
        if (c->watch == NULL)
        {
            close(newFd);
            return NATS_NO_MEMORY;
        }
        c->watch->fd = newFd;
        if (uv_poll_init(c->loop, &c->watch->poll, newFd) != 0)
        {
            free(c->watch);
            c->watch = NULL;
            close(newFd);
            return NATS_ERR;
        }
        c->watch->poll.data = c;
    }

    if (detach)
    {
        c->detached = true;
        natsLibuvDropWatch_(c);
        uv_close((uv_handle_t*) &c->wakeup, natsLibuvConnClosed_);
        return NATS_OK;
    }

    if (c->watch == NULL)
        return NATS_OK;

    events = (wantRead ? UV_READABLE : 0) | (wantWrite ? UV_WRITABLE : 0);
    if (events == c->events)
        return NATS_OK;
    c->events = events;
    if (events != 0)
        return (uv_poll_start(&c->watch->poll, events, natsLibuvOnPoll_) == 0 ? NATS_OK : NATS_ERR);
    return (uv_poll_stop(&c->watch->poll) == 0 ? NATS_OK : NATS_ERR);
}

static void
natsLibuvOnWakeup_(uv_async_t *h)
{
    natsLibuvConn_ *c = (natsLibuvConn_*) h->data;

    if (natsLibuvApply_(c) != NATS_OK)
        natsConnection_Close(c->nc);
}

/* Called with c->lock held, after recording a request: on another thread, wakes the loop
 * while still holding the lock (the loop frees the state only after it read a detach
 * request under the lock, so the wakeup handle is alive here). Returns whether the caller
 * must apply the request itself, after unlocking (it is on the loop thread). */
static bool
natsLibuvSend_(natsLibuvConn_ *c, natsStatus *s)
{
    if (natsLibuvOnLoop_(c->loop))
        return true;
    *s = (uv_async_send(&c->wakeup) == 0 ? NATS_OK : NATS_ERR);
    return false;
}

static natsStatus
natsLibuvUnlockAndApply_(natsLibuvConn_ *c)
{
    natsStatus  s     = NATS_OK;
    bool        apply = natsLibuvSend_(c, &s);

    uv_mutex_unlock(&c->lock);
    if (apply)
        s = natsLibuvApply_(c);
    return s;
}

/** \endcond */

/** \defgroup libuvFunctions Libuv Adapter
 *
 *  Adapter to run a `NATS` connection on a `libuv` event loop.
 *  @{
 */

/** \brief Initializes the adapter (call it once, before anything else here). */
void
natsLibuv_Init(void)
{
    uv_once(&natsLibuvOnce_, natsLibuvInitOnce_);
}

/** \brief Tells the adapter that the calling thread runs `uv_run()` for `loop`.
 *
 * libuv is not thread-safe: the adapter calls libuv directly only on this thread and
 * hands requests made on other threads to it.
 *
 * @param loop the event loop run by the calling thread.
 */
void
natsLibuv_SetThreadLocalLoop(uv_loop_t *loop)
{
    natsLibuv_Init();
    if (natsLibuvKeyOk_)
        uv_key_set(&natsLibuvLoopKey_, (void*) loop);
}

/** \brief Attaches a connection to the loop (the #natsEvLoop_Attach callback).
 *
 * Called by the library after it connected (`*userData` is NULL: this must happen on the
 * loop's thread, else NATS_ILLEGAL_STATE) and after every reconnect. Starts polling
 * `socket` for reading.
 *
 * @param userData where the adapter keeps its state for the connection.
 * @param loop the `uv_loop_t*` given to natsOptions_SetEventLoop().
 * @param nc the connection.
 * @param socket the connection's socket.
 */
natsStatus
natsLibuv_Attach(void **userData, void *loop, natsConnection *nc, natsSock socket)
{
    natsLibuvConn_  *c  = (natsLibuvConn_*) (*userData);
    natsSock        fd;

    if ((userData == NULL) || (loop == NULL) || (nc == NULL) || (socket < 0))
        return NATS_INVALID_ARG;

    if (c == NULL)
    {
        if (!natsLibuvOnLoop_((uv_loop_t*) loop))
            return NATS_ILLEGAL_STATE;

        c = (natsLibuvConn_*) calloc(1, sizeof(natsLibuvConn_));
        if (c == NULL)
            return NATS_NO_MEMORY;
        c->nc    = nc;
        c->loop  = (uv_loop_t*) loop;
        c->newFd = -1;
        if (uv_mutex_init(&c->lock) != 0)
        {
            free(c);
            return NATS_ERR;
        }
        if (uv_async_init(c->loop, &c->wakeup, natsLibuvOnWakeup_) != 0)
        {
            uv_mutex_destroy(&c->lock);
            free(c);
            return NATS_ERR;
        }
        c->wakeup.data = c;
        *userData = (void*) c;
    }

    fd = dup(socket);
    if (fd < 0)
        return NATS_SYS_ERROR;

    uv_mutex_lock(&c->lock);
    if (c->newFd >= 0)
        close(c->newFd);   /* attached again before the loop took the previous one */
    c->newFd     = fd;
    c->wantRead  = true;
    c->wantWrite = false;
    return natsLibuvUnlockAndApply_(c);
}

/** \brief Starts or stops polling for reading (the #natsEvLoop_ReadAddRemove callback).
 *
 * @param userData the adapter's state from natsLibuv_Attach().
 * @param add `true` to start polling, `false` to stop.
 */
natsStatus
natsLibuv_Read(void *userData, bool add)
{
    natsLibuvConn_ *c = (natsLibuvConn_*) userData;

    if (c == NULL)
        return NATS_INVALID_ARG;
    uv_mutex_lock(&c->lock);
    c->wantRead = add;
    return natsLibuvUnlockAndApply_(c);
}

/** \brief Starts or stops polling for writing (the #natsEvLoop_WriteAddRemove callback).
 *
 * @param userData the adapter's state from natsLibuv_Attach().
 * @param add `true` to start polling, `false` to stop.
 */
natsStatus
natsLibuv_Write(void *userData, bool add)
{
    natsLibuvConn_ *c = (natsLibuvConn_*) userData;

    if (c == NULL)
        return NATS_INVALID_ARG;
    uv_mutex_lock(&c->lock);
    c->wantWrite = add;
    return natsLibuvUnlockAndApply_(c);
}

/** \brief The connection is closed: stops polling and releases the adapter's state
 * (the #natsEvLoop_Detach callback). The state is freed on the loop's thread, once libuv
 * has closed its handles; keep the loop running until then (`uv_run` returns once the
 * loop has nothing left to do).
 *
 * @param userData the adapter's state from natsLibuv_Attach().
 */
natsStatus
natsLibuv_Detach(void *userData)
{
    natsLibuvConn_ *c = (natsLibuvConn_*) userData;

    if (c == NULL)
        return NATS_INVALID_ARG;
    uv_mutex_lock(&c->lock);
    c->detach = true;
    return natsLibuvUnlockAndApply_(c);
}

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RNATS_ADAPTERS_LIBUV_H */
