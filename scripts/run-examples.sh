#!/usr/bin/env bash
# Runs the C examples against a throwaway nats-server: replier + requestor, and
# async_subscriber + publisher (and, when built, libevent_subscriber + libuv_publisher).
# Registered as a ctest test by the root CMakeLists.txt.
#
#   bash scripts/run-examples.sh DIR     (DIR holds the built example programs)
set -euo pipefail
dir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/nats-server.sh"
work=$(mktemp -d /tmp/rnats-examples.XXXXXX)
trap 'stop_nats_server; rm -rf "$work"' EXIT
start_nats_server "$work/nats-server.log"

wait_for() { # FILE TEXT: wait until the program printed TEXT
    for _ in $(seq 1 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "run-examples: '$2' never appeared in $1" >&2
    cat "$1" >&2
    return 1
}

"$dir/replier" "$NATS_URL" demo.service 3 > "$work/replier.out" 2>&1 &
rp=$!
wait_for "$work/replier.out" answering
"$dir/requestor" "$NATS_URL" demo.service 3
wait "$rp"
cat "$work/replier.out"
grep -q "answered 3 requests" "$work/replier.out"

"$dir/async_subscriber" "$NATS_URL" demo.greetings 5 > "$work/async.out" 2>&1 &
ap=$!
wait_for "$work/async.out" listening
"$dir/publisher" "$NATS_URL" demo.greetings 5
wait "$ap"
cat "$work/async.out"
grep -q '^\[5\]' "$work/async.out"

# The event loop examples, when they were built (libuv / libevent installed).
if [ -x "$dir/libevent_subscriber" ] && [ -x "$dir/libuv_publisher" ]; then
    "$dir/libevent_subscriber" "$NATS_URL" demo.loops 5 > "$work/loops.out" 2>&1 &
    lp=$!
    wait_for "$work/loops.out" listening
    "$dir/libuv_publisher" "$NATS_URL" demo.loops 5
    wait "$lp"
    cat "$work/loops.out"
    grep -q '^\[5\]' "$work/loops.out"
    grep -q 'received 5 messages' "$work/loops.out"
fi
echo "run-examples: all examples worked"
