#!/usr/bin/env python3
"""Read the logs of scripts/bench/run.sh; print one table per architecture
and write docs/benchmarks.md plus a PNG bar chart of the Ferrite/Linux ratios
(gnuplot).

Usage: report.py OUTDIR DOC.md CHART.png
  OUTDIR is BUILD/bench: logs/ARCH-KERNEL-{icount,memory,wall-N}.log (+ .cmd),
  versions.txt. Lines read: "BENCH name value unit [extra]" and
  "BENCH_WALL_TOTAL seconds s". scripts/bench/notes.md, when present, is
  appended to the document as the analysis.
"""
import glob
import math
import os
import re
import statistics
import subprocess
import sys

ARCHES = ["x86_64", "riscv64"]
# (name, label, kind): kind "cost" = lower is better, ratio target 0.5;
# "rate" = higher is better (ratio of costs = Linux/Ferrite); "port" =
# Ferrite-only, absolute target.
BENCHES = [
    ("null_syscall", "null syscall (getppid)", "cost"),
    ("clock_gettime", "clock_gettime (glibc)", "cost"),
    ("pipe_pingpong", "pipe ping-pong round trip (1 byte)", "cost"),
    ("futex_pingpong", "futex ping-pong round trip (threads)", "cost"),
    ("port_call_reply", "port call/reply round trip", "port"),
    ("pipe_bandwidth", "pipe bandwidth (64 KiB writes)", "rate"),
    ("yield_pingpong", "sched_yield ping-pong (processes)", "cost"),
    ("sigaction", "sigaction install", "cost"),
    ("sigaction_old", "sigaction install, old action returned", "cost"),
    ("signal_delivery", "signal to handler and return (kill self)", "cost"),
    ("fork_exit_wait", "fork + exit + wait", "cost"),
    ("fork_exec_wait", "fork + execve + wait", "cost"),
    ("thread_create_join", "pthread create + join", "cost"),
    ("msg_pingpong", "SysV msg ping-pong round trip", "cost"),
    ("sem_pingpong", "SysV sem ping-pong round trip", "cost"),
    ("shmat_shmdt", "shmat + shmdt", "cost"),
    ("shmat_touch_shmdt", "shmat + touch a page + shmdt", "cost"),
    ("eventfd_pingpong", "eventfd ping-pong round trip", "cost"),
    ("unix_stream_pingpong", "AF_UNIX stream ping-pong round trip (1 byte)", "cost"),
    ("unix_dgram_pingpong", "AF_UNIX datagram ping-pong round trip (1 byte)", "cost"),
    ("unix_bandwidth", "AF_UNIX stream bandwidth (64 KiB writes)", "rate"),
    ("epoll_wait_1000", "epoll_wait, 1,000 registered, 1 ready", "cost"),
    ("tcp_pingpong", "TCP loopback ping-pong round trip (1 byte)", "cost"),
    ("tcp_bandwidth", "TCP loopback bandwidth (64 KiB writes)", "rate"),
    ("udp_pingpong", "UDP loopback ping-pong round trip (1 byte)", "cost"),
]
COST_TARGET = 0.5
PORT_TARGET = 1500
BOOT_TARGET = 0.1


def parse(path):
    """{name: (value or None, unit)} from one log; None if the log is absent."""
    if not os.path.exists(path):
        return None
    res = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"BENCH (\w+) (\S+)(?: (\S+))?", line)
            if m and not line.startswith("BENCH_"):
                name, val, unit = m.group(1), m.group(2), m.group(3) or ""
                try:
                    res[name] = (float(val), unit)
                except ValueError:
                    res[name] = (None, val)  # unsupported / failed
            m = re.match(r"BENCH_WALL_TOTAL (\S+) s", line)
            if m:
                res["wall_total"] = (float(m.group(1)), "s")
            if line.startswith("BENCH_DONE"):
                res["done"] = (1, "")
            m = re.match(r"BENCH_KERNEL (.*)", line)
            if m:
                res["kernel"] = (None, m.group(1).strip())
    return res


def val(d, name):
    if d and name in d and d[name][0] is not None:
        return d[name][0]
    return None


def fmt(v, unit=""):
    if v is None:
        return "—"
    if unit == "s":
        return "%.1f" % v
    return "{:,}".format(int(round(v)))


