#!/usr/bin/env python3
"""Check an image after a power cut (scripts/crashtest.sh).

    scripts/crash-check.py SERIAL_LOG IMAGE

IMAGE has been through e2fsck -fy (journal replay) already. Every file the
writer reported "SYNCED name size" in SERIAL_LOG must be in IMAGE with
exactly the bytes of user/tests/crash_pattern.h (read with debugfs).
Prints how many were checked; exits non-zero on the first bad one.
"""
import os
import subprocess
import sys
import tempfile


def expected(i):
    size = 1 + (i * 7919) % 40000
    return bytes(((i * 31 + k * 7 + (k >> 8)) & 0xFF) for k in range(size))


def main():
    log, img = sys.argv[1], sys.argv[2]
    synced = []
    with open(log, "rb") as f:
        for raw in f:
            line = raw.decode("latin-1").strip()
            if line.startswith("SYNCED "):
                parts = line.split()
                if len(parts) == 3:  # a line cut by the kill is ignored
                    synced.append((parts[1], int(parts[2])))
    with tempfile.TemporaryDirectory() as tmp:
        # one debugfs run dumps them all
        cmds = os.path.join(tmp, "cmds")
        with open(cmds, "w") as f:
            for n, (name, _) in enumerate(synced):
                f.write("dump %s %s/%d\n" % (name, tmp, n))
        subprocess.run(["debugfs", "-f", cmds, img], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        for n, (name, size) in enumerate(synced):
            i = int(name.split("/f")[1])
            want = expected(i)
            if len(want) != size:
                sys.exit("%s: the log says %d bytes, the pattern %d" % (name, size, len(want)))
            try:
                with open(os.path.join(tmp, str(n)), "rb") as f:
                    got = f.read()
            except OSError:
                sys.exit("%s: fsync'ed before the cut, missing after recovery" % name)
            if got != want:
                sys.exit("%s: fsync'ed before the cut, %d bytes after recovery (want %d)%s" %
                         (name, len(got), len(want), "" if len(got) != len(want) else ", different bytes"))
    print("%d fsync'ed files complete" % len(synced))


if __name__ == "__main__":
    os.environ["PATH"] += ":/sbin:/usr/sbin"
    main()
