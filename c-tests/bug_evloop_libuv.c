/*
 * nats.c 3.4.1 defects pinned here, with its libuv adapter (each case runs in a child
 * process, so that a crash is an ordinary failure):
 *
 * (b) the connection destroyed while the loop thread is inside
 *     natsConnection_ProcessReadEvent (a flood of messages), from another thread or from
 *     a message handler: nats.c does not keep the connection alive for the event in
 *     progress, and a read event the loop delivers after Destroy uses freed memory;
 * (c) nats.c closes the socket before it calls detach (and, on a reconnect, before the
 *     new socket is attached), so the loop still polls a closed descriptor whose number
 *     the next socket may take. The socket must stay open until detach has returned.
 *
 * Expected to FAIL against nats.c.
 */
#include "evloop_libuv.h"

int main(void)
{
    test_init("bug_evloop_libuv");
    evl_run_case("(b) destroy while a read event is processed", evl_case_destroy_while_reading);
    evl_run_case("(c) the socket outlives polling on it", evl_case_socket_outlives_polling);
    return test_done();
}
