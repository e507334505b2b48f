#!/usr/bin/env bash
# Compare rnats (target/release/libnats.so) with the reference nats.c library.
#
#   bench/run.sh               rnats vs nats.c (default: 3 rounds, ~4 minutes)
#   QUICK=1 bench/run.sh       smaller counts (~1 minute)
#   ROUNDS=5 bench/run.sh      more rounds; medians are taken over rounds
#   bench/run.sh --self-test   build the "rnats" side against nats.c as well,
#                              to validate the harness (ratios should be ~1.0)
#
# Environment:
#   ROUNDS             rounds per case (default 3)
#   QUICK=1            short run
#   NATS_SERVER        nats-server binary (default: nats-server on PATH)
#   CC                 C compiler (default: cc)
#   RNATS_LIB_DIR      directory holding the rnats libnats.so
#                      (default: <repo>/target/release)
#   RNATS_INCLUDE_DIR  directory holding nats/nats.h for rnats
#                      (default: <repo>/include)
#   CARGO_BUILD=1      always run `cargo build --release` first (by default it
#                      only runs when the library is missing)
#   RUN_TIMEOUT        seconds before a single benchmark run is killed (120)
#   TLS=0              skip the TLS cases (they need the openssl CLI)
#   JS=0               skip the JetStream and Key/Value cases
#   ONLY=REGEX         run only the cases whose name matches REGEX (e.g. ONLY='^(js|kv)')
#
# The cases whose name starts with js or kv run against a third nats-server
# started with -js and a store in the run's temporary directory.
#
# The cases whose name ends in _tls run against a second nats-server that
# requires TLS, with a throwaway CA and server certificate made by the openssl
# CLI in the run's temporary directory (removed at exit).
#
# Output: a table on stdout; raw RESULT lines plus the table are written to
# bench/results/latest.txt. Exit status is non-zero if any run failed.
set -euo pipefail

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

SELF_TEST=0
for arg in "$@"; do
    case "$arg" in
        --self-test) SELF_TEST=1 ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument '$arg'" >&2; usage 2 ;;
    esac
