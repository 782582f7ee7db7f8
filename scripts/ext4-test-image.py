#!/usr/bin/env python3
"""The ext4 image of the guest ext4 test (user/tests/ext4.c).

    scripts/ext4-test-image.py IMAGE [BLOCK]

Builds a known tree in a temporary folder (files with deterministic
contents, a sparse file, a directory of 300 names, hard links, fast and
slow symlinks, a fifo, odd owners and modes), writes MANIFEST (one line per
entry: type, path, size, FNV-1a 64 of the contents, mode, uid, gid, mtime,
nlink, symlink target) into it, makes IMAGE with scripts/mkdisk.sh, labels
it "ferrite-ext4t" (the guest test looks for that label, so it never
touches another disk) and indexes its directories with e2fsck -fyD.
"""
import os
import shutil
import subprocess
import sys
import tempfile


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def pattern(seed, n):
    out = bytearray(n)
    x = seed & 0xFFFFFFFF
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = (x >> 16) & 0xFF
    return bytes(out)


def build(root):
    def put(rel, data, mode=0o644):
        p = os.path.join(root, rel)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)

    put("hello.txt", b"hello from the host\n")
    put("empty", b"", 0o600)
    put("setuid", b"#!/bin/sh\necho hi\n", 0o4755)
    os.makedirs(os.path.join(root, "dir/sub"))
    os.chmod(os.path.join(root, "dir"), 0o750)
    put("dir/sub/deep.txt", b"deep down\n")
    put("big.bin", pattern(7, 1024 * 1024 + 17))
    with open(os.path.join(root, "sparse.bin"), "wb") as f:
        for i in range(64):
            f.seek(i * 128 * 1024)
            f.write(bytes([(i * 7 + 1) & 0xFF]) * 4096)
        f.truncate(64 * 128 * 1024 + 5000)  # ends in a hole
    os.mkdir(os.path.join(root, "many"))
    for i in range(300):
        put("many/name-%04d" % i, b"%d\n" % i if i % 5 == 0 else b"")
    put("link_a", b"linked\n")
    os.link(os.path.join(root, "link_a"), os.path.join(root, "link_b"))
    os.symlink("hello.txt", os.path.join(root, "sym_fast"))
    os.symlink("dir/" + "y" * 150, os.path.join(root, "sym_slow"))
    os.symlink("dir/sub", os.path.join(root, "sym_dir"))
    os.mkfifo(os.path.join(root, "fifo"), 0o640)
    put("owned", b"mine\n", 0o640)
    try:
        os.chown(os.path.join(root, "owned"), 1000, 1001)
    except PermissionError:
        pass
    os.utime(os.path.join(root, "owned"), (1700000000, 1700000000))


def manifest(root):
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            kind, size, h, target = "?", st.st_size, 0, "-"
            if os.path.islink(p):
                kind, target = "l", os.readlink(p)
            elif os.path.isdir(p):
                kind, size = "d", len(os.listdir(p))
            elif os.path.isfile(p):
                kind = "f"
                with open(p, "rb") as f:
                    h = fnv1a64(f.read())
            else:
                kind = "p"
            lines.append("%s %s %d %016x %o %d %d %d %d %s\n" % (
                kind, rel, size, h, st.st_mode, st.st_uid, st.st_gid,
                int(st.st_mtime), st.st_nlink, target))
    return "".join(lines)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    img = sys.argv[1]
    block = sys.argv[2] if len(sys.argv) == 3 else "1024"
    here = os.path.dirname(os.path.abspath(__file__))
    tmp = tempfile.mkdtemp(prefix="ferrite-ext4t-")
    try:
        root = os.path.join(tmp, "tree")
        os.mkdir(root)
        build(root)
        m = manifest(root)  # MANIFEST does not list itself
        with open(os.path.join(root, "MANIFEST"), "w") as f:
            f.write(m)
        env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/sbin:/usr/sbin")
        subprocess.run([os.path.join(here, "mkdisk.sh"), "-s", "8", "-b", block, root, img],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        subprocess.run(["tune2fs", "-L", "ferrite-ext4t", img], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        r = subprocess.run(["e2fsck", "-fyD", img], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, env=env)
        if r.returncode > 1:
            print("e2fsck -fyD failed: %d" % r.returncode, file=sys.stderr)
            return 1
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
