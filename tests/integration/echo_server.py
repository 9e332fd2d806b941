#!/usr/bin/env python3
"""A loopback HTTP(S) server that says what it got.

  echo_server.py [--tls CERT KEY] [--client-ca FILE] [--once]

Listens on 127.0.0.1, port 0, prints "listening on http://127.0.0.1:PORT/"
(https with --tls) and serves until SIGTERM or SIGINT, HTTP/1.1 with
keep-alive. Any method on any path answers 200 with a JSON object
{"method", "path", "headers", "body"} (HEAD: the headers only), except:
  /auth   200 "authorized" when the request carries "Authorization: Bearer
          s3cretTOKEN" and the user "user", password "s3cretPASS" in the
          URL (sent as Basic on the first request), else 401; it says
          nothing of what it got.
  /slow   "slow" after 1 s.
--client-ca FILE asks for a client certificate signed by FILE.
--once accepts one connection, closes its listening socket at once and
serves that connection until the client closes it, then exits: a later
connection is refused.
"""

import argparse
import base64
import http.server
import json
import socket
import ssl
import sys
import time

TOKEN = "Bearer s3cretTOKEN"
BASIC = "Basic " + base64.b64encode(b"user:s3cretPASS").decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        if self.path == "/auth":
            auths = self.headers.get_all("Authorization") or []
            # libcurl sends the URL's user as Basic unless a header set
            # Authorization: then the header wins; accept either proof.
            ok = TOKEN in auths or BASIC in auths
            self.answer(200 if ok else 401,
                        b"authorized" if ok else b"who are you?", "text/plain")
            return
        if self.path == "/slow":
            time.sleep(1)
            self.answer(200, b"slow", "text/plain")
            return
        got = {"method": self.command, "path": self.path,
               "headers": {k: v for k, v in self.headers.items()},
               "body": body}
        self.answer(200, json.dumps(got).encode())

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = handle_any
    do_DELETE = do_OPTIONS = handle_any

    def log_message(self, *a):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca")
    ap.add_argument("--once", action="store_true")
    args = ap.parse_args()
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)
    scheme = "https" if ctx else "http"
    if args.once:
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        print("listening on %s://127.0.0.1:%d/" % (scheme, ls.getsockname()[1]),
              flush=True)
        conn, addr = ls.accept()
        ls.close()
        if ctx:
            conn = ctx.wrap_socket(conn, server_side=True)
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler,
                                        bind_and_activate=False)
        Handler(conn, addr, server)
        return
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if ctx:
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("listening on %s://127.0.0.1:%d/" % (scheme,
                                               server.server_address[1]),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