def ratio_str(r):
    return "—" if r is None else ("%.2f" % r if r >= 0.1 else "%.3f" % r)


def versions(outdir):
    v = {}
    p = os.path.join(outdir, "versions.txt")
    if os.path.exists(p):
        for line in open(p):
            k, _, rest = line.strip().partition(" ")
            v[k] = rest
    return v


def ferrite_core_size(outdir, arch):
    """Loaded text+data of the Ferrite kernel minus the default initramfs it
    embeds (busybox and every guest test), or None."""
    build = os.path.dirname(os.path.normpath(outdir))
    kernel = os.path.join(build, arch, "kernel")
    cpio = os.path.join(build, arch, "user", "initramfs.cpio")
    tool = "riscv64-linux-gnu-size" if arch == "riscv64" else "size"
    try:
        out = subprocess.run([tool, kernel], capture_output=True, text=True, check=True).stdout
        text, data = (int(x) for x in out.splitlines()[1].split()[:2])
        return text + data - os.path.getsize(cpio)
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return None


def arch_rows(outdir, arch, ver):
    """Rows [label, unit, linux, ferrite, ratio, target, met] and chart data."""
    logs = os.path.join(outdir, "logs")
    L = parse(os.path.join(logs, f"{arch}-linux-icount.log"))
    F = parse(os.path.join(logs, f"{arch}-ferrite-icount.log"))
    Lm = parse(os.path.join(logs, f"{arch}-linux-memory.log"))
    Fm = parse(os.path.join(logs, f"{arch}-ferrite-memory.log"))
    rows, chart = [], []
    for name, label, kind in BENCHES:
        lv, fv = val(L, name), val(F, name)
        unit = "MiB/s" if kind == "rate" else "insns/op"
        r = None
        if kind == "rate" and lv and fv:
            r = lv / fv
        elif kind == "cost" and lv and fv:
            r = fv / lv
        if kind == "port":
            target = "≤ %d insns" % PORT_TARGET
            met = None if fv is None else fv <= PORT_TARGET
            if F and name in F and F[name][0] is None:
                fcell = F[name][1]
            else:
                fcell = fmt(fv)
            rows.append([label, unit, "n/a (no ports)", fcell, "—", target, met])
            if fv is not None and val(L, "futex_pingpong"):
                chart.append((name + " vs futex", fv / val(L, "futex_pingpong")))
            continue
        target = "≤ %.1f×" % COST_TARGET
        met = None if r is None else r <= COST_TARGET
        rows.append([label, unit, fmt(lv), fmt(fv), ratio_str(r), target, met])
        if r is not None:
            chart.append((name, r))
    lb, fb = val(L, "boot_to_init"), val(F, "boot_to_init")
    r = fb / lb if lb and fb else None
    rows.append(["boot: QEMU start to first line of /init", "insns", fmt(lb), fmt(fb),
                 ratio_str(r), "≤ %.1f×" % BOOT_TARGET, None if r is None else r <= BOOT_TARGET])
    if r is not None:
        chart.append(("boot", r))
    ls, fs = ver.get(f"size-linux-{arch}"), ver.get(f"size-ferrite-{arch}")
    ls, fs = (float(ls) if ls else None), (float(fs) if fs else None)
    rows.append(["kernel image as passed to -kernel", "bytes", fmt(ls), fmt(fs),
                 ratio_str(fs / ls if ls and fs else None), "—", None])
    fss = ver.get(f"strippedsize-ferrite-{arch}")
    if fss:
        rows.append(["Ferrite image without symbols/debug info", "bytes", "", fmt(float(fss)),
                     ratio_str(float(fss) / ls if ls else None), "—", None])
    kcore = ferrite_core_size(outdir, arch)
    if kcore:
        rows.append(["Ferrite kernel text+data without its built-in initramfs", "bytes", "",
                     fmt(kcore), ratio_str(kcore / ls if ls else None), "—", None])
    for key, label in (("mem_free", "free memory at the prompt, -m 128M (sysinfo)"),
                       ("meminfo_available", "MemAvailable, -m 128M (/proc/meminfo)")):
        lv, fv = val(Lm, key), val(Fm, key)
        if lv is None and fv is None:
            continue
        rows.append([label, "KiB", fmt(lv), fmt(fv),
                     ratio_str(fv / lv if lv and fv else None), "—", None])
    return rows, chart, L, F


