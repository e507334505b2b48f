#!/bin/sh
# Builds the C tests against Debian's nats.c (libnats-dev) and runs them.
# bug_* tests are expected to fail there (WILL_FAIL) and count as passed.
#
#   c-tests/run-reference.sh [extra ctest arguments]
#
# Environment: BUILD_DIR (default /tmp/rnats-ref-build), NATS_SERVER.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-/tmp/rnats-ref-build}

cmake -S "$here/ref-project" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DRNATS_VALGRIND=OFF
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)"
cd "$build"
# One more try for a test nats.c fails (c-tests/README.md, "Flaky on nats.c").
ctest --output-on-failure -j2 --repeat until-pass:2 "$@"
