#!/usr/bin/env python3
"""Uses libnats.so from Python through ctypes: no bindings to build.

    publish.py [URL] [LIBRARY]

URL defaults to nats://localhost:4222. LIBRARY is the path of libnats.so; without it,
$RNATS_LIB, else whatever the dynamic loader finds as libnats.so.3.4.

Two connections: the second subscribes (synchronously), the first publishes, flushes,
and the subscriber must receive exactly what was sent. Exits 0 on success.
"""

import ctypes
import os
import sys

NATS_OK = 0


class NatsError(Exception):
    pass


def load(path):
    lib = ctypes.CDLL(path)
    # Handles are opaque: plain void pointers on the Python side.
    handle = ctypes.c_void_p
    out = ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "nats_GetVersion": (ctypes.c_char_p, []),
        "nats_GetLastError": (ctypes.c_char_p, [ctypes.POINTER(ctypes.c_int)]),
        "nats_Close": (None, []),
        "natsStatus_GetText": (ctypes.c_char_p, [ctypes.c_int]),
        "natsConnection_ConnectTo": (ctypes.c_int, [out, ctypes.c_char_p]),
        "natsConnection_SubscribeSync": (ctypes.c_int, [out, handle, ctypes.c_char_p]),
        "natsConnection_Publish": (ctypes.c_int, [handle, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]),
        "natsConnection_FlushTimeout": (ctypes.c_int, [handle, ctypes.c_int64]),
        "natsConnection_Destroy": (None, [handle]),
        "natsSubscription_NextMsg": (ctypes.c_int, [out, handle, ctypes.c_int64]),
        "natsSubscription_Destroy": (None, [handle]),
        "natsMsg_GetSubject": (ctypes.c_char_p, [handle]),
        "natsMsg_GetData": (ctypes.c_void_p, [handle]),
        "natsMsg_GetDataLength": (ctypes.c_int, [handle]),
        "natsMsg_Destroy": (None, [handle]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def check(lib, status, what):
    if status != NATS_OK:
        text = lib.natsStatus_GetText(status).decode()
        detail = (lib.nats_GetLastError(None) or b"").decode()
        raise NatsError(f"{what}: {text} ({detail})")


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "nats://localhost:4222"
    path = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("RNATS_LIB", "libnats.so.3.4")
    lib = load(path)
    print(f"loaded {path} (nats.c API {lib.nats_GetVersion().decode()})")

    subject = b"python.ctypes.demo"
    payload = b"hello from Python \x00 with a NUL byte inside"
    pub, sub_conn, sub, msg = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    try:
        check(lib, lib.natsConnection_ConnectTo(ctypes.byref(pub), url.encode()), "connect (publisher)")
        check(lib, lib.natsConnection_ConnectTo(ctypes.byref(sub_conn), url.encode()), "connect (subscriber)")
        check(lib, lib.natsConnection_SubscribeSync(ctypes.byref(sub), sub_conn, subject), "subscribe")
        # The subscription must reach the server before the message does.
        check(lib, lib.natsConnection_FlushTimeout(sub_conn, 1000), "flush (subscriber)")

        check(lib, lib.natsConnection_Publish(pub, subject, payload, len(payload)), "publish")
        check(lib, lib.natsConnection_FlushTimeout(pub, 1000), "flush (publisher)")
        print(f"published {len(payload)} bytes on {subject.decode()}")

        check(lib, lib.natsSubscription_NextMsg(ctypes.byref(msg), sub, 5000), "next message")
        got_subject = lib.natsMsg_GetSubject(msg)
        got = ctypes.string_at(lib.natsMsg_GetData(msg), lib.natsMsg_GetDataLength(msg))
        if got_subject != subject or got != payload:
            raise NatsError(f"received {got_subject!r}: {got!r}, expected {subject!r}: {payload!r}")
        print(f"received {len(got)} bytes on {got_subject.decode()}: content matches")
    finally:
        # The caller owns what it created: message, subscription, connections.
        lib.natsMsg_Destroy(msg)
        lib.natsSubscription_Destroy(sub)
        lib.natsConnection_Destroy(sub_conn)
        lib.natsConnection_Destroy(pub)
        lib.nats_Close()
    print("OK")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (NatsError, OSError, AttributeError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
