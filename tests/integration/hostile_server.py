#!/usr/bin/env python3
"""A loopback HTTP server that misbehaves on purpose, one way per path.

Listens on 127.0.0.1 (port 0 unless given), prints "listening on PORT",
and serves until killed. Every handler is bounded: it stops when the
client hangs up or after LIMIT seconds, whichever comes first.

  /reset       headers and part of the body, then a TCP reset
  /stall       headers and part of the body, then nothing
  /drip        a 100-byte body, one byte a second
  /headers     a status line, then header lines without end
  /garbage     bytes that are not HTTP, then close
  /silent      reads the request and never answers
  /chunked     chunked encoding with an invalid chunk size
  /redirect    a redirect to itself, forever
  /gzip-bomb   ?mib=N: gzip that inflates to N MiB of zeros (2048)
  /escape      a page whose text drives a terminal: title, clear screen
  /auth        200 with HTTP basic auth as user:s3cr3t, else 401
  /ok          a small valid page (the control case)
"""

import select
import zlib
import socket
import socketserver
import struct
import sys
import time

LIMIT = 60  # seconds any one connection is held at most


def hung_up(sock, wait):
    """Wait up to `wait` seconds; true if the client closed or reset."""
    r, _, _ = select.select([sock], [], [], wait)
    if not r:
        return False
    try:
        return sock.recv(4096) == b""
    except OSError:
        return True


def hold(sock):
    """Keep the connection open, silent, until the client gives up."""
    end = time.monotonic() + LIMIT
    while time.monotonic() < end and not hung_up(sock, 0.5):
        pass


class Handler(socketserver.BaseRequestHandler):
    def read_request(self):
        data = b""
        self.request.settimeout(10)
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            data += chunk
        self.request.settimeout(None)
        self.head = data
        line = data.split(b"\r\n", 1)[0].decode("latin-1").split()
        return line[1] if len(line) >= 2 else "/"

    def handle(self):
        self.query = {}
        try:
            path = self.read_request()
        except OSError:
            return
        if path is None:
            return
        name, _, query = path.partition("?")
        name = name.strip("/").replace("-", "_") or "ok"
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            self.query[key] = value
        try:
            getattr(self, "do_" + name, self.do_ok)()
        except OSError:
            pass  # the client went away: that is its right

    def send(self, data):
        self.request.sendall(data)

    def do_ok(self):
        body = b"<html><body>fine</body></html>\n"
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                  % (len(body), body))

    def do_reset(self):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                  + b"x" * 1000)
        time.sleep(0.1)
        # SO_LINGER with a zero timeout: close() sends RST, not FIN.
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))

    def do_stall(self):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                  + b"stalling\n")
        hold(self.request)

    def do_drip(self):
        self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            self.send(b"x")
            if hung_up(self.request, 1.0):
                return

    def do_headers(self):
        self.send(b"HTTP/1.1 200 OK\r\n")
        end = time.monotonic() + LIMIT
        n = 0
        while time.monotonic() < end:
            self.send(b"X-Endless-%d: %s\r\n" % (n, b"h" * 64))
            n += 1

    def do_garbage(self):
        self.send(b"\x00\xffSSH-2.0-not-http\r\n\x16\x03\x01 garbage " * 20)

    def do_silent(self):
        hold(self.request)

    def do_chunked(self):
        self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\nzz-not-hex\r\nmore\r\n0\r\n\r\n")
        hold(self.request)

    def do_gzip_bomb(self):
        # After a full flush deflate starts afresh, so every MiB of zeros
        # compresses to the same bytes: a few KiB sent MiB after MiB. The
        # trailer's CRC is left wrong: a client that reads it all failed.
        mib = int(self.query.get("mib", "2048"))
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = comp.compress(b"\0" * (1 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Content-Encoding: gzip\r\nConnection: close\r\n\r\n"
                  b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03")
        for _ in range(mib):
            self.send(block)
        self.send(comp.flush(zlib.Z_FINISH) + b"\0" * 8)

    def do_escape(self):
        body = (b"<html><title>\x1b]0;pwned-title\x07\x1b[2J</title>"
                b"<body>after\x1b[31m red \xc2\x9b</body></html>\n")
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                  % (len(body), body))

    def do_auth(self):
        for line in self.head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if (name.strip().lower() == b"authorization"
                    and value.strip() == b"Basic dXNlcjpzM2NyM3Q="):
                self.do_ok()
                return
        self.send(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                  b"Connection: close\r\n\r\n")

    def do_redirect(self):
        self.send(b"HTTP/1.1 302 Found\r\nLocation: /redirect\r\n"
                  b"Content-Length: 0\r\nConnection: close\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with Server(("127.0.0.1", port), Handler) as srv:
        print("listening on %d" % srv.server_address[1], flush=True)
        srv.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
