#!/usr/bin/env python3
"""Write a large initramfs for the boot test of streaming unpacking.

The archive is three members back to back, as Linux accepts them:
  1. an uncompressed cpio archive with the checker (init=/bigrd/check) and
     /bigrd/MANIFEST, one "crc32 size path" line per file, zero-padded,
  2. gzip -9 of a cpio archive of Debian programs taken from this machine's
     /usr/bin (only as data: a few MB of real, compressible binaries),
  3. gzip -1 of a cpio archive of pseudo-random (incompressible) data,
so the whole is well above 8 MiB compressed. The checker reads every file
back and compares its size and CRC-32 with the manifest. (A truncated copy
tests that the boot goes on with what was unpacked: the checker comes
first.)

Usage: mkbigrd.py OUT.cpio.gz CHECKER [--bin-mib N] [--random-mib N]
"""
import argparse
import gzip
import os
import random
import stat
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkinitramfs import Archive, write_atomic  # noqa: E402


def cpio_bytes(archive, tmp):
    archive.write(tmp)
    with open(tmp, "rb") as f:
        data = f.read()
    os.unlink(tmp)
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("checker")
    ap.add_argument("--bin-mib", type=int, default=6)
    ap.add_argument("--random-mib", type=int, default=7)
    args = ap.parse_args()

    manifest = []
    progs = Archive()
    total = 0
    for name in sorted(os.listdir("/usr/bin")):
        path = os.path.join("/usr/bin", name)
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or not 64 << 10 <= st.st_size <= 3 << 20:
            continue
        dest = "bigrd/bin/" + name
        progs.add_file(dest, path)
        with open(path, "rb") as f:
            manifest.append((zlib.crc32(f.read()), st.st_size, dest))
        total += st.st_size
        if total >= args.bin_mib << 20:
            break
    if total < args.bin_mib << 19:
        sys.exit("mkbigrd: too few programs in /usr/bin")

    rnd = Archive()
    gen = random.Random(8)
    for i in range(args.random_mib):
        data = gen.randbytes((1 << 20) + 4099 * i)  # odd sizes: pads
        dest = "bigrd/random/%02d" % i
        rnd.entries[dest] = (stat.S_IFREG | 0o644, data)
        rnd.add_parents(dest)
        manifest.append((zlib.crc32(data), len(data), dest))

    tmp = args.out + ".part"
    plain = Archive()
    plain.add_file("bigrd/check", args.checker)
    text = "".join("%08x %d /%s\n" % m for m in manifest)
    plain.entries["bigrd/MANIFEST"] = (stat.S_IFREG | 0o644, text.encode())

    blob = cpio_bytes(plain, tmp)  # zero-padded to 512 bytes
    blob += gzip.compress(cpio_bytes(progs, tmp), 9, mtime=0)
    blob += gzip.compress(cpio_bytes(rnd, tmp), 1, mtime=0)
    write_atomic(args.out, blob)


if __name__ == "__main__":
    main()