done

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$BENCH_DIR/build
RESULTS_DIR=$BENCH_DIR/results
OUT=$RESULTS_DIR/latest.txt
ROUNDS=${ROUNDS:-3}
QUICK=${QUICK:-0}
NATS_SERVER=${NATS_SERVER:-nats-server}
CC=${CC:-cc}
TLS=${TLS:-1}
JS=${JS:-1}
ONLY=${ONLY:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
CFLAGS=(-O2 -g -Wall -Wextra -pthread)

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
command -v "$NATS_SERVER" >/dev/null || die "nats-server not found (set NATS_SERVER)"
command -v pkg-config >/dev/null || die "pkg-config not found"
pkg-config --exists libnats || die "pkg-config cannot find libnats (install libnats-dev)"
if [[ "$TLS" == 1 ]]; then
    command -v openssl >/dev/null || die "openssl CLI not found (needed for the TLS cases; TLS=0 skips them)"
fi

mkdir -p "$BUILD_DIR" "$RESULTS_DIR"

# ------------------------------------------------------------------ counts
if [[ "$QUICK" == 1 ]]; then
    N_PUB_SMALL=2500000 N_PUB_1K=750000 N_PUB_16K=75000
    N_FLUSH=10000 N_PING=10000 N_PUBSUB=750000
    N_PUB4=1500000 N_SUB=600000 N_REQ=1500 N_SINK=2500000 N_SINK_16K=75000
    N_PUB_TLS=1500000 N_FLUSH_TLS=5000
    N_JSPUB=3000 N_JSASYNC=100000 N_JSCONS=100000 N_KVOP=3000 N_KVWATCH=100000
else
    N_PUB_SMALL=10000000 N_PUB_1K=3000000 N_PUB_16K=300000
    N_FLUSH=30000 N_PING=30000 N_PUBSUB=4000000
    N_PUB4=4000000 N_SUB=2000000 N_REQ=4000 N_SINK=6000000 N_SINK_16K=250000
    N_PUB_TLS=5000000 N_FLUSH_TLS=20000
    N_JSPUB=10000 N_JSASYNC=300000 N_JSCONS=200000 N_KVOP=10000 N_KVWATCH=100000
fi

# name|bench arguments
CASES=(
    "pub0|pub 0 $N_PUB_SMALL"
    "pub16|pub 16 $N_PUB_SMALL"
    "pub128|pub 128 $N_PUB_SMALL"
    "pub1024|pub 1024 $N_PUB_1K"
    "pub16384|pub 16384 $N_PUB_16K"
    "flushrtt|flushrtt $N_FLUSH"
    "rawping|rawping $N_PING"
    "rawwrite16|rawwrite 16 $N_PUB_SMALL"
    "rawwrite128|rawwrite 128 $N_PUB_SMALL"
    "pubsub128|pubsub 128 $N_PUBSUB"
    "pub4_128|pub4 128 $N_PUB4"
    "syncsub128|syncsub 128 $N_SUB"
    "asyncsub128|asyncsub 128 $N_SUB"
    "rawsub128|rawsub 128 $N_SUB"
    "reqrep|reqrep $N_REQ"
    "sink128|sink 128 $N_SINK"
    "sink16384|sink 16384 $N_SINK_16K"
)
# Over TLS (second server): run_one adds -s TLS_URL --ca CA for *_tls names.
if [[ "$TLS" == 1 ]]; then
    CASES+=(
        "pub128_tls|pub 128 $N_PUB_TLS"
        "flushrtt_tls|flushrtt $N_FLUSH_TLS"
    )
fi

# JetStream and Key/Value (third server, -js).
if [[ "$JS" == 1 ]]; then
    CASES+=(
        "jspub_mem|jspub mem $N_JSPUB"
        "jspubasync_mem|jspubasync mem $N_JSASYNC"
        "jspubasync_file|jspubasync file $N_JSASYNC"
        "jspull_mem|jspull mem $N_JSCONS"
        "jspush_mem|jspush mem $N_JSCONS"
        "kvget|kvget $N_KVOP"
        "kvput|kvput $N_KVOP"
        "kvwatch|kvwatch $N_KVWATCH"
        "rawjspub_mem|rawjspub mem $N_JSPUB"
        "rawjspubasync_mem|rawjspubasync mem $N_JSASYNC"
        "rawjspubasync_file|rawjspubasync file $N_JSASYNC"
        "rawjspush_mem|rawjspush mem $N_JSCONS"
        "rawkvget|rawkvget $N_KVOP"
        "rawkvput|rawkvput $N_KVOP"
        "rawkvwatch|rawkvwatch $N_KVWATCH"
    )
fi
if [[ -n "$ONLY" ]]; then
    kept=()
    for c in "${CASES[@]}"; do
        [[ "${c%%|*}" =~ $ONLY ]] && kept+=("$c")
    done
    CASES=("${kept[@]}")
fi

# ------------------------------------------------------------------ helpers
realpath_or_empty() { readlink -f -- "$1" 2>/dev/null || true; }

soname_of() {
    local so
    so=$(readelf -d "$1" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p' | head -n1)
    echo "${so:-libnats.so.3.4}"
}

# Prints the resolved path of the libnats the binary loads, per ldd.
ldd_libnats() {
    local p
    p=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$1" | awk '/libnats/ { print $3; exit }')
    [[ -n "$p" && "$p" != "not" ]] || return 1
    realpath_or_empty "$p"
}

# Prints the nats.h actually used when compiling bench.c with the given flags.
header_used() {
    "$CC" -M "$@" "$BENCH_DIR/bench.c" 2>/dev/null | tr ' \\' '\n\n' | grep -m1 '/nats/nats\.h$' || true
}

# ------------------------------------------------------------------ reference (nats.c)
NATSC_LIBDIR=$(pkg-config --variable=libdir libnats)
NATSC_INCDIR=$(pkg-config --variable=includedir libnats)
NATSC_SO=$(realpath_or_empty "$NATSC_LIBDIR/libnats.so")
[[ -f "$NATSC_SO" ]] || die "reference library not found in $NATSC_LIBDIR"

# ------------------------------------------------------------------ rnats side
if [[ "$SELF_TEST" == 1 ]]; then
    RNATS_LIB_DIR=${RNATS_LIB_DIR:-$NATSC_LIBDIR}
    RNATS_INCLUDE_DIR=${RNATS_INCLUDE_DIR:-$NATSC_INCDIR}
    RNATS_LABEL="rnats(self-test:nats.c)"
else
    if [[ -z "${RNATS_LIB_DIR:-}" ]]; then
        RNATS_LIB_DIR=$ROOT/target/release
        if [[ "${CARGO_BUILD:-0}" == 1 || ! -f "$RNATS_LIB_DIR/libnats.so" ]]; then
            log "cargo build --release (in $ROOT)"
            (cd "$ROOT" && cargo build --release) >&2 || die "cargo build --release failed"
        fi
    fi
    RNATS_INCLUDE_DIR=${RNATS_INCLUDE_DIR:-$ROOT/include}
    RNATS_LABEL="rnats"
fi
RNATS_SO=$(realpath_or_empty "$RNATS_LIB_DIR/libnats.so")
[[ -f "$RNATS_SO" ]] || die "no libnats.so in $RNATS_LIB_DIR"
[[ -f "$RNATS_INCLUDE_DIR/nats/nats.h" ]] || die "no nats/nats.h in $RNATS_INCLUDE_DIR"

if [[ "$SELF_TEST" != 1 ]]; then
    if [[ "$RNATS_SO" == "$NATSC_SO" ]] || cmp -s "$RNATS_SO" "$NATSC_SO"; then
        die "the rnats library ($RNATS_SO) is the reference nats.c; use --self-test to compare nats.c with itself"
    fi
fi

# The library's SONAME (libnats.so.3.4, same as nats.c) is what the binary asks
# for at run time. A private directory holding a snapshot of the library under
# both names, used for -L and as the RPATH, makes sure the loader picks our copy
# before the system one, and that a rebuild during the run changes nothing.
RNATS_SHIM=$BUILD_DIR/rnats-lib
rm -rf "$RNATS_SHIM"
mkdir -p "$RNATS_SHIM"
RNATS_SONAME=$(soname_of "$RNATS_SO")
cp "$RNATS_SO" "$RNATS_SHIM/$RNATS_SONAME"
[[ "$RNATS_SONAME" == libnats.so ]] || ln -s "$RNATS_SONAME" "$RNATS_SHIM/libnats.so"
RNATS_COPY=$(realpath_or_empty "$RNATS_SHIM/$RNATS_SONAME")
RNATS_SUM=$(sha256sum "$RNATS_COPY" | cut -c1-16)
RNATS_MTIME=$(date -u -r "$RNATS_SO" '+%Y-%m-%d %H:%M:%S UTC')

# ------------------------------------------------------------------ build
BIN_NATSC=$BUILD_DIR/bench-natsc
BIN_RNATS=$BUILD_DIR/bench-rnats

log "building $BIN_NATSC against nats.c ($NATSC_SO)"
# shellcheck disable=SC2046
"$CC" "${CFLAGS[@]}" $(pkg-config --cflags libnats) -o "$BIN_NATSC" "$BENCH_DIR/bench.c" \
    $(pkg-config --libs libnats) || die "build of bench-natsc failed"

log "building $BIN_RNATS against $RNATS_LABEL (copy of $RNATS_SO, headers $RNATS_INCLUDE_DIR)"
"$CC" "${CFLAGS[@]}" -I"$RNATS_INCLUDE_DIR" -o "$BIN_RNATS" "$BENCH_DIR/bench.c" \
    -L"$RNATS_SHIM" -Wl,--disable-new-dtags -Wl,-rpath,"$RNATS_SHIM" -lnats \
    || die "build of bench-rnats failed"

# Verify headers and libraries: each binary must use what it claims to.
HDR_NATSC=$(realpath_or_empty "$(header_used $(pkg-config --cflags libnats))")
HDR_RNATS=$(realpath_or_empty "$(header_used -I"$RNATS_INCLUDE_DIR")")
[[ "$HDR_RNATS" == "$(realpath_or_empty "$RNATS_INCLUDE_DIR/nats/nats.h")" ]] \
    || die "bench-rnats was compiled with $HDR_RNATS, not $RNATS_INCLUDE_DIR/nats/nats.h"

LIB_NATSC=$(ldd_libnats "$BIN_NATSC") || die "ldd: bench-natsc does not load libnats"
LIB_RNATS=$(ldd_libnats "$BIN_RNATS") || die "ldd: bench-rnats does not load libnats"
[[ "$LIB_NATSC" == "$NATSC_SO" ]] || die "bench-natsc loads $LIB_NATSC, expected $NATSC_SO"
[[ "$LIB_RNATS" == "$RNATS_COPY" ]] || die "bench-rnats loads $LIB_RNATS, expected $RNATS_COPY"
log "ldd: bench-natsc -> $LIB_NATSC"
log "ldd: bench-rnats -> $LIB_RNATS"
declare -A EXPECT_LIB=([natsc]="$LIB_NATSC" [rnats]="$LIB_RNATS")
declare -A BIN=([natsc]="$BIN_NATSC" [rnats]="$BIN_RNATS")

# The libuv adapter cases (uv*): bench_libuv.c, built against each library with its own
# <nats/adapters/libuv.h>, when libuv is installed.
declare -A UVBIN=()
if pkg-config --exists libuv; then
    log "building bench-libuv-natsc and bench-libuv-rnats (libuv $(pkg-config --modversion libuv))"
    # shellcheck disable=SC2046
    "$CC" "${CFLAGS[@]}" $(pkg-config --cflags libnats libuv) -o "$BUILD_DIR/bench-libuv-natsc" \
        "$BENCH_DIR/bench_libuv.c" $(pkg-config --libs libnats libuv) -lpthread \
        || die "build of bench-libuv-natsc failed"
    # shellcheck disable=SC2046
    "$CC" "${CFLAGS[@]}" -I"$RNATS_INCLUDE_DIR" $(pkg-config --cflags libuv) -o "$BUILD_DIR/bench-libuv-rnats" \
        "$BENCH_DIR/bench_libuv.c" -L"$RNATS_SHIM" -Wl,--disable-new-dtags -Wl,-rpath,"$RNATS_SHIM" -lnats \
        $(pkg-config --libs libuv) -lpthread || die "build of bench-libuv-rnats failed"
    [[ "$(ldd_libnats "$BUILD_DIR/bench-libuv-rnats")" == "$RNATS_COPY" ]] \
        || die "bench-libuv-rnats does not load $RNATS_COPY"
    UVBIN=([natsc]="$BUILD_DIR/bench-libuv-natsc" [rnats]="$BUILD_DIR/bench-libuv-rnats")
    for c in "uvpub128|uvpub 128 $N_PUB_TLS" "uvflushrtt|uvflushrtt $N_FLUSH_TLS"; do
        if [[ -z "$ONLY" || "${c%%|*}" =~ $ONLY ]]; then CASES+=("$c"); fi
    done
fi
[[ ${#CASES[@]} -gt 0 ]] || die "ONLY='$ONLY' matches no case"

# ------------------------------------------------------------------ server
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rnats-bench.XXXXXX")
SERVER_PID=
TLS_SERVER_PID=
JS_SERVER_PID=
cleanup() {
    local pid
    for pid in "$SERVER_PID" "$TLS_SERVER_PID" "$JS_SERVER_PID"; do
        [[ -n "$pid" ]] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$TMP/server.conf" <<'EOF'
# Room for a publisher that outruns a synchronous subscriber.
max_pending: 268435456
write_deadline: "30s"
EOF
# Prints the client port the server logged once it listens.
wait_port() {   # pid logfile
    local port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*Listening for client connections on [^ ]*:\([0-9][0-9]*\).*/\1/p' \
            "$2" 2>/dev/null | head -n1 || true)
        [[ -n "$port" ]] && break
        kill -0 "$1" 2>/dev/null || die "nats-server exited: $(cat "$2" 2>/dev/null)"
        sleep 0.1
    done
    [[ -n "$port" ]] || die "nats-server did not start listening"
    [[ "$port" != 4222 ]] || die "nats-server picked port 4222"
    echo "$port"
}

# Port -1: the server picks a free port (from the ephemeral range, so never 4222).
"$NATS_SERVER" -c "$TMP/server.conf" -a 127.0.0.1 -p -1 -l "$TMP/server.log" &
SERVER_PID=$!
PORT=$(wait_port "$SERVER_PID" "$TMP/server.log")
URL=nats://127.0.0.1:$PORT
SERVER_VERSION=$("$NATS_SERVER" --version 2>&1 | head -n1)
log "$SERVER_VERSION listening on $URL (pid $SERVER_PID)"

# TLS: a throwaway CA and a server certificate for 127.0.0.1 and localhost,
# both ECDSA P-256, valid for two days, only ever stored under $TMP.
TLS_URL=
CA_FILE=
TLS_INFO="not run (TLS=0)"
TLS_NOTE=

if [[ "$TLS" == 1 ]]; then
    T=$TMP/tls
    mkdir -p "$T"
    (
        set -e
        cd "$T"
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.pem -days 2 -subj "/CN=rnats bench CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign"
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout server.key -out server.csr -subj "/CN=localhost"
        printf '%s\n' "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile server.ext
    ) >"$TMP/openssl.log" 2>&1 || die "openssl failed: $(tail -n 5 "$TMP/openssl.log")"
    CA_FILE=$T/ca.pem
    cat >"$TMP/server-tls.conf" <<EOF
max_pending: 268435456
write_deadline: "30s"
tls {
    cert_file: "$T/server.pem"
    key_file: "$T/server.key"
}
EOF
    "$NATS_SERVER" -c "$TMP/server-tls.conf" -a 127.0.0.1 -p -1 -l "$TMP/server-tls.log" &
    TLS_SERVER_PID=$!
    TLS_PORT=$(wait_port "$TLS_SERVER_PID" "$TMP/server-tls.log")
    TLS_URL=tls://127.0.0.1:$TLS_PORT
    TLS_INFO="$TLS_URL (TLS required; throwaway ECDSA P-256 CA and certificate)"
    TLS_NOTE="note: 'TLS/plain' rows compare one implementation with itself: first column plain TCP, second column TLS, ratio TLS/plain."
    log "second nats-server requiring TLS on $TLS_URL (pid $TLS_SERVER_PID)"
fi

JS_URL=
JS_INFO="not run (JS=0)"
if [[ "$JS" == 1 ]]; then
    mkdir -p "$TMP/js"
    "$NATS_SERVER" -c "$TMP/server.conf" -js -sd "$TMP/js" -a 127.0.0.1 -p -1 -l "$TMP/server-js.log" &
    JS_SERVER_PID=$!
    JS_PORT=$(wait_port "$JS_SERVER_PID" "$TMP/server-js.log")
    JS_URL=nats://127.0.0.1:$JS_PORT
    JS_INFO="$JS_URL (-js, store in the run's temporary directory)"
    log "third nats-server with JetStream on $JS_URL (pid $JS_SERVER_PID)"
fi

# ------------------------------------------------------------------ run
RAW=$TMP/raw.txt
: >"$RAW"
FAILURES=0

run_one() {   # impl case_name round args...
    local impl=$1 name=$2 round=$3
    shift 3
    local line out rc=0 got
    local -a conn=(-s "$URL")
    kill -0 "$SERVER_PID" 2>/dev/null || die "nats-server died"
    if [[ "$name" == *_tls ]]; then
        kill -0 "$TLS_SERVER_PID" 2>/dev/null || die "TLS nats-server died"
        conn=(-s "$TLS_URL" --ca "$CA_FILE")
    fi
    if [[ "$name" == js* || "$name" == kv* || "$name" == rawjs* || "$name" == rawkv* ]]; then
        kill -0 "$JS_SERVER_PID" 2>/dev/null || die "JetStream nats-server died"
        conn=(-s "$JS_URL")
    fi
    local bin=${BIN[$impl]}
    [[ "$name" == uv* ]] && bin=${UVBIN[$impl]}
    out=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD timeout "$RUN_TIMEOUT" \
        "$bin" "${conn[@]}" -n "$impl" "$@" 2>"$TMP/stderr") || rc=$?
    line=$(grep -m1 '^RESULT ' <<<"$out" || true)
    if [[ -z "$line" ]]; then
        line="RESULT mode=$1 impl=$impl status=error err=exit_code_$rc"
    elif [[ $rc -ne 0 && "$line" != *status=error* ]]; then
        line="${line/status=ok/status=error} err=exit_code_$rc"
    fi
    # The library the process actually loaded must be the expected one.
    got=$(sed -n 's/.* lib=\([^ ]*\).*/\1/p' <<<"$line")
    if [[ -n "$got" && "$got" != unknown && "$(realpath_or_empty "$got")" != "${EXPECT_LIB[$impl]}" ]]; then
        die "$impl run loaded $got, expected ${EXPECT_LIB[$impl]}"
    fi
    line="RESULT case=$name round=$round ${line#RESULT }"
    echo "$line" >>"$RAW"
    if [[ "$line" == *status=ok* ]]; then
        printf '   %-6s %-12s round %d ok\n' "$impl" "$name" "$round" >&2
    else
        FAILURES=$((FAILURES + 1))
        printf '   %-6s %-12s round %d FAILED: %s %s\n' "$impl" "$name" "$round" \
            "$(sed -n 's/.* err=\([^ ]*\).*/\1/p' <<<"$line")" \
            "$(tail -n 3 "$TMP/stderr" | tr '\n' ' ')" >&2
    fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
START=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r/$ROUNDS"
    for c in "${CASES[@]}"; do
        name=${c%%|*}
        read -r -a args <<<"${c#*|}"
        # Alternate which implementation goes first to cancel ordering effects.
        if ((r % 2)); then order=(natsc rnats); else order=(rnats natsc); fi
        for impl in "${order[@]}"; do
            run_one "$impl" "$name" "$r" "${args[@]}"
        done
    done
done
ELAPSED=$(($(date +%s) - START))

# ------------------------------------------------------------------ table
# label|case|metric|unit|better
ROWS=(
    "publish 0 B|pub0|msgs_per_s|msgs/s|higher"
    "publish 16 B|pub16|msgs_per_s|msgs/s|higher"
    "publish 128 B|pub128|msgs_per_s|msgs/s|higher"
    "publish 1024 B|pub1024|msgs_per_s|msgs/s|higher"
    "publish 16384 B|pub16384|msgs_per_s|msgs/s|higher"
    "publish 1024 B|pub1024|mb_per_s|MB/s|higher"
    "publish 16384 B|pub16384|mb_per_s|MB/s|higher"
    "client CPU per publish 0 B|pub0|cpu_ns_per_msg|ns/msg|lower"
    "client CPU per publish 16 B|pub16|cpu_ns_per_msg|ns/msg|lower"
    "client CPU per publish 128 B|pub128|cpu_ns_per_msg|ns/msg|lower"
    "client CPU per publish 1024 B|pub1024|cpu_ns_per_msg|ns/msg|lower"
    "client CPU per publish 16384 B|pub16384|cpu_ns_per_msg|ns/msg|lower"
    "peak RSS, 10 M x 128 B publish flood|pub128|maxrss_kb|KiB|lower"
    "publish 128 B, 4 threads|pub4_128|msgs_per_s|msgs/s|higher"
    "client CPU, 4 threads 128 B|pub4_128|cpu_ns_per_msg|ns/msg|lower"
    "sink publish 128 B (no server)|sink128|msgs_per_s|msgs/s|higher"
    "sink publish 16384 B (no server)|sink16384|mb_per_s|MB/s|higher"
    "sink client CPU 128 B|sink128|cpu_ns_per_msg|ns/msg|lower"
    "sink client CPU 16384 B|sink16384|cpu_ns_per_msg|ns/msg|lower"
    "flush RTT p50|flushrtt|p50_us|us|lower"
    "flush RTT p99|flushrtt|p99_us|us|lower"
    "flush RTT mean|flushrtt|mean_us|us|lower"
    "client CPU per flush|flushrtt|cpu_ns_per_msg|ns/op|lower"
    "raw TCP PING/PONG p50 (floor)|rawping|p50_us|us|lower"
    "raw TCP PING/PONG p99 (floor)|rawping|p99_us|us|lower"
    "raw TCP writer 16 B (server ceiling)|rawwrite16|msgs_per_s|msgs/s|higher"
    "raw TCP writer 128 B (server ceiling)|rawwrite128|msgs_per_s|msgs/s|higher"
    "request/reply p50|reqrep|p50_us|us|lower"
    "request/reply p99|reqrep|p99_us|us|lower"
    "request/reply throughput|reqrep|msgs_per_s|req/s|higher"
    "client CPU per request|reqrep|cpu_ns_per_msg|ns/req|lower"
    "pubsub 128 B received|pubsub128|msgs_per_s|msgs/s|higher"
    "pubsub 128 B client CPU|pubsub128|cpu_ns_per_msg|ns/msg|lower"
    "pubsub 128 B lost messages|pubsub128|lost|msgs|lower"
    "sync sub 128 B received|syncsub128|msgs_per_s|msgs/s|higher"
    "sync sub 128 B client CPU|syncsub128|cpu_ns_per_msg|ns/msg|lower"
    "async sub 128 B received|asyncsub128|msgs_per_s|msgs/s|higher"
    "async sub 128 B client CPU|asyncsub128|cpu_ns_per_msg|ns/msg|lower"
    "raw TCP subscriber 128 B (server ceiling)|rawsub128|msgs_per_s|msgs/s|higher"
    "peak RSS, publish 16384 B|pub16384|maxrss_kb|KiB|lower"
    "peak RSS, pubsub 128 B|pubsub128|maxrss_kb|KiB|lower"
)
if [[ ${#UVBIN[@]} -gt 0 ]]; then
    ROWS+=(
        "libuv adapter: publish 128 B|uvpub128|msgs_per_s|msgs/s|higher"
        "libuv adapter: flush RTT p50|uvflushrtt|p50_us|us|lower"
    )
fi
# Over TLS, and rnats over TLS against rnats over plain TCP. Rows with a sixth
# field compare two cases of the same implementation: the "nats.c" column then
# holds that implementation on the base case (plain TCP), the "rnats" column on
# the TLS case, and the ratio is TLS / plain.
if [[ "$TLS" == 1 ]]; then
    ROWS+=(
        "TLS publish 128 B|pub128_tls|msgs_per_s|msgs/s|higher"
        "TLS client CPU per publish 128 B|pub128_tls|cpu_ns_per_msg|ns/msg|lower"
        "TLS flush RTT p50|flushrtt_tls|p50_us|us|lower"
        "TLS flush RTT p99|flushrtt_tls|p99_us|us|lower"
        "TLS client CPU per flush|flushrtt_tls|cpu_ns_per_msg|ns/op|lower"
        "rnats TLS/plain: publish 128 B|pub128_tls|msgs_per_s|msgs/s|higher|pub128"
        "rnats TLS/plain: CPU/publish 128 B|pub128_tls|cpu_ns_per_msg|ns/msg|lower|pub128"
        "rnats TLS/plain: flush RTT p50|flushrtt_tls|p50_us|us|lower|flushrtt"
        "rnats TLS/plain: flush RTT p99|flushrtt_tls|p99_us|us|lower|flushrtt"
        "nats.c TLS/plain: publish 128 B|pub128_tls|msgs_per_s|msgs/s|higher|pub128|natsc"
        "nats.c TLS/plain: flush RTT p50|flushrtt_tls|p50_us|us|lower|flushrtt|natsc"
    )
fi

if [[ "$JS" == 1 ]]; then
    ROWS+=(
        "js_Publish 128 B (mem) p50|jspub_mem|p50_us|us|lower"
        "js_Publish 128 B (mem) p99|jspub_mem|p99_us|us|lower"
        "js_Publish 128 B (mem) throughput|jspub_mem|msgs_per_s|msgs/s|higher"
        "js_PublishAsync 128 B (mem)|jspubasync_mem|msgs_per_s|msgs/s|higher"
        "js_PublishAsync 128 B (mem) CPU|jspubasync_mem|cpu_ns_per_msg|ns/msg|lower"
        "js_PublishAsync 128 B (mem) peak RSS|jspubasync_mem|maxrss_kb|KiB|lower"
        "js_PublishAsync 128 B (file)|jspubasync_file|msgs_per_s|msgs/s|higher"
        "js_PublishAsync 128 B (file) CPU|jspubasync_file|cpu_ns_per_msg|ns/msg|lower"
        "pull Fetch(100) + Ack 128 B|jspull_mem|msgs_per_s|msgs/s|higher"
        "pull Fetch(100) + Ack CPU|jspull_mem|cpu_ns_per_msg|ns/msg|lower"
        "push consumer, auto-ack 128 B|jspush_mem|msgs_per_s|msgs/s|higher"
        "push consumer, auto-ack CPU|jspush_mem|cpu_ns_per_msg|ns/msg|lower"
        "kvStore_Get p50|kvget|p50_us|us|lower"
        "kvStore_Put p50|kvput|p50_us|us|lower"
        "KV watcher, 100000 updates|kvwatch|msgs_per_s|msgs/s|higher"
        "raw JetStream publish p50 (floor)|rawjspub_mem|p50_us|us|lower"
        "raw JetStream publish, window 4096 (mem ceiling)|rawjspubasync_mem|msgs_per_s|msgs/s|higher"
        "raw JetStream publish, window 4096 (file ceiling)|rawjspubasync_file|msgs_per_s|msgs/s|higher"
        "raw push consumer + ACK (ceiling)|rawjspush_mem|msgs_per_s|msgs/s|higher"
        "raw direct get p50 (floor)|rawkvget|p50_us|us|lower"
        "raw KV publish p50 (floor)|rawkvput|p50_us|us|lower"
        "raw ordered push, flow control (ceiling)|rawkvwatch|msgs_per_s|msgs/s|higher"
        "rnats vs floor: js_Publish p50|jspub_mem|p50_us|us|lower|rawjspub_mem"
        "nats.c vs floor: js_Publish p50|jspub_mem|p50_us|us|lower|rawjspub_mem|natsc"
        "rnats vs ceiling: js_PublishAsync (mem)|jspubasync_mem|msgs_per_s|msgs/s|higher|rawjspubasync_mem"
        "nats.c vs ceiling: js_PublishAsync (mem)|jspubasync_mem|msgs_per_s|msgs/s|higher|rawjspubasync_mem|natsc"
        "rnats vs ceiling: js_PublishAsync (file)|jspubasync_file|msgs_per_s|msgs/s|higher|rawjspubasync_file"
        "nats.c vs ceiling: js_PublishAsync (file)|jspubasync_file|msgs_per_s|msgs/s|higher|rawjspubasync_file|natsc"
        "rnats vs ceiling: push auto-ack|jspush_mem|msgs_per_s|msgs/s|higher|rawjspush_mem"
        "nats.c vs ceiling: push auto-ack|jspush_mem|msgs_per_s|msgs/s|higher|rawjspush_mem|natsc"
        "rnats vs floor: kvStore_Get p50|kvget|p50_us|us|lower|rawkvget"
        "nats.c vs floor: kvStore_Get p50|kvget|p50_us|us|lower|rawkvget|natsc"
        "rnats vs floor: kvStore_Put p50|kvput|p50_us|us|lower|rawkvput"
        "nats.c vs floor: kvStore_Put p50|kvput|p50_us|us|lower|rawkvput|natsc"
        "rnats vs ceiling: KV watcher|kvwatch|msgs_per_s|msgs/s|higher|rawkvwatch"
        "nats.c vs ceiling: KV watcher|kvwatch|msgs_per_s|msgs/s|higher|rawkvwatch|natsc"
    )
fi
if [[ -n "$ONLY" ]]; then
    kept=()
    for r in "${ROWS[@]}"; do
        IFS='|' read -r _ rc _ <<<"$r"
        [[ "$rc" =~ $ONLY ]] && kept+=("$r")
    done
    ROWS=("${kept[@]}")
fi

make_table() {
    printf '%s\n' "${ROWS[@]}" | awk -v raw="$RAW" -v rounds="$ROUNDS" '
    function sort_median(v, n,   i, j, t) {
        if (n == 0) return ""
        for (i = 2; i <= n; i++) {          # insertion sort, n is small
            t = v[i]
            for (j = i - 1; j >= 1 && v[j] + 0 > t + 0; j--) v[j + 1] = v[j]
            v[j + 1] = t
        }
        if (n % 2) return v[(n + 1) / 2] + 0
        return (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function median(key,   n, i, v) {
        n = 0
        for (i = 1; i <= cnt[key]; i++) v[++n] = vals[key, i]
        return sort_median(v, n)
    }
    # Median over rounds of rnats/nats.c, using only rounds where both ran:
    # the two runs of a round are back to back, so drift between rounds cancels.
    # With base cases: median over rounds of (case bc, impl ib) / (case ac, impl ia).
    function paired_ratio(ac, ia, bc, ib, metric,   r, a, b, n, v, zero) {
        n = 0; zero = 0
        for (r = 1; r <= rounds; r++) {
            if (!((ac, ia, metric, r) in byround) || !((bc, ib, metric, r) in byround)) continue
            a = byround[ac, ia, metric, r] + 0
            b = byround[bc, ib, metric, r] + 0
            if (a == 0 && b == 0) { zero++; continue }
            if (a == 0) return "inf"
            v[++n] = b / a
        }
        if (n == 0) return zero ? "1.00" : "n/a"
        return sprintf("%.2f", sort_median(v, n))
    }
    function fmt(x) {
        if (x == "") return "FAIL"
        if (x >= 1000) return sprintf("%.0f", x)
        if (x >= 10) return sprintf("%.1f", x)
        return sprintf("%.2f", x)
    }
    BEGIN {
        FS = "|"
        while ((getline line < raw) > 0) {
            if (line !~ / status=ok( |$)/) continue
            n = split(line, kvs, " ")
            split("", f)
            for (i = 2; i <= n; i++) {
                p = index(kvs[i], "=")
                if (p) f[substr(kvs[i], 1, p - 1)] = substr(kvs[i], p + 1)
            }
            for (k in f) {
                key = f["case"] SUBSEP f["impl"] SUBSEP k
                vals[key, ++cnt[key]] = f[k]
                byround[f["case"], f["impl"], k, f["round"]] = f[k]
            }
        }
        printf "%-36s %13s %13s %8s  %-7s %-16s %s\n", "case", "nats.c", "rnats", "ratio", "unit", "better", "runs ok"
        printf "%-36s %13s %13s %8s  %-7s %-16s %s\n", "----", "------", "-----", "-----", "----", "------", "-------"
    }
    {
        label = $1; c = $2; metric = $3; unit = $4; better = $5
        # Column a: nats.c on case c, or (sixth field) impl $7 (rnats by
        # default) on base case $6. Column b: rnats, or impl $7, on case c.
        ac = c; ia = "natsc"; bc = c; ib = "rnats"
        if ($6 != "") { ac = $6; ib = ($7 != "" ? $7 : "rnats"); ia = ib }
        a = median(ac SUBSEP ia SUBSEP metric)
        b = median(bc SUBSEP ib SUBSEP metric)
        na = cnt[ac SUBSEP ia SUBSEP "status"] + 0
        nb = cnt[bc SUBSEP ib SUBSEP "status"] + 0
        ratio = paired_ratio(ac, ia, bc, ib, metric)
        printf "%-36s %13s %13s %8s  %-7s %-16s %d/%d, %d/%d\n", label, fmt(a), fmt(b), ratio, unit, \
            better " is better", na, rounds, nb, rounds
    }'
}

TABLE=$(make_table)
{
    echo "# rnats benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    if [[ "$SELF_TEST" == 1 ]]; then
        echo "# SELF-TEST: the 'rnats' column is nats.c built through the rnats build path;"
        echo "#            ratios should be ~1.0 and only show measurement noise."
    fi
    echo "# repo:        $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "# nats.c:      $LIB_NATSC (headers: $HDR_NATSC)"
    echo "# rnats side:  $RNATS_SO (built $RNATS_MTIME, sha256 $RNATS_SUM..., run from a copy"
    echo "#              in $RNATS_SHIM; headers: $HDR_RNATS)"
    echo "# server:      $SERVER_VERSION, $URL"
    echo "# TLS server:  $TLS_INFO"
    echo "# JS server:   $JS_INFO"
    echo "# machine:     $(uname -srm), $(nproc) CPUs"
    echo "# rounds:      $ROUNDS (implementations alternate; medians over rounds), quick=$QUICK"
    echo "# run time:    ${ELAPSED}s, failed runs: $FAILURES"
    echo "# load avg:    $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) at end"
    echo "# values: medians over rounds; ratio: median over rounds of rnats/nats.c (paired runs)"
    echo
    echo "## raw results"
    cat "$RAW"
    echo
    echo "## summary (medians)"
    echo "$TABLE"
    echo
    echo "note: rawping, rawwrite and rawsub never call the client library, so their ratios show the noise level of this run; rawwrite gives the server's ceiling for publishing, rawsub for the subscriber cases."
    [[ -z "$TLS_NOTE" ]] || echo "$TLS_NOTE"
} >"$OUT"

echo
[[ "$SELF_TEST" == 1 ]] && echo "SELF-TEST: both columns are nats.c; ratios should be ~1.0"
echo "values: medians of $ROUNDS rounds; ratio: median of per-round rnats/nats.c; run time ${ELAPSED}s; failed runs: $FAILURES"
echo "$TABLE"
echo
echo "note: rawping, rawwrite and rawsub never call the client library, so their ratios show the noise level of this run; rawwrite gives the server's ceiling for publishing, rawsub for the subscriber cases."
[[ -z "$TLS_NOTE" ]] || echo "$TLS_NOTE"
echo "raw results and table: $OUT"
[[ "$FAILURES" == 0 ]]
