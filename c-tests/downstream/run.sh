#!/usr/bin/env bash
# Builds the downstream program against an installed rnats, the CMake way (cnats::nats
# and cnats::nats_static) and the pkg-config way, then runs each against a fresh
# nats-server on a free port. Also checks that the shared builds load the library from
# PREFIX, not a system libnats with the same SONAME.
#
#   c-tests/downstream/run.sh PREFIX
#
# Environment: NATS_SERVER (server binary), DOWNSTREAM_BUILD (scratch dir, default a
# temp dir), DOWNSTREAM_NO_STATIC=1 to skip the static build (for a prefix without
# libnats_static.a, e.g. a scratch install of nats.c), DOWNSTREAM_NO_STRIP_CHECK=1 to
# accept an installed libnats.so with debug info or over 5 MB.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../scripts/nats-server.sh
. "$here/../../scripts/nats-server.sh"

build=${DOWNSTREAM_BUILD:-$(mktemp -d /tmp/rnats-downstream.XXXXXX)}
trap 'stop_nats_server' EXIT

step() { printf '\n== downstream: %s\n' "$*"; }
die() { echo "downstream: FAILED: $*" >&2; exit 1; }

# Where the prefix keeps libraries (lib, lib64 or lib/<multiarch>).
pcdir=$(dirname "$(find "$prefix" -path '*/pkgconfig/libnats.pc' | head -n1)")
[ -f "$pcdir/libnats.pc" ] || die "no libnats.pc under $prefix"
libdir=$(dirname "$pcdir")

step "installed library is stripped and small"
so="$libdir/libnats.so.3.4"
[ -e "$so" ] || die "no $so"
so_real=$(readlink -f "$so")
so_size=$(stat -c %s "$so_real")
echo "$(basename "$so_real"): $so_size bytes"
if readelf -S --wide "$so_real" | grep -q '\.debug_info'; then
    [ "${DOWNSTREAM_NO_STRIP_CHECK:-0}" = 1 ] || die "$so_real has a .debug_info section (install it stripped)"
fi
if [ "$so_size" -ge $((5 * 1024 * 1024)) ]; then
    [ "${DOWNSTREAM_NO_STRIP_CHECK:-0}" = 1 ] || die "$so_real is $so_size bytes (limit 5 MB)"
fi

step "CMake consumer (find_package(cnats))"
cmake -S "$here" -B "$build/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
targets=(downstream_shared)
[ "${DOWNSTREAM_NO_STATIC:-0}" = 1 ] || targets+=(downstream_static)
cmake --build "$build/cmake" --target "${targets[@]}"
grep -q "cnats_DIR:PATH=$prefix/" "$build/cmake/CMakeCache.txt" \
    || die "find_package(cnats) did not pick the package from $prefix"

step "pkg-config consumer (pkg-config --cflags --libs libnats)"
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
echo "pkg-config: $(pkg-config --cflags --libs libnats) (version $(pkg-config --modversion libnats))"
make -C "$here" O="$build/pkgconfig"

binaries=("$build/cmake/downstream_shared" "$build/pkgconfig/downstream_pkgconfig")
[ "${DOWNSTREAM_NO_STATIC:-0}" = 1 ] || binaries+=("$build/cmake/downstream_static")

step "shared builds load $libdir/libnats.so.3.4"
for bin in "$build/cmake/downstream_shared" "$build/pkgconfig/downstream_pkgconfig"; do
    loaded=$(ldd "$bin" | awk '/libnats\.so/ {print $3}')
    echo "$(basename "$bin"): libnats -> $loaded"
    [ "$(readlink -f "$loaded")" = "$(readlink -f "$libdir/libnats.so.3.4")" ] \
        || die "$(basename "$bin") loads '$loaded', not the library in $libdir"
done
if [ "${DOWNSTREAM_NO_STATIC:-0}" != 1 ] && ldd "$build/cmake/downstream_static" | grep -q libnats; then
    die "downstream_static depends on a shared libnats"
fi

step "run against a fresh nats-server"
start_nats_server "$build/nats-server.log"
echo "server at $NATS_URL"
for bin in "${binaries[@]}"; do
    out=$("$bin" "$NATS_URL") || die "$(basename "$bin") exited with $?: $out"
    echo "$(basename "$bin"): $out"
    case "$out" in OK*) ;; *) die "$(basename "$bin") did not print OK" ;; esac
done

echo
echo "downstream: all ${#binaries[@]} programs built and ran OK against $prefix"
