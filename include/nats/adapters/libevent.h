/*
 * rnats: the NATS client for C, written in Rust.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Runs a NATS connection's socket on a libevent loop (natsOptions_SetEventLoop).
 * Header-only: include it in one source file of the program.
 *
 *     natsLibevent_Init();                           // before creating the event_base
 *     struct event_base *base = event_base_new();
 *     natsOptions_SetEventLoop(opts, (void*) base, natsLibevent_Attach, natsLibevent_Read,
 *                              natsLibevent_Write, natsLibevent_Detach);
 *     natsConnection_Connect(&nc, opts);
 *     event_base_dispatch(base);                     // returns once the connection is closed
 *
 * libevent is made thread-safe by natsLibevent_Init(), so requests from any thread go
 * straight to it. Polling is switched with event_del_noblock(), which never waits for a
 * running callback. The adapter polls its own duplicate of the connection's socket and
 * closes it only after libevent has let go of it.
 */
#ifndef RNATS_ADAPTERS_LIBEVENT_H
#define RNATS_ADAPTERS_LIBEVENT_H

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <event.h>
#include <event2/thread.h>
#include "../nats.h"

#ifdef __cplusplus
extern "C" {
#endif

/** \cond internal */

/* The adapter's state for one connection (the library's userData). */
typedef struct natsLibeventConn_
{
    natsConnection      *nc;
    struct event_base   *base;
    struct event        *read;
    struct event        *write;
    natsSock            fd;         /* the duplicate the events watch, -1: none */
    /* Keeps event_base_dispatch() running while the connection reconnects (its socket
     * events are then off); removed by detach. */
    struct event        *keepRunning;

} natsLibeventConn_;

static void
natsLibeventOnReady_(evutil_socket_t fd, short what, void *arg)
{
    natsLibeventConn_ *c = (natsLibeventConn_*) arg;

    (void) fd;
    if (what & EV_READ)
        natsConnection_ProcessReadEvent(c->nc);
    else if (what & EV_WRITE)
        natsConnection_ProcessWriteEvent(c->nc);
}

static void
natsLibeventKeepRunning_(evutil_socket_t fd, short what, void *arg)
{
    (void) fd;
    (void) what;
    (void) arg;
}

/* Frees the socket events and closes the duplicate. event_free() waits for a callback of
 * the event that runs on another thread: the library calls attach and detach without
 * holding anything such a callback waits for. */
static void
natsLibeventDropEvents_(natsLibeventConn_ *c)
{
    if (c->read != NULL)
        event_free(c->read);
    if (c->write != NULL)
        event_free(c->write);
    c->read  = NULL;
    c->write = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/** \endcond */

/** \defgroup libeventFunctions Libevent Adapter
 *
 *  Adapter to run a `NATS` connection on a `libevent` event loop.
 *  @{
 */

/** \brief Initializes the adapter: makes libevent thread-safe. Call it once, before
 * creating the `event_base`. */
void
natsLibevent_Init(void)
{
    evthread_use_pthreads();
}

/** \brief Attaches a connection to the loop (the #natsEvLoop_Attach callback).
 *
 * Called by the library after it connected (`*userData` is NULL) and after every
 * reconnect. Starts polling `socket` for reading.
 *
 * @param userData where the adapter keeps its state for the connection.
 * @param loop the `struct event_base*` given to natsOptions_SetEventLoop().
 * @param nc the connection.
 * @param socket the connection's socket.
 */
natsStatus
natsLibevent_Attach(void **userData, void *loop, natsConnection *nc, natsSock socket)
{
    natsLibeventConn_   *c = NULL;
    struct timeval      longTime;

    if ((userData == NULL) || (loop == NULL) || (nc == NULL) || (socket < 0))
        return NATS_INVALID_ARG;

    c = (natsLibeventConn_*) (*userData);
    if (c == NULL)
    {
        c = (natsLibeventConn_*) calloc(1, sizeof(natsLibeventConn_));
        if (c == NULL)
            return NATS_NO_MEMORY;
        c->nc   = nc;
        c->base = (struct event_base*) loop;
        c->fd   = -1;
        c->keepRunning = event_new(c->base, -1, EV_PERSIST, natsLibeventKeepRunning_, NULL);
        longTime.tv_sec  = 24 * 3600;
        longTime.tv_usec = 0;
        if ((c->keepRunning == NULL) || (event_add(c->keepRunning, &longTime) != 0))
        {
            if (c->keepRunning != NULL)
                event_free(c->keepRunning);
            free(c);
            return NATS_ERR;
        }
        *userData = (void*) c;
    }

    natsLibeventDropEvents_(c);
    c->fd = dup(socket);
    if (c->fd < 0)
        return NATS_SYS_ERROR;
    c->read  = event_new(c->base, c->fd, EV_READ | EV_PERSIST, natsLibeventOnReady_, (void*) c);
    c->write = event_new(c->base, c->fd, EV_WRITE | EV_PERSIST, natsLibeventOnReady_, (void*) c);
    if ((c->read == NULL) || (c->write == NULL) || (event_add(c->read, NULL) != 0))
    {
        natsLibeventDropEvents_(c);
        return NATS_ERR;
    }
    return NATS_OK;
}

/** \brief Starts or stops polling for reading (the #natsEvLoop_ReadAddRemove callback).
 *
 * @param userData the adapter's state from natsLibevent_Attach().
 * @param add `true` to start polling, `false` to stop.
 */
natsStatus
natsLibevent_Read(void *userData, bool add)
{
    natsLibeventConn_ *c = (natsLibeventConn_*) userData;

    if ((c == NULL) || (c->read == NULL))
        return NATS_INVALID_ARG;
    return ((add ? event_add(c->read, NULL) : event_del_noblock(c->read)) == 0 ? NATS_OK : NATS_ERR);
}

/** \brief Starts or stops polling for writing (the #natsEvLoop_WriteAddRemove callback).
 *
 * @param userData the adapter's state from natsLibevent_Attach().
 * @param add `true` to start polling, `false` to stop.
 */
natsStatus
natsLibevent_Write(void *userData, bool add)
{
    natsLibeventConn_ *c = (natsLibeventConn_*) userData;

    if ((c == NULL) || (c->write == NULL))
        return NATS_INVALID_ARG;
    return ((add ? event_add(c->write, NULL) : event_del_noblock(c->write)) == 0 ? NATS_OK : NATS_ERR);
}

/** \brief The connection is closed: stops polling and frees the adapter's state (the
 * #natsEvLoop_Detach callback). Once the connection's events are gone,
 * event_base_dispatch() returns if nothing else is pending.
 *
 * @param userData the adapter's state from natsLibevent_Attach().
 */
natsStatus
natsLibevent_Detach(void *userData)
{
    natsLibeventConn_ *c = (natsLibeventConn_*) userData;
    struct timeval now = { 0, 0 };

    if (c == NULL)
        return NATS_INVALID_ARG;
    natsLibeventDropEvents_(c);
    if (c->keepRunning != NULL)
        event_free(c->keepRunning);
    /* Removing a timer does not wake a loop that sleeps in another thread. A one-shot
     * event due now does; the loop runs it (it does nothing) and then finds whether it has
     * anything left to do. libevent frees it. */
    event_base_once(c->base, -1, EV_TIMEOUT, natsLibeventKeepRunning_, NULL, &now);
    free(c);
    return NATS_OK;
}

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* RNATS_ADAPTERS_LIBEVENT_H */
