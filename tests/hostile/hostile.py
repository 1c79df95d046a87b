#!/usr/bin/env python3
"""Hostile clients against a real slserver: broken WebSocket framing, bad handshakes,
malformed and hostile requests, forged tokens. Standard library only.

usage: hostile.py PATH/TO/slserver

Every case checks the server's answer (an RFC 6455 close code, an HTTP status or a protocol
error code) and that a bystander in a room keeps chatting throughout. Exit 0 when all pass.
"""
import base64
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
from wsclient import WS, Closed, jwt_hs256  # noqa: E402

SLSERVER = sys.argv[1] if len(sys.argv) > 1 else "build/bin/slserver"
SECRET = "hostile-harness-secret-0123456789abcdef"
results = []


class Server:
    """slserver --listen 127.0.0.1:0 with a ready file, in a temporary directory."""

    def __init__(self, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="smartlink-hostile-")
        ready = os.path.join(self.dir.name, "ready")
        self.log = open(os.path.join(self.dir.name, "log"), "w")
        self.proc = subprocess.Popen(
            [SLSERVER, "--listen", "127.0.0.1:0", "--ready-file", ready, "--data",
             os.path.join(self.dir.name, "data"), "--sync", "normal", *args],
            stderr=self.log)
        for _ in range(300):
            if os.path.exists(ready) and open(ready).read().endswith("\n"):
                break
            if self.proc.poll() is not None:
                raise SystemExit("slserver exited at start: " + open(self.log.name).read())
            time.sleep(0.02)
        self.url = open(ready).read().strip()
        self.ws = self.url + "/ws"
        self.port = int(self.url.rsplit(":", 1)[1])

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.dir.cleanup()


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"), flush=True)


def login(url, user, **kw):
    w = WS(url, **kw)
    w.send({"type": "auth", "user": user})
    r = w.wait_event(lambda e: e.get("type") in ("welcome", "error"))
    assert r.get("type") == "welcome", r
    return w


def close_code(w, timeout=5.0):
    """Reads until the server closes; returns its close code (1006: dropped without one)."""
    w.sock.settimeout(timeout)
    try:
        while True:
            w.recv_message()
    except Closed as c:
        return c.code
    except (socket.timeout, TimeoutError):
        return None
    except OSError:
        return 1006


