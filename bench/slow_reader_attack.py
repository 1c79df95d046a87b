#!/usr/bin/env python3
"""Slow-reader attack: server memory while readers that never read sit in a busy room.

usage: slow_reader_attack.py PATH/TO/slserver [--seconds 60] [--slow 100] [--rate 2000]

Starts slserver (SQLite, --rate 0 so the publisher is not throttled), puts SLOW connections in
a room that authenticate, join and then never read (4 KiB receive buffers), a publisher that
sends RATE messages of 1000 bytes a second to the room, and one reader that reads everything
and checks seq order. Samples the server's RSS every second. Prints baseline and peak RSS,
how many slow readers were closed (4008) and whether the honest reader lost anything.
Standard library only.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "conformance"))
from wsclient import WS  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metric(url, name):
    import urllib.request
    body = urllib.request.urlopen(url.replace("ws://", "http://") + "/metrics").read().decode()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def slow_reader(url, i):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    w = WS.__new__(WS)
    host, port = url.split("//")[1].split(":")
    s.connect((host, int(port)))
    w.sock, w.buf, w.events = s, b"", []
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .encode())
    w._read_until(b"\r\n\r\n")
    w.send({"type": "auth", "user": f"slow{i}"})
    w.send({"type": "room.join", "room": "busy"})
    return w  # and never read again


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("slserver")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--slow", type=int, default=100)
    ap.add_argument("--rate", type=int, default=2000)
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    ready = os.path.join(tmp.name, "ready")
    proc = subprocess.Popen([args.slserver, "--listen", "127.0.0.1:0", "--ready-file", ready,
                             "--data", os.path.join(tmp.name, "data"), "--rate", "0",
                             "--log-level", "warn"], stderr=open(os.path.join(tmp.name, "log"), "w"))
    while not (os.path.exists(ready) and open(ready).read().endswith("\n")):
        time.sleep(0.05)
    url = open(ready).read().strip()
    try:
        pub = WS(url + "/ws")
        pub.send({"type": "auth", "user": "publisher"})
        pub.request({"type": "room.create", "room": "busy"})
        reader = WS(url + "/ws")
        reader.send({"type": "auth", "user": "reader"})
        reader.request({"type": "room.join", "room": "busy"})
        idle = rss_kib(proc.pid)
        slow = [slow_reader(url, i) for i in range(args.slow)]
        time.sleep(1)
        baseline = rss_kib(proc.pid)

        got = {"n": 0, "last": 0, "gaps": 0}
        stop = threading.Event()

        def read_all():
            reader.sock.settimeout(1)
            while not stop.is_set():
                try:
                    m = json.loads(reader.recv_message())
                except (socket.timeout, TimeoutError):
                    continue
                if m.get("type") == "msg":
                    got["gaps"] += m["seq"] != got["last"] + 1
                    got["last"] = m["seq"]
                    got["n"] += 1

        def drain_publisher():
            pub.sock.settimeout(1)
            while not stop.is_set():
                try:
                    pub.recv_message()
                except (socket.timeout, TimeoutError):
                    continue

        threads = [threading.Thread(target=read_all), threading.Thread(target=drain_publisher)]
        for t in threads:
            t.start()
        text = "x" * 1000
        samples = []
        sent = 0
        start = time.monotonic()
        next_sample = start
        while time.monotonic() - start < args.seconds:
            target = int((time.monotonic() - start) * args.rate)
            while sent < target:
                pub.send({"type": "msg.send", "to": "#busy", "text": text})
                sent += 1
            if time.monotonic() >= next_sample:
                samples.append(rss_kib(proc.pid))
                next_sample += 1
            time.sleep(0.002)
        deadline = time.monotonic() + 30
        while got["last"] < sent and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
        closed = metric(url, "smartlink_slow_readers_total")
        print(f"slow readers: {args.slow}, publisher: {args.rate} msg/s of 1000 bytes for "
              f"{args.seconds} s ({sent} messages)")
        print(f"server RSS: {idle} KiB idle with 2 clients, {baseline} KiB with the slow readers "
              f"connected, peak {max(samples)} KiB, last {samples[-1]} KiB")
        print(f"slow readers closed with 4008: {int(closed)} of {args.slow}")
        print(f"honest reader: {got['n']} of {sent} messages, {got['gaps']} out of order or "
              f"missing")
        ok = got["n"] == sent and got["gaps"] == 0 and int(closed) == args.slow
        print("result:", "ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
