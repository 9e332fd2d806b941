#!/usr/bin/env python3
"""math.factorial(N) timed in-process. usage: factorial.py [N]
Prints the seconds it took."""
import math
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
t0 = time.perf_counter()
x = math.factorial(n)
t1 = time.perf_counter()
print(f"{t1 - t0:.6f}")