def raw_handshake(port, lines):
    """Sends a hand-written HTTP request; returns the status code of the answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ----------------------------------------------------------------------------------------
# Framing (RFC 6455): each case on a fresh, authenticated connection.

def framing_cases(srv, bystander_check):
    def fresh():
        return login(srv.ws, "mallory")

    cases = [
        ("reserved bits set", lambda w: w.send_frame(0x1, b'{"type":"ping"}', rsv=0b100), 1002),
        ("reserved data opcode 0x3", lambda w: w.send_frame(0x3, b"x"), 1002),
        ("reserved control opcode 0xB", lambda w: w.send_frame(0xB, b""), 1002),
        ("unmasked client frame", lambda w: w.send_frame(0x1, b'{"type":"ping"}', mask=False), 1002),
        ("control frame over 125 bytes", lambda w: w.send_frame(0x9, b"p" * 126), 1002),
        ("fragmented control frame", lambda w: w.send_frame(0x9, b"p", fin=False), 1002),
        ("continuation with nothing to continue", lambda w: w.send_frame(0x0, b"x"), 1002),
        ("new message inside a fragmented one",
         lambda w: (w.send_frame(0x1, b'{"ty', fin=False), w.send_frame(0x1, b'pe"}')), 1002),
        ("invalid UTF-8 in a text frame", lambda w: w.send_frame(0x1, b'{"t":"\xff\xfe"}'), 1007),
        ("invalid UTF-8 split across fragments",
         lambda w: (w.send_frame(0x1, b'{"t":"\xe2\x82', fin=False),
                    w.send_frame(0x0, b'\x28"}')), 1007),
        ("close code 1005 (reserved)", lambda w: w.send_frame(0x8, struct.pack("!H", 1005)), 1002),
        ("close code 999", lambda w: w.send_frame(0x8, struct.pack("!H", 999)), 1002),
        ("close code 5000", lambda w: w.send_frame(0x8, struct.pack("!H", 5000)), 1002),
        ("close payload of one byte", lambda w: w.send_frame(0x8, b"\x03"), 1002),
    ]
    for name, send, want in cases:
        w = fresh()
        send(w)
        got = close_code(w)
        check(f"framing: {name} closes with {want}", got == want, f"got {got}")
        bystander_check(name)

    w = fresh()
    w.send_frame(0x8, struct.pack("!H", 1000) + b"\xff\xfe")
    got = close_code(w)
    check("framing: close reason with invalid UTF-8 closes with 1007 or 1002", got in (1007, 1002),
          f"got {got}")

    # Valid UTF-8 split across fragments is one good message.
    w = fresh()
    euro = "\u20ac".encode()
    w.send_frame(0x1, b'{"type":"ping","id":"' + euro[:1], fin=False)
    w.send_frame(0x0, euro[1:] + b'"}')
    r = w.wait_event(lambda e: e.get("type") in ("pong", "error"))
    check("framing: valid UTF-8 split across fragments is accepted",
          r.get("type") == "pong" and r.get("re") == "\u20ac", r)
    w.close()


def size_cases(srv):
    w = login(srv.ws, "mallory")
    w.send_text("x" * (70 * 1024))
    got = close_code(w)
    check("framing: message over --max-frame closes with 1009", got == 1009, f"got {got}")
    # A frame far over the limit: the server stops reading at its header, but it reads and
    # throws away the rest rather than closing on unread data (RST), so the sender's write
    # completes and the close frame is still there to read.
    w = login(srv.ws, "mallory")
    try:
        w.send_text("x" * (4 << 20))
        sent = "sent"
    except OSError as e:
        sent = repr(e)
    got = close_code(w)
    check("framing: a 4 MiB frame is read to its end and closed with 1009",
          sent == "sent" and got == 1009, f"{sent}, close {got}")


# ----------------------------------------------------------------------------------------
# Handshakes.

def handshake_cases(srv):
    key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
    base = [f"Host: 127.0.0.1:{srv.port}", "Upgrade: websocket", "Connection: Upgrade", key]
    st = raw_handshake(srv.port, ["POST /ws HTTP/1.1", *base, "Sec-WebSocket-Version: 13"])
    check("handshake: POST instead of GET is not upgraded", st is not None and st != 101, st)
    st = raw_handshake(srv.port, ["GET /ws HTTP/1.1", *base, "Sec-WebSocket-Version: 8"])
    check("handshake: version 8 gets 426", st == 426, st)
    st = raw_handshake(srv.port, ["GET /ws HTTP/1.1", f"Host: 127.0.0.1:{srv.port}",
                                  "Upgrade: websocket", "Connection: Upgrade",
                                  "Sec-WebSocket-Version: 13"])
    check("handshake: missing Sec-WebSocket-Key is refused", st is not None and st != 101, st)
    st = raw_handshake(srv.port, ["GET /elsewhere HTTP/1.1", *base, "Sec-WebSocket-Version: 13"])
    check("handshake: a path other than /ws gets 404", st == 404, st)
    st = raw_handshake(srv.port, ["GARBAGE"])
    check("handshake: a garbage request line is refused", st is None or st >= 400, st)
    # A handshake that never finishes is dropped after --handshake-timeout (2 s here).
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    try:
        dropped = s.recv(4096) is not None
    except (socket.timeout, OSError):
        dropped = False
    waited = time.monotonic() - start
    s.close()
    check("handshake: an unfinished handshake is dropped after the timeout",
          dropped and 1.0 <= waited <= 6.0, f"after {waited:.1f}s")


# ----------------------------------------------------------------------------------------
# Requests: malformed and hostile, answered with protocol errors on a connection that stays.

def request_cases(srv):
    w = login(srv.ws, "mallory")
    w.request({"type": "room.create", "room": "den"})

    def err(name, frame, want="bad_request", binary=False):
        if binary:
            w.send_frame(0x2, frame)
        elif isinstance(frame, (bytes, str)):
            w.send_text(frame)
        else:
            w.send(frame)
        e = w.wait_event(lambda e: e.get("type") == "error")
        check(f"request: {name} -> {want}", e.get("code") == want, e)
        last_error.clear()
        last_error.update(e)

    last_error = {}

    err("a binary frame that is not a file chunk", b"\x00\x02{}", binary=True)
    err("a binary frame shorter than its header", b"\x00", binary=True)
    err("not JSON", "{nope")
    err("a JSON array", "[1,2,3]")
    err("JSON nested 100 deep", "[" * 100 + "]" * 100)
    err("an unknown type", {"type": "rm -rf"})
    err("a missing field", {"type": "msg.send", "to": "#den"})
    err("text as a number", {"type": "msg.send", "to": "#den", "text": 42})
    err("room as an object", {"type": "room.join", "room": {"$ne": None}})
    err("seq as a float", {"type": "history", "conv": "#den", "before": 1.5})
    err("seq of 2**64", '{"type":"history","conv":"#den","before":18446744073709551616}')
    err("seq of -1", {"type": "history", "conv": "#den", "before": -1})
    err("a number of 1e400", '{"type":"history","conv":"#den","before":1e400}')
    err("an id of 10 kB", {"type": "ping", "id": "i" * 10000})
    check("request: the id of 10 kB comes back as re", last_error.get("re") == "i" * 10000)
    for name in ["..", "../../etc/passwd", "a/b", "a\\b", "nul\x00byte", ""]:
        err(f"file name {name!r}", {"type": "file.begin", "to": "#den", "name": name,
                                    "mime": "text/plain", "size": 1})
    err("text over the limit", {"type": "msg.send", "to": "#den", "text": "x" * 5000}, "too_large")

    hostile = ["nul\x00byte", "'; DROP TABLE messages; --", "\" OR 1=1 --",
               "<script>alert(1)</script>", "\u202eevil", "%s%s%n", "\U0001F600 emoji"]
    for text in hostile:
        r = w.request({"type": "msg.send", "to": "#den", "text": text})
        if r.get("type") != "ok":
            check(f"request: text {text!r} is stored", False, r)
    h = w.request({"type": "history", "conv": "#den", "limit": 50})
    got = [m["text"] for m in h.get("messages", [])]
    check("request: NUL bytes and SQL in text come back byte for byte", got == hostile, got)
    r = w.request({"type": "ping"})
    check("request: the connection is still usable after all of it", r.get("type") == "pong", r)
    w.close()


# ----------------------------------------------------------------------------------------
# Authentication, against servers with a secret, an RSA key and an origin allow-list.

def auth_cases():
    now = int(time.time())
    srv = Server("--jwt-secret", SECRET, "--jwt-leeway", "0s",
                 "--allowed-origins", "https://app.example")
    try:
        def token_refused(name, token):
            w = WS(srv.ws)
            w.send({"type": "auth", "token": token})
            r = w.wait_event(lambda e: e.get("type") in ("welcome", "error"))
            code = close_code(w)
            check(f"auth: {name} -> unauthenticated and 4003",
                  r.get("code") == "unauthenticated" and code == 4003, (r, code))

        token_refused("alg none", jwt_hs256(SECRET, {"sub": "alice", "exp": now + 60}, alg="none"))
        token_refused("alg None (mixed case)",
                      b64u(b'{"alg":"None","typ":"JWT"}') + "." +
                      b64u(json.dumps({"sub": "alice"}).encode()) + ".")
        token_refused("a wrong key", jwt_hs256("another secret that is long enough!!",
                                               {"sub": "alice", "exp": now + 60}))
        token_refused("expired", jwt_hs256(SECRET, {"sub": "alice", "exp": now - 30}))
        token_refused("not yet valid", jwt_hs256(SECRET, {"sub": "alice", "exp": now + 600,
                                                          "nbf": now + 300}))
        token_refused("no sub", jwt_hs256(SECRET, {"exp": now + 60}))
        token_refused("no exp (good forever)", jwt_hs256(SECRET, {"sub": "alice"}))
        token_refused("sub not a user id", jwt_hs256(SECRET, {"sub": "../admin", "exp": now + 60}))
        token_refused("malformed", "eyJ.hello.")
        token_refused("RS256 header on an HS256 server",
                      jwt_hs256(SECRET, {"sub": "alice", "exp": now + 60},
                                header={"alg": "RS256", "typ": "JWT"}))

        w = WS(srv.ws + "?token=" + jwt_hs256(SECRET, {"sub": "alice", "exp": now + 2}))
        r = w.wait_event(lambda e: e.get("type") == "welcome")
        code = close_code(w, timeout=8)
        check("auth: a token that expires while connected closes with 4003",
              r.get("user") == "alice" and code == 4003, code)

        # PROTOCOL.md: "1008 policy (origin refused, ...)": upgraded, then closed at once.
        try:
            w = WS(srv.ws, headers={"Origin": "https://evil.example",
                                    "Authorization": "Bearer " + jwt_hs256(
                                        SECRET, {"sub": "eve", "exp": now + 600})})
            code = close_code(w)
        except Closed as c:
            code = c.code
        check("auth: an origin not on the allow-list is closed with 1008", code == 1008, code)

        good = jwt_hs256(SECRET, {"sub": "alice", "exp": now + 600})
        a = WS(srv.ws, headers={"Origin": "https://app.example", "Authorization": "Bearer " + good})
        a.wait_event(lambda e: e.get("type") == "welcome")
        b = WS(srv.ws + "?token=" + jwt_hs256(SECRET, {"sub": "bob", "exp": now + 600}))
        b.wait_event(lambda e: e.get("type") == "welcome")
        a.request({"type": "room.create", "room": "r"})
        b.request({"type": "room.join", "room": "r"})
        a.request({"type": "msg.send", "to": "#r", "text": "who am i", "from": "bob",
                   "user": "bob"})
        m = b.wait_event(lambda e: e.get("type") == "msg")
        check("auth: a spoofed 'from' field is ignored", m.get("from") == "alice", m)
    finally:
        srv.stop()

    # Algorithm confusion: an HS256 token signed with the server's RSA public key.
    d = tempfile.TemporaryDirectory()
    key, pub = os.path.join(d.name, "k.pem"), os.path.join(d.name, "pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True,
                   capture_output=True)
    srv = Server("--jwt-public-key", pub)
    try:
        forged = jwt_hs256(open(pub).read(), {"sub": "alice", "exp": now + 60})
        w = WS(srv.ws)
        w.send({"type": "auth", "token": forged})
        r = w.wait_event(lambda e: e.get("type") in ("welcome", "error"))
        check("auth: algorithm confusion (HS256 signed with the RSA public key) is refused",
              r.get("code") == "unauthenticated" and close_code(w) == 4003, r)
    finally:
        srv.stop()
        d.cleanup()


# ----------------------------------------------------------------------------------------
# TLS: broken and abandoned handshakes, sessions cut without close_notify, bulk traffic in
# records of every size, and a reader too slow for what it is sent, all over wss://.

def https_get(srv, path):
    import ssl
    import urllib.request
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    url = srv.url.replace("wss://", "https://") + path
    with urllib.request.urlopen(url, context=ctx, timeout=5) as r:
        return r.read().decode()


def wait_connections(srv, want, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        n = json.loads(https_get(srv, "/health"))["connections"]
        if n == want or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def metric(srv, name):
    for line in https_get(srv, "/metrics").splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def tls_cases():
    d = tempfile.TemporaryDirectory()
    key, cert = os.path.join(d.name, "key.pem"), os.path.join(d.name, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", key, "-out", cert], check=True,
                   capture_output=True)
    # TLS-only: what is not a ClientHello is refused (by default the port serves plain
    # clients too, which tests/e2e/server_test.cc checks).
    srv = Server("--tls-cert", cert, "--tls-key", key, "--tls-only", "--rate", "0",
                 "--max-send-queue", "1MiB")
    try:
        check("tls: the server announces wss://", srv.url.startswith("wss://"), srv.url)
        by = login(srv.ws, "bystander")
        peer = login(srv.ws, "peer")
        peer.request({"type": "room.create", "room": "bulk"})
        base = wait_connections(srv, 2)
        check("tls: two sessions open", base == 2, base)

        def bystander_ok(after):
            r = by.request({"type": "ping"})
            check(f"tls: the bystander is answered after {after}", r.get("type") == "pong", r)

        # Plain HTTP and garbage where a ClientHello belongs: dropped at once (well before
        # the 10 s handshake timeout), nothing else hurt. The random bytes do not start as a
        # handshake record (22) would; those that did could be a truncated ClientHello.
        not_hello = bytes([random.choice([b for b in range(256) if b != 0x16])])
        for name, data in [("plain HTTP", b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
                           ("random bytes", not_hello + os.urandom(599)),
                           ("a record that is no handshake, claiming 5000 bytes",
                            b"\x17\x03\x03\x13\x88" + b"\x01" * 64),
                           ("a record header claiming 16 MB", b"\x16\x03\x01\xff\xff" + b"\x01" * 64)]:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(data)
            try:
                while s.recv(4096):
                    pass
                dropped = True
            except socket.timeout:
                dropped = False
            except OSError:
                dropped = True
            s.close()
            check(f"tls: {name} instead of a ClientHello is dropped", dropped)
        # Connections that go away at once or halfway through a ClientHello.
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            if i % 2:
                s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            s.close()
        n = wait_connections(srv, base)
        check("tls: abandoned handshakes leave no session behind", n == base, n)
        bystander_ok("broken handshakes")

        # A session cut without close_notify (the TCP connection simply closes).
        w = login(srv.ws, "cutter")
        w.sock.close()
        n = wait_connections(srv, base)
        check("tls: a session cut without close_notify ends at once", n == base, n)

        # Bulk: messages of every size up to the text limit, in batches; the reader gets each
        # one intact and in order.
        sender = login(srv.ws, "sender")
        sender.request({"type": "room.join", "room": "bulk"})
        sizes = [1, 10, 100, 1000, 3999, 2048, 4000, 17, 3500, 1500]
        sent = []
        for batch in range(20):
            ids = []
            for i in range(10):
                k = batch * 10 + i
                text = (f"{k}:" + "abcdefghij" * 400)[:sizes[i]]
                sent.append(text)
                ids.append(f"b{k}")
                sender.send({"type": "msg.send", "to": "#bulk", "text": text, "id": f"b{k}"})
            for rid in ids:
                sender.wait_event(lambda e, rid=rid: e.get("re") == rid, timeout=10)
            sender.events.clear()
        got = []
        while len(got) < len(sent):
            m = peer.wait_event(lambda e: e.get("type") == "msg", timeout=10)
            if m.get("from") == "sender":
                got.append(m["text"])
        check("tls: 200 messages of 1 to 4000 bytes arrive intact and in order", got == sent,
              f"{len(got)} of {len(sent)}")

        # A reader that stops reading is closed as a slow reader; the others go on.
        slow = login(srv.ws, "slow")
        slow.request({"type": "room.join", "room": "bulk"})
        raw = slow.sock
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        big = "z" * 3900
        for batch in range(60):
            for i in range(50):
                sender.send({"type": "msg.send", "to": "#bulk", "text": big})
            # The sender and the peer read what came for them: only `slow` lags. (Whole
            # messages: wsclient loses its place in the stream if a timeout cuts a frame.)
            for w in (sender, peer):
                for i in range(50):
                    w.wait_event(lambda e: e.get("type") == "msg", timeout=10)
                w.events.clear()
        # The server closes a reader whose queue stayed over the bound for a second.
        deadline = time.monotonic() + 5
        count = metric(srv, "smartlink_slow_readers_total")
        while count < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
            count = metric(srv, "smartlink_slow_readers_total")
        # It reads what was queued before the close at full speed, then finds the close.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        code = close_code(slow, timeout=10)
        check("tls: a reader that stops reading is closed (4008)", count >= 1 and code in (4008, 1006),
              (count, code))
        r = peer.request({"type": "ping"})
        check("tls: the reader that keeps up is still connected", r.get("type") == "pong", r)
        bystander_ok("the slow reader")
        check("tls: the server is still running", srv.alive())
    finally:
        srv.stop()
        d.cleanup()


def main():
    srv = Server("--max-frame", "64KiB", "--rate", "0", "--handshake-timeout", "2s")
    try:
        by = login(srv.ws, "bystander")
        peer = login(srv.ws, "peer")
        by.request({"type": "room.create", "room": "calm"})
        peer.request({"type": "room.join", "room": "calm"})
        counter = [0]

        def bystander_check(after):
            counter[0] += 1
            text = f"still here {counter[0]}"
            r = by.request({"type": "msg.send", "to": "#calm", "text": text})
            m = peer.wait_event(lambda e: e.get("type") == "msg" and e.get("text") == text)
            if not (r.get("type") == "ok" and m):
                check(f"bystander keeps chatting after {after}", False, r)

        framing_cases(srv, bystander_check)
        size_cases(srv)
        bystander_check("size cases")
        handshake_cases(srv)
        bystander_check("handshake cases")
        request_cases(srv)
        bystander_check("request cases")
        check("the server is still running after everything", srv.alive())
        check("the bystander chatted through every case", counter[0] >= 17, counter[0])
    finally:
        srv.stop()
    auth_cases()
    tls_cases()
    failed = [n for n, ok in results if not ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
