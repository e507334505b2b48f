/*
 * A connection driven by a libevent loop through <nats/adapters/libevent.h>: connect, publish and
 * flush, sync and async subscriptions, request/reply both ways, a server restart
 * (re-attach with the new socket, resubscription), keepalive PINGs queued by the timer
 * and written by the loop, close with exactly one detach after which the loop ends.
 * Message handlers and connection callbacks never run on the loop's thread.
 */
#include "evloop_libevent.h"

int main(void)
{
    test_init("test_evloop_libevent");
    evl_scenario_basic();
    evl_scenario_keepalive();
    return test_done();
}
