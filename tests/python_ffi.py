#!/usr/bin/env python3
"""Runs examples/python/publish.py against a fresh nats-server on a free loopback port.

    python3 tests/python_ffi.py [LIBRARY]

LIBRARY defaults to $RNATS_LIB, else $CARGO_TARGET_DIR/release/libnats.so (target/ when
unset). The server binary is $NATS_SERVER, else nats-server from PATH. Exit status is
the example's (non-zero on any failure).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log):
    binary = os.environ.get("NATS_SERVER", "nats-server")
    for _ in range(3):
        port = free_port()
        proc = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return proc, port
            except OSError:
                time.sleep(0.1)
        proc.kill()
        proc.wait()
    raise RuntimeError(f"{binary} did not start")


def main():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    lib = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "RNATS_LIB", os.path.join(target, "release", "libnats.so"))
    if not os.path.exists(lib):
        print(f"python_ffi: library {lib} not found (build it first)", file=sys.stderr)
        return 1
    with tempfile.TemporaryFile() as log:
        try:
            proc, port = start_server(log)
        except (RuntimeError, OSError) as e:
            log.seek(0)
            print(f"python_ffi: {e}\n{log.read().decode(errors='replace')}", file=sys.stderr)
            return 1
        try:
            example = os.path.join(ROOT, "examples", "python", "publish.py")
            rc = subprocess.run([sys.executable, example, f"nats://127.0.0.1:{port}", lib],
                                timeout=60).returncode
        except subprocess.TimeoutExpired:
            print("python_ffi: the example did not finish within 60 s", file=sys.stderr)
            rc = 1
        finally:
            proc.terminate()
            proc.wait()
    print(f"python_ffi: {'passed' if rc == 0 else 'FAILED'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
