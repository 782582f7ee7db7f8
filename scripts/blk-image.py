#!/usr/bin/env python3
"""The scratch disk of the guest test user/tests/blk.c.

  blk-image.py make IMAGE    write an 8 MiB image holding the pattern orig()
  blk-image.py check IMAGE   after the guest run: every byte the test wrote
                             (WRITES, in step with blk.c) holds ~orig(),
                             every other byte still orig(). Exit 1 otherwise.
"""
import sys

SIZE = 8 << 20
MIB = 1 << 20
# Keep in step with user/tests/blk.c (writes[] and the four children).
WRITES = [(2 * MIB, 8192), (3 * MIB + 123, 1000), (4 * MIB + 500, 100), (5 * MIB + 7, 1),
          (SIZE - 300, 300)] + [(6 * MIB + k * 262144 + 11 * k, 100000) for k in range(4)]


def orig_image():
    sector = bytes(range(256)) * 2 + bytes(range(256))  # j & 0xff for j < 768
    out = bytearray(SIZE)
    for s in range(SIZE // 512):
        base = (s * 7) & 0xff
        out[s * 512:(s + 1) * 512] = sector[base:base + 512]
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        sys.exit(__doc__)
    want = orig_image()
    if sys.argv[1] == "make":
        with open(sys.argv[2], "wb") as f:
            f.write(want)
        return
    for off, length in WRITES:
        want[off:off + length] = bytes(b ^ 0xff for b in want[off:off + length])
    with open(sys.argv[2], "rb") as f:
        got = f.read()
    if len(got) != SIZE:
        sys.exit(f"{sys.argv[2]}: {len(got)} bytes, want {SIZE}")
    if got != want:
        bad = next(i for i in range(SIZE) if got[i] != want[i])
        sys.exit(f"{sys.argv[2]}: byte {bad} is {got[bad]:#x}, want {want[bad]:#x}")
    print(f"{sys.argv[2]}: the guest's writes are on the disk, nothing else changed")


if __name__ == "__main__":
    main()
