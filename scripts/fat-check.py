#!/usr/bin/env python3
"""Check a FAT image after the guest test user/tests/fat.c wrote to it.

usage: fat-check.py IMAGE LOG

Every "FAT-FILE size fnv1a64 path" line the test printed (path relative to
the mount point, "./keep/...") must name a file that mtools' mtype reads
from the image with that size and FNV-1a 64 hash. Exit 0 when all match,
1 with one line per difference otherwise. fsck.fat -n is run by the caller.
"""
import os
import re
import subprocess
import sys


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    img, log = sys.argv[1], sys.argv[2]
    line_re = re.compile(r'^FAT-FILE (\d+) ([0-9a-f]{16}) \./(.*)$')
    last = {}  # a rerun's reports (the runner repeats a test) win
    with open(log, 'rb') as f:
        for raw in f:
            line = raw.decode('utf-8', 'replace').rstrip('\r\n')
            m = line_re.match(line)
            if m:
                last[m.group(3)] = (int(m.group(1)), int(m.group(2), 16), m.group(3))
    files = list(last.values())
    if len(files) < 100:
        print(f'only {len(files)} files reported (FAT-FILE lines) in {log}')
        return 1
    env = dict(os.environ, MTOOLS_SKIP_CHECK='1')
    bad = 0
    for size, h, path in files:
        r = subprocess.run(['mtype', '-i', img, '::/' + path], capture_output=True, env=env)
        if r.returncode != 0:
            print(f'{path}: mtype failed: {r.stderr.decode(errors="replace").strip()}')
            bad += 1
        elif len(r.stdout) != size or fnv1a64(r.stdout) != h:
            print(f'{path}: mtype reads {len(r.stdout)} bytes (fnv {fnv1a64(r.stdout):016x}), '
                  f'the guest wrote {size} (fnv {h:016x})')
            bad += 1
    if not bad:
        print(f'{len(files)} files match')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
