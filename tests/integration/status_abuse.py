#!/usr/bin/env python3
"""Abuse an HTTP endpoint for a while, then say what happened.

  status_abuse.py PORT SECONDS IDLE SLOW BIG

Opens IDLE connections to 127.0.0.1:PORT that send nothing, SLOW clients
that send a request one byte a second, and (if BIG is 1) one client that
sends a request with a 1 MB header; holds them for SECONDS, then prints
one line per kind:

  idle OPENED CLOSED_BY_SERVER
  slow STARTED CLOSED_BY_SERVER BYTES_SENT
  big STATUS_LINE_OR_ERROR SECONDS
"""

import select
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


def closed(s):
    """True if the server closed (or reset) the connection."""
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def big_request(port):
    """A 1 MB header: what does the server answer, and how soon? The
    answer may come (and the connection close) before all is sent."""
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = b"GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20)
    answer, error = b"", None
    try:
        s.sendall(head + b"\r\n\r\n")
    except OSError as e:
        error = "sending: %s" % e.strerror
    try:
        while b"\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError as e:
        error = error or "reading: %s" % e.strerror
    s.close()
    line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    return line or error or "closed", time.monotonic() - start


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    nidle, nslow = int(sys.argv[3]), int(sys.argv[4])
    big = sys.argv[5] == "1"
    idle, slow = [], []
    for _ in range(nidle):
        idle.append(connect(port))
    for _ in range(nslow):
        slow.append(connect(port))
    print("abuse: %d idle and %d slow connections open" % (nidle, nslow),
          flush=True)
    line, took = big_request(port) if big else ("-", 0)
    request = b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 1000
    sent, slow_closed = 0, set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i, s in enumerate(slow):
            if i in slow_closed:
                continue
            try:
                s.send(request[sent % len(request):][:1])
            except OSError:
                slow_closed.add(i)
        sent += 1
        time.sleep(1)
    idle_closed = sum(1 for s in idle if closed(s))
    slow_closed |= {i for i, s in enumerate(slow) if closed(s)}
    print("idle %d %d" % (nidle, idle_closed))
    print("slow %d %d %d" % (nslow, len(slow_closed), sent))
    print("big %s %.2f" % (line, took))
    for s in idle + slow:
        s.close()


if __name__ == "__main__":
    main()
