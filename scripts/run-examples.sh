#!/usr/bin/env bash
# Runs the C examples against a throwaway nats-server: replier + requestor, and
# async_subscriber + publisher, (JetStream) js_publish and js_consume, and, when built,
# libevent_subscriber + libuv_publisher. Registered as a ctest test by the root CMakeLists.txt.
#
#   bash scripts/run-examples.sh DIR     (DIR holds the built example programs)
set -euo pipefail
dir=$1
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/nats-server.sh"
work=$(mktemp -d /tmp/rnats-examples.XXXXXX)
trap 'stop_nats_server; rm -rf "$work"' EXIT
start_nats_server "$work/nats-server.log" -js -sd "$work/js"

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

# JetStream (the server runs with -js, storing under the work directory): publish.
"$dir/js_publish" "$NATS_URL" demo.js 100 > "$work/js_publish.out" 2>&1 || { cat "$work/js_publish.out"; exit 1; }
cat "$work/js_publish.out"
grep -q "async: 100 acknowledged, 0 failed" "$work/js_publish.out"
# JetStream: store and consume with a pull subscription (a second run gets only new ones).
"$dir/js_consume" "$NATS_URL" DEMO demo.orders 6 > "$work/js.out"
cat "$work/js.out"
grep -q "consumed 6 messages" "$work/js.out"
"$dir/js_consume" "$NATS_URL" DEMO demo.orders 2 > "$work/js2.out"
grep -q '^\[1\] order 1 (stream sequence 7' "$work/js2.out"
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