def wall_rows(outdir, arch):
    logs = os.path.join(outdir, "logs")
    runs = {"linux": [], "ferrite": []}
    for k in runs:
        for p in sorted(glob.glob(os.path.join(logs, f"{arch}-{k}-wall-*.log"))):
            d = parse(p)
            if d:
                runs[k].append(d)

    def med(k, name):
        vs = [d[name][0] for d in runs[k] if name in d and d[name][0] is not None]
        return statistics.median(vs) if vs else None

    rows = []
    for name, label, kind in BENCHES + [("wall_total", "whole QEMU run, boot to power-off", "total")]:
        lv, fv = med("linux", name), med("ferrite", name)
        unit = {"rate": "MiB/s", "total": "s"}.get(kind, "ns/op")
        r = None
        if lv and fv:
            r = lv / fv if kind == "rate" else fv / lv
        rows.append([label, unit, fmt(lv, unit), fmt(fv, unit), ratio_str(r)])
    return rows, len(runs["linux"]), len(runs["ferrite"])


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        cells = []
        for c in r:
            cells.append("yes" if c is True else "**no**" if c is False else ("" if c is None else str(c)))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def text_table(header, rows):
    cells = [[("yes" if c is True else "NO" if c is False else "" if c is None else str(c))
              for c in r] for r in [header] + rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in cells)


