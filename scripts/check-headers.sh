#!/usr/bin/env bash
# Header checks:
#  1. include/nats/*.h equal what build.rs generates (tests/headers.rs);
#  2. they compile as C11 and C++11 with -Wall -Wextra -Werror -pedantic, through
#     <nats/nats.h>, the deprecated <nats.h> shim and with NATS_CONN_STATUS_NO_PREFIX;
#  3. every prototype, callback typedef, status enumerator and shared macro matches
#     the reference nats.c 3.4.1 headers (scripts/check-signatures.py);
#  4. README.md's API table lists what nats.h declares (scripts/api-table.py);
#  5. the JetStream / Key/Value structs and all enums have nats.c's layout and values
#     (scripts/check-layout.py);
#  6. the hand-written adapters in include/nats/adapters/ compile as C and C++.
# Usage: scripts/check-headers.sh [--no-cargo]   (--no-cargo skips check 1)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--no-cargo" ]; then
    echo "-- committed headers are up to date"
    cargo test --release --test headers -q
fi

echo "-- headers compile as C11 and C++11 with -Wall -Wextra -Werror"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/use.c" <<'C'
#include <nats/nats.h>
#include <nats/nats.h> /* include guards */
static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{ (void)nc; (void)sub; (void)msg; (void)closure; }
static void on_conn(natsConnection *nc, void *closure) { (void)nc; (void)closure; }
static void on_err(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{ (void)nc; (void)sub; (void)err; (void)closure; }
int main(void)
{
    natsMsgHandler mh = on_msg;
    natsConnectionHandler ch = on_conn;
    natsErrHandler eh = on_err;
    natsInbox *inbox = NULL;
    natsStatus s = NATS_OK;
    natsConnStatus cs = NATS_CONN_STATUS_CONNECTED;
    (void)mh; (void)ch; (void)eh; (void)inbox;
    return (int)s + (int)cs - 2 + (NATS_VERSION_NUMBER == 0x030401 ? 0 : 1)
        + (sizeof(NATS_DEFAULT_URL) > 1 ? 0 : 1);
}
C
cp "$tmp/use.c" "$tmp/use.cpp"
printf '#define NATS_CONN_STATUS_NO_PREFIX\n#include <nats/nats.h>\nint main(void) { return CONNECTED == NATS_CONN_STATUS_CONNECTED && DRAINING_PUBS == 6 ? 0 : 1; }\n' > "$tmp/noprefix.c"
printf '#include <nats.h>\nint main(void) { return NATS_OK; }\n' > "$tmp/shim.c"
flags=(-Wall -Wextra -Werror -pedantic -Iinclude)
cc -std=c11 "${flags[@]}" -o "$tmp/c11" "$tmp/use.c" && "$tmp/c11"
cc -std=c99 "${flags[@]}" -fsyntax-only "$tmp/use.c"
c++ -std=c++11 "${flags[@]}" -o "$tmp/cxx" "$tmp/use.cpp" && "$tmp/cxx"
cc -std=c11 "${flags[@]}" -o "$tmp/np" "$tmp/noprefix.c" && "$tmp/np"
# The shim must warn (it is deprecated) and otherwise compile cleanly.
cc -std=c11 -Wall -Wextra -Iinclude -fsyntax-only "$tmp/shim.c" 2> "$tmp/shim.err"
grep -q "deprecated" "$tmp/shim.err" || { echo "include/nats.h does not warn about deprecation" >&2; exit 1; }
cc -std=c11 -Wall -Wextra -Werror -Wno-cpp -Iinclude -fsyntax-only "$tmp/shim.c"
echo "ok"

echo "-- the event loop adapters compile as C11 and C++11 (where libuv / libevent are installed)"
for a in libuv libevent; do
    pc=$a; [ "$a" = libevent ] && pc="libevent libevent_pthreads"
    # shellcheck disable=SC2086
    if ! pkg-config --exists $pc 2>/dev/null; then
        echo "skipped $a (not installed)"
        continue
    fi
    # As nats.c's examples include them: "adapters/<name>.h" with -I.../include/nats.
    printf '#include "adapters/%s.h"\nint main(void) { return 0; }\n' "$a" > "$tmp/$a.c"
    cp "$tmp/$a.c" "$tmp/$a.cpp"
    cc -std=c11 "${flags[@]}" -Iinclude/nats -fsyntax-only "$tmp/$a.c"
    c++ -std=c++11 "${flags[@]}" -Iinclude/nats -fsyntax-only "$tmp/$a.cpp"
done
echo "ok"

echo "-- prototypes, enums and macros match nats.c 3.4.1 (/usr/include/nats)"
python3 scripts/check-signatures.py

echo "-- README.md lists exactly the declared functions"
python3 scripts/api-table.py --check

echo "-- struct layouts and enum values match nats.c 3.4.1"
python3 scripts/check-layout.py
