#!/usr/bin/env python3
"""Per-symbol instructions per operation from two insn-profile runs.

profile-report.py --nm NM --ops N --kernel ELF --user ELF BASE.prof MORE.prof

Each .prof line is "vaddr insns execs" for one translation block
(scripts/bench/insn-profile.c). MORE ran N operations more than BASE, so
(MORE - BASE) / N is the cost of one operation. Blocks are attributed to
the symbol containing their first address: the kernel's symbols, else the
benchmark program's (static, so its addresses are fixed), else a bucket
("vdso/other user" or "other kernel").
"""
import argparse
import bisect
import collections
import subprocess


def symbols(nm, elf):
    lines = subprocess.run([nm, "-n", "--defined-only", elf], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    addrs, names = [], []
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def load(path):
    counts = collections.Counter()
    with open(path) as f:
        for line in f:
            vaddr, insns, execs = line.split()
            counts[int(vaddr, 16)] += int(insns) * int(execs)
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--ops", type=int, required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("base")
    ap.add_argument("more")
    a = ap.parse_args()

    kaddrs, knames = symbols(a.nm, a.kernel)
    uaddrs, unames = symbols(a.nm, a.user)
    kernel_low = kaddrs[0] if kaddrs else 1 << 63

    def name_of(addr):
        if addr >= kernel_low:
            i = bisect.bisect_right(kaddrs, addr) - 1
            return ("k " + knames[i]) if i >= 0 else "k ?"
        i = bisect.bisect_right(uaddrs, addr) - 1
        if 0 <= i and addr - uaddrs[i] < 1 << 20 and addr < uaddrs[-1] + (1 << 20):
            return "u " + unames[i]
        return "u (vdso or other program)"

    diff = load(a.more)
    diff.subtract(load(a.base))
    per = collections.Counter()
    for addr, n in diff.items():
        per[name_of(addr)] += n
    total = sum(per.values())
    kern = sum(n for s, n in per.items() if s.startswith("k "))
    print(f"instructions per operation: {total / a.ops:.1f} "
          f"(kernel {kern / a.ops:.1f}, user {(total - kern) / a.ops:.1f}) over {a.ops} ops")
    for sym, n in per.most_common(a.top):
        if abs(n) / a.ops < 0.05:
            break
        print(f"{n / a.ops:10.1f}  {sym}")


if __name__ == "__main__":
    main()
