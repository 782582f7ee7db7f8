#!/usr/bin/env python3
"""The disk of the guest journal-replay test (user/tests/ext4_replay.c).

    scripts/jbd2-test-image.py make IMAGE [BLOCK]
    scripts/jbd2-test-image.py check IMAGE

make: an ext4 image (scripts/mkdisk.sh, label "ferrite-jbd2t") whose
journal holds committed transactions that were never written in place,
so the superblock says needs_recovery: a copy of the image is changed
with debugfs (a new file replayed.txt, a new directory replayed-dir, a
file removed), the blocks that differ are written into the original's
journal with debugfs' journal_write (after a transaction that logs a
free block and a later one that revokes it), and an uncommitted
transaction is left at the end of the log.

check (after the guest run): the image no longer needs recovery,
e2fsck -fn finds it clean, and replayed.txt holds what was logged.
"""
import os
import shutil
import subprocess
import sys
import tempfile

LABEL = "ferrite-jbd2t"
CONTENT = b"".join(b"line %04d replayed from the journal\n" % i for i in range(120))


def run(*args, ok=(0,)):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode not in ok:
        sys.exit("%s failed (%d): %s" % (" ".join(args), r.returncode, r.stdout.decode()[-400:]))
    return r.stdout.decode()


def debugfs(img, cmds, tmp):
    script = os.path.join(tmp, "cmds")
    with open(script, "w") as f:
        f.write(cmds)
    run("debugfs", "-w", "-f", script, img)


def make(img, block):
    here = os.path.dirname(os.path.abspath(__file__))
    tmp = tempfile.mkdtemp(prefix="ferrite-jbd2t-")
    try:
        root = os.path.join(tmp, "root")
        os.mkdir(root)
        with open(os.path.join(root, "hello.txt"), "wb") as f:
            f.write(b"hello before the replay\n")
        with open(os.path.join(root, "doomed"), "wb") as f:
            f.write(b"removed by the replay\n")
        run(os.path.join(here, "mkdisk.sh"), "-s", "8", "-b", block, root, img)
        run("tune2fs", "-L", LABEL, img)
        changed = os.path.join(tmp, "b.img")
        shutil.copyfile(img, changed)
        src = os.path.join(tmp, "replayed.txt")
        with open(src, "wb") as f:
            f.write(CONTENT)
        debugfs(changed, "write %s replayed.txt\nmkdir replayed-dir\nrm doomed\n" % src, tmp)
        bs = int(block)
        with open(img, "rb") as f:
            a = f.read()
        with open(changed, "rb") as f:
            b = f.read()
        diff = [n for n in range(len(a) // bs) if a[n * bs:(n + 1) * bs] != b[n * bs:(n + 1) * bs]]
        data = os.path.join(tmp, "data.bin")
        with open(data, "wb") as f:
            for n in diff:
                f.write(b[n * bs:(n + 1) * bs])
        out = run("debugfs", "-R", "ffb 2 %d" % (len(a) // bs // 2), changed)
        free = [int(x) for x in out.split("Free blocks found:")[1].split()][:2]
        junk = os.path.join(tmp, "junk.bin")
        with open(junk, "wb") as f:
            f.write(b"\xa5" * bs)
        debugfs(img, "jo -c\njw -b %d %s\njw -r %d\njw -b %s %s\njw -b %d -c %s\njc\n" %
                (free[0], junk, free[0], ",".join(map(str, diff)), data, free[1], junk), tmp)
        if "needs_recovery" not in run("dumpe2fs", "-h", img, ok=(0, 1)):
            sys.exit("debugfs left no transaction to recover")
    finally:
        shutil.rmtree(tmp)


def check(img):
    head = run("dumpe2fs", "-h", img, ok=(0, 1))
    if "needs_recovery" in head:
        sys.exit("still needs recovery: the guest did not replay the journal")
    r = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit("e2fsck -fn after the replay: %s" % r.stdout.decode()[-600:])
    got = subprocess.run(["debugfs", "-R", "cat replayed.txt", img], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    if got != CONTENT:
        sys.exit("replayed.txt: %d bytes, not what was logged" % len(got))


if __name__ == "__main__":
    os.environ["PATH"] += ":/sbin:/usr/sbin"
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "1024")
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
