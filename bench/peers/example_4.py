#!/usr/bin/env python3
"""The talk's example 4, written anew for the benchmark: two worker
coroutines take tasks from one asyncio.Queue; delays are asyncio.sleep and
a factorial gives the loop a turn at every multiple of 10, as the talk's
asynchronous version does. Prints each task and the total elapsed time."""
import asyncio
import sys
import time

TASKS = [("delay", 4.0), ("factorial", 40), ("delay", 3.0),
         ("delay", 2.0), ("factorial", 50), ("delay", 1.0)]


async def factorial(n):
    product = 1
    for i in range(1, n + 1):
        if i % 10 == 0:
            await asyncio.sleep(0)
        product *= i
    return product


async def worker(name, queue, start, quiet):
    while not queue.empty():
        kind, arg = await queue.get()
        t0 = time.perf_counter()
        if kind == "delay":
            await asyncio.sleep(arg)
            result = f"slept {arg:g} s"
        else:
            result = f"= {await factorial(arg)}"
        if not quiet:
            now = time.perf_counter()
            print(f"{now - start:8.3f}  {name:<4} {kind} {arg:<4g} "
                  f"{now - t0:7.3f} s  {result}")


async def main(quiet):
    queue = asyncio.Queue()
    for task in TASKS:
        await queue.put(task)
    start = time.perf_counter()
    await asyncio.gather(worker("One", queue, start, quiet),
                         worker("Two", queue, start, quiet))
    print(f"Total elapsed time: {time.perf_counter() - start:.6f} seconds")


if __name__ == "__main__":
    asyncio.run(main("-q" in sys.argv[1:]))
