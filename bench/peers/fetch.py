#!/usr/bin/env python3
"""N GETs of one URL by W worker coroutines that take URLs from one
asyncio.Queue and share one aiohttp.ClientSession, as in the talk's
example 6. The connector's limit is set to W so that W requests can really
be in flight (aiohttp's default caps it at 100).
usage: fetch.py URL N W     Prints ok count and elapsed time."""
import asyncio
import sys
import time

import aiohttp


async def worker(session, queue):
    ok = 0
    while True:
        try:
            url = queue.get_nowait()
        except asyncio.QueueEmpty:
            return ok
        async with session.get(url) as response:
            await response.text()
            ok += response.status == 200


async def main(url, n, w):
    start = time.perf_counter()
    queue = asyncio.Queue()
    for _ in range(n):
        queue.put_nowait(url)
    connector = aiohttp.TCPConnector(limit=w)
    async with aiohttp.ClientSession(connector=connector) as session:
        oks = await asyncio.gather(*(worker(session, queue) for _ in range(w)))
    elapsed = time.perf_counter() - start
    print(f"{sum(oks)}/{n} ok, {w} workers: {elapsed:.6f} s")
    return sum(oks) == n


if __name__ == "__main__":
    ok = asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
    sys.exit(0 if ok else 1)
