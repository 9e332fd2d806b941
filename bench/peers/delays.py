#!/usr/bin/env python3
"""N delays of D seconds over W worker coroutines sharing one asyncio.Queue
(the talk's worker pattern, at scale). usage: delays.py N W D
Prints the elapsed time measured inside the program."""
import asyncio
import sys
import time


async def worker(queue):
    done = 0
    while True:
        try:
            delay = queue.get_nowait()
        except asyncio.QueueEmpty:
            return done
        await asyncio.sleep(delay)
        done += 1


async def main(n, w, d):
    start = time.perf_counter()
    queue = asyncio.Queue()
    for _ in range(n):
        queue.put_nowait(d)
    counts = await asyncio.gather(*(worker(queue) for _ in range(w)))
    elapsed = time.perf_counter() - start
    print(f"{sum(counts)} delays, {w} workers: {elapsed:.6f} s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