def chart_png(outdir, charts, png):
    names = []
    for arch in ARCHES:
        for n, _ in charts.get(arch, []):
            if n not in names:
                names.append(n)
    data = os.path.join(outdir, "ratios.dat")
    with open(data, "w") as f:
        f.write("name " + " ".join(ARCHES) + "\n")
        for n in names:
            vals = []
            for arch in ARCHES:
                d = dict(charts.get(arch, []))
                vals.append("%.4f" % d[n] if n in d else "NaN")
            f.write(n.replace(" ", "_") + " " + " ".join(vals) + "\n")
    # The axis reaches the next power of ten below the smallest ratio (boot
    # is far below the others).
    ratios = [r for arch in ARCHES for _, r in charts.get(arch, []) if r and r > 0]
    y_low = 10 ** math.floor(math.log10(min(ratios))) if ratios else 0.01
    script = f"""
set terminal pngcairo size 1400,700 font ",10" noenhanced
set output '{png}'
set title 'Ferrite / Linux, instructions per operation under QEMU -icount (lower is better; port call/reply vs Linux futex round trip)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [{y_low}:*]
set ylabel 'ratio (log scale)'
set xtics rotate by -40 scale 0
set grid ytics
set key top left
set arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead lc rgb 'dark-green' dt 2 lw 2
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb 'black' lw 1
set label 'target 0.5' at graph 0.99, first 0.55 right tc rgb 'dark-green'
plot '{data}' using 2:xtic(1) title columnheader(2) lc rgb '#1f77b4', '' using 3 title columnheader(3) lc rgb '#ff7f0e'
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot failed ({e}); no chart", file=sys.stderr)


def main():
    outdir, doc, png = sys.argv[1:4]
    ver = versions(outdir)
    hdr = ["benchmark", "unit", "Linux", "Ferrite", "Ferrite/Linux", "target", "met"]
    whdr = ["benchmark", "unit", "Linux", "Ferrite", "Ferrite/Linux"]
    md, charts = [], {}
    logs = os.path.join(outdir, "logs")
    for arch in ARCHES:
        if not glob.glob(os.path.join(logs, f"{arch}-*-icount.log")):
            continue
        rows, chart, L, F = arch_rows(outdir, arch, ver)
        charts[arch] = chart
        print(f"\n== {arch}: instructions per operation (QEMU -icount shift=0) ==")
        print(text_table(hdr, rows))
        for k, d in (("Linux", L), ("Ferrite", F)):
            if not d or "done" not in d:
                print(f"warning: {arch} {k}: the run did not complete; see {logs}")
        wrows, nl, nf = wall_rows(outdir, arch)
        print(f"\n== {arch}: TCG wall clock, median of {nl} Linux / {nf} Ferrite runs ==")
        print(text_table(whdr, wrows))
        md.append(f"## {arch}\n")
        md.append(f"Linux: `{ver.get('linux-' + arch, '?')}` "
                  f"(uname: `{(L or {}).get('kernel', (0, '?'))[1]}`); "
                  f"Ferrite: `{ver.get('ferrite-' + arch, '?')}` "
                  f"(uname: `{(F or {}).get('kernel', (0, '?'))[1]}`).\n")
        md.append("Instructions per operation under `-icount shift=0,sleep=off` "
                  "(median of the repetitions):\n")
        md.append(table(hdr, rows) + "\n")
        md.append(f"Secondary figure: TCG wall-clock time (no icount), median of "
                  f"{nl} Linux and {nf} Ferrite runs, interleaved:\n")
        md.append(table(whdr, wrows) + "\n")
        md.append("Exact QEMU command lines (icount run, memory run, wall-clock run):\n")
        md.append("```")
        for k in ("linux", "ferrite"):
            for kind in ("icount", "memory", "wall-1"):
                p = os.path.join(logs, f"{arch}-{k}-{kind}.log.cmd")
                if os.path.exists(p):
                    # Paths as `make bench` has them (BUILD=build).
                    build = os.path.dirname(os.path.normpath(outdir))
                    md.append(open(p).read().strip().replace(build + "/", "build/"))
        md.append("```\n")
    chart_png(outdir, charts, png)

    head = [
        "# Benchmarks: Ferrite against Linux under the same QEMU",
        "",
        "Generated by `make bench` (scripts/bench/run.sh, scripts/bench/report.py); "
        "do not edit by hand — the analysis at the end comes from scripts/bench/notes.md.",
        "",
        f"QEMU: `{ver.get('qemu', '?')}` (the same binary for both kernels).",
        "",
        "## Method",
        "",
        "- One static program, `bench/` (`ferrite-bench`), the same binary under both kernels, "
        "booted from the same initramfs (busybox-static, the benchmark, an init script "
        "`scripts/bench/init.sh`) on the same QEMU machine, memory and flags.",
        "- `-icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm -seed 1 -smp 1`: "
        "the guest's CLOCK_MONOTONIC advances one nanosecond per executed guest instruction "
        "(kernel + user, all processes), so *ns per operation = instructions per operation*. "
        "Idle time is skipped (sleep=off) but still counted by the virtual clock; the "
        "benchmarks never leave the CPU idle. Each figure is the median of the repetitions "
        "after one warm-up repetition; repeated runs give identical numbers.",
        "- Boot: `/init` is the benchmark program itself; its first action is to print the "
        "TSC (x86_64, which QEMU derives from the icount clock) or the `time` CSR (riscv64, "
        "the 10 MHz ACLINT timer driven by the same clock), i.e. virtual nanoseconds since "
        "QEMU started, firmware (SeaBIOS / OpenSBI) included for both kernels alike. Where the "
        "kernel does not let user mode read the counter, CLOCK_MONOTONIC is printed instead "
        "(the log says which); Ferrite's riscv64 CLOCK_MONOTONIC is the `time` CSR from 0.",
        "- Free memory: a separate boot with `-m 128M`, read with sysinfo(2) "
        "(and /proc/meminfo where present) after the settle sleep.",
        "- Ratio = Ferrite / Linux instructions (for bandwidth: Linux MiB/s / Ferrite MiB/s, "
        "i.e. still a cost ratio). Port call/reply has no Linux counterpart; the chart "
        "sets it against Linux's futex round trip, its nearest equivalent.",
        "- `clock_gettime` is what programs see: glibc uses Linux's vDSO (no kernel entry).",
        "",
        "![Ferrite/Linux ratios](benchmarks.png)",
        "",
    ]
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    tail = [open(notes).read()] if os.path.exists(notes) else []
    # The SMP and file-system sections (scripts/bench/smp-report.py and
    # fs-report.py, run after this) stay.
    old = open(doc).read() if os.path.exists(doc) else ""
    for part in ("smp", "fs"):
        begin, end = f"<!-- {part}-begin", f"<!-- {part}-end -->"
        if begin in old and end in old:
            tail = [old[old.index(begin):old.index(end) + len(end)] + "\n"] + tail
    with open(doc, "w") as f:
        f.write("\n".join(head + md + tail) + "\n")
    print(f"\nreport: wrote {doc} and {png}")


if __name__ == "__main__":
    main()
