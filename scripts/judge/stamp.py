#!/usr/bin/env python3
"""Copy a QEMU console (stdin) to LOG and append, when the first
"[judge] running" line arrives, the host's wall time since this filter
started: "[host] QEMU start to first testcode: S s" (what the judges see:
firmware, kernel boot and the runner's set-up).

Usage: QEMU ... | stamp.py LOG
"""
import sys
import time

start = time.monotonic()
first = None
with open(sys.argv[1], "wb") as log:
    for line in sys.stdin.buffer:
        log.write(line)
        if first is None and b"[judge] running " in line:
            first = time.monotonic() - start
    if first is not None:
        log.write(b"[host] QEMU start to first testcode: %.2f s\n" % first)
