/*
 * A connection driven by a libuv loop through <nats/adapters/libuv.h>: connect, publish and
 * flush, sync and async subscriptions, request/reply both ways, a server restart
 * (re-attach with the new socket, resubscription), keepalive PINGs queued by the timer
 * and written by the loop, close with exactly one detach after which the loop ends.
 * Message handlers and connection callbacks never run on the loop's thread. A server
 * frozen with SIGSTOP (no FIN, no answers) until the reconnect attempts are exhausted: the
 * connection closes, detaches once, and the loop ends (reported as a crash of nats.c's
 * adapters; nats.c 3.4.1 survived it in our runs, so it is checked on both here).
 */
#include "evloop_libuv.h"

int main(void)
{
    test_init("test_evloop_libuv");
    evl_scenario_basic();
    evl_scenario_keepalive();
    if (evl_case_frozen_server(NULL) != 0)
        FAIL("frozen server");
    return test_done();
}
