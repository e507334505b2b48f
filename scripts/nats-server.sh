# Helpers to run a throwaway nats-server on a free loopback port (never 4222).
# Source this file, then:
#   start_nats_server LOGFILE [ARGS...]   # sets NATS_PID, NATS_PORT, NATS_URL; ARGS go to
#                                         # the server (e.g. -js -sd DIR)
#   stop_nats_server
# The binary is $NATS_SERVER when set, else nats-server from PATH.

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_nats_server() {
    local log=${1:-/dev/null} bin=${NATS_SERVER:-nats-server} attempt i
    if ! command -v "$bin" >/dev/null 2>&1; then
        echo "nats-server not found: run scripts/setup.sh (rnats_setup) or set NATS_SERVER" >&2
        return 1
    fi
    # The port is free when chosen, but another process may grab it before the server
    # binds: try a few times.
    for attempt in 1 2 3; do
        NATS_PORT=$(free_port)
        "$bin" -a 127.0.0.1 -p "$NATS_PORT" "${@:2}" >"$log" 2>&1 &
        NATS_PID=$!
        NATS_URL="nats://127.0.0.1:$NATS_PORT"
        for i in $(seq 1 100); do
            if ! kill -0 "$NATS_PID" 2>/dev/null; then
                break
            fi
            if (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; then
                return 0
            fi
            sleep 0.1
        done
        stop_nats_server
    done
    echo "nats-server did not start; its output:" >&2
    cat "$log" >&2 2>/dev/null || true
    return 1
}

stop_nats_server() {
    if [ -n "${NATS_PID:-}" ]; then
        kill "$NATS_PID" 2>/dev/null || true
        wait "$NATS_PID" 2>/dev/null || true
        NATS_PID=
    fi
}
