#!/usr/bin/env python3
"""A loopback HTTP server that fails a share of its requests at random.

  flaky_server.py [--fail P] [--delay S] [--log FILE] [--seed N]

Listens on 127.0.0.1, port 0, prints "listening on http://127.0.0.1:PORT/"
and serves until SIGTERM or SIGINT. Every GET, whatever its path, waits a
random time up to S seconds (0 by default) and then answers 500 with
probability P (0.1 by default), else 200 with a short body. The server
decides, not the path: a test learns what happened from the log, where
each answer is one line "PATH STATUS", written once the answer is sent.
HTTP/1.1 with keep-alive, on asyncio: thousands of clients at once.
"""

import argparse
import asyncio
import os
import random
import signal
import sys

BODY_OK = b"<html><body>fine</body></html>\n"
BODY_FAIL = b"server error, at random\n"


class Flaky:
    def __init__(self, args):
        self.fail = args.fail
        self.delay = args.delay
        seed = args.seed if args.seed is not None else int.from_bytes(
            os.urandom(4), "big")
        print("flaky_server: seed %d" % seed, file=sys.stderr, flush=True)
        self.rng = random.Random(seed)
        self.log = open(args.log, "w", buffering=1) if args.log else None
        self.answered = 0
        self.failed = 0

    async def answer(self, writer, path, close):
        if self.delay > 0:
            await asyncio.sleep(self.rng.uniform(0, self.delay))
        if self.rng.random() < self.fail:
            status, reason, body = 500, b"Internal Server Error", BODY_FAIL
        else:
            status, reason, body = 200, b"OK", BODY_OK
        writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: text/html\r\n"
                     b"Content-Length: %d\r\n%s\r\n%s"
                     % (status, reason, len(body),
                        b"Connection: close\r\n" if close else b"", body))
        await writer.drain()
        self.answered += 1
        self.failed += status == 500
        if self.log:
            self.log.write("%s %d\n" % (path, status))

    async def client(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                words = lines[0].split()
                if len(words) < 3:
                    break
                close = any(h.lower().replace(" ", "") == "connection:close"
                            for h in lines[1:])
                await self.answer(writer, words[1], close)
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError):
            pass
        finally:
            writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fail", type=float, default=0.1)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--log")
    p.add_argument("--seed", type=int)
    flaky = Flaky(p.parse_args())
    server = await asyncio.start_server(flaky.client, "127.0.0.1", 0,
                                        backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print("listening on http://127.0.0.1:%d/" % port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    print("flaky_server: %d answers, %d of them 500"
          % (flaky.answered, flaky.failed), file=sys.stderr, flush=True)
    if flaky.log:
        flaky.log.close()


if __name__ == "__main__":
    asyncio.run(main())
