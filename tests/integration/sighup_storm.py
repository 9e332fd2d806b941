#!/usr/bin/env python3
"""Reload storm: SIGHUP a daemon RATE times a second for SECONDS.

  sighup_storm.py PID FILE SECONDS RATE SAMPLES

Before each signal FILE is replaced (written aside, then renamed, so that
the daemon never reads half a file) by the next of: two valid task lists
and two invalid ones. Every 0.5 s the daemon's open descriptors and VmRSS
are appended to SAMPLES as "SECONDS FDS RSS_KIB". Last, FILE becomes the
final list (factorial 999) and gets one more SIGHUP. Exits 1 if the daemon
went away.
"""

import os
import signal
import sys
import time

VALID_A = """workers: 2
tasks:
  - delay: 0.05
  - factorial: 101
  - delay: 0.02
"""
VALID_B = """workers: 3
tasks:
  - factorial: 102
  - delay: 0.04
  - factorial: 102
  - delay: 0.01
"""
INVALID_VALUE = """tasks:
  - delay: soon
"""
INVALID_SYNTAX = """tasks: [ {delay: 0.1
"""
FINAL = """workers: 2
tasks:
  - factorial: 999
  - delay: 0.03
"""


def replace(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def sample(pid, start, out):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    out.write("%.1f %d %d\n" % (time.monotonic() - start, fds, rss))
    out.flush()


def main():
    pid, path = int(sys.argv[1]), sys.argv[2]
    seconds, rate = float(sys.argv[3]), float(sys.argv[4])
    variants = [VALID_A, INVALID_VALUE, VALID_B, INVALID_SYNTAX]
    start = time.monotonic()
    next_sample = start
    sent = 0
    with open(sys.argv[5], "w") as out:
        try:
            while time.monotonic() - start < seconds:
                replace(path, variants[sent % len(variants)])
                os.kill(pid, signal.SIGHUP)
                sent += 1
                now = time.monotonic()
                if now >= next_sample:
                    sample(pid, start, out)
                    next_sample += 0.5
                delay = start + sent / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            replace(path, FINAL)
            os.kill(pid, signal.SIGHUP)
            sample(pid, start, out)
        except (ProcessLookupError, FileNotFoundError):
            print("sighup_storm: the daemon is gone after %d signals" % sent,
                  file=sys.stderr)
            return 1
    print("sighup_storm: %d signals in %.1f s"
          % (sent + 1, time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
