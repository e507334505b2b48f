/*
 * A connection driven by a libuv loop through <nats/adapters/libuv.h>: connect, publish and
 * flush, sync and async subscriptions, request/reply both ways, a server restart
 * (re-attach with the new socket, resubscription), keepalive PINGs queued by the timer
 * and written by the loop, close with exactly one detach after which the loop ends.
 * Message handlers and connection callbacks never run on the loop's thread.
 */
#include "evloop_libuv.h"

int main(void)
{
    test_init("test_evloop_libuv");
    evl_scenario_basic();
    evl_scenario_keepalive();
    return test_done();
}
