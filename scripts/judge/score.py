#!/usr/bin/env python3
"""Score a judge run's console log (docs/judge.md).

Reads the group markers ("#### OS COMP TEST GROUP START name ####" ... END),
the result lines "testcase GROUP CASE success|fail", the micro-benchmarks'
"bench NAME VALUE UNIT" lines and the runner's "[judge]" timing lines, and
prints one row per group: passed/total and wall time, for Ferrite and (with
--linux LOG) Linux side by side, then the benchmark numbers.

Exit status 1 when the Ferrite run is incomplete (a group without its END,
no group at all) or, with --linux, when a case that passes under Linux does
not pass under Ferrite (missing counts as not passing).

Usage: score.py FERRITE.log [--linux LINUX.log] [--title TEXT]
"""
import argparse
import re
import sys

START = re.compile(r"#### OS COMP TEST GROUP START (\S+) ####")
END = re.compile(r"#### OS COMP TEST GROUP END (\S+) ####")
CASE = re.compile(r"^testcase (\S+) (.*) (success|fail)\b")
BENCH = re.compile(r"^bench (\S+) ([0-9.]+) (\S+)")
RUNNING = re.compile(r"^\[judge\] running (\S+)")
DONE = re.compile(r"^\[judge\] (\S+): (?:exit \d+|ended by signal \d+) after ([0-9.]+) s")
KILLED = re.compile(r"^\[judge\] (\S+): killed after")
FIRST = re.compile(r"^\[judge\] boot to first testcode: ([0-9.]+) s")
HOST_FIRST = re.compile(r"^\[host\] QEMU start to first testcode: ([0-9.]+) s")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Run:
    def __init__(self, path):
        self.groups = {}      # name -> {"cases": {case: ok}, "ended": bool, "time": s}
        self.order = []
        self.bench = {}       # "group/name" -> (value, unit)
        self.first = None
        self.host_first = None
        self.killed = []
        self.problems = []    # "INCOMPLETE ..." lines run.sh added (e2fsck)
        self.parse(path)

    def group(self, name):
        if name not in self.groups:
            self.groups[name] = {"cases": {}, "ended": False, "time": None}
            self.order.append(name)
        return self.groups[name]

    def parse(self, path):
        current = None
        script_groups = []    # groups started by the script now running
        with open(path, errors="replace") as f:
            for raw in f:
                line = ANSI.sub("", raw).replace("\r", "").rstrip("\n")
                # A marker may follow other output on the same console line.
                m = START.search(line)
                if m:
                    current = m.group(1)
                    self.group(current)
                    script_groups.append(current)
                    continue
                m = END.search(line)
                if m:
                    self.group(m.group(1))["ended"] = True
                    current = None
                    continue
                m = RUNNING.match(line)
                if m:
                    script_groups = []
                    continue
                m = DONE.match(line)
                if m:
                    for g in script_groups:
                        self.groups[g]["time"] = float(m.group(2))
                    continue
                if line.startswith("INCOMPLETE "):
                    self.problems.append(line[len("INCOMPLETE "):])
                    continue
                m = KILLED.match(line)
                if m:
                    self.killed.append(m.group(1))
                    continue
                m = FIRST.match(line)
                if m:
                    self.first = float(m.group(1))
                    continue
                m = HOST_FIRST.match(line)
                if m:
                    self.host_first = float(m.group(1))
                    continue
                m = CASE.match(line.strip())
                if m and current:
                    case = m.group(1) + " " + re.sub(r" \(status \d+\)$", "", m.group(2))
                    ok = m.group(3) == "success"
                    cases = self.groups[current]["cases"]
                    # A case reported twice (a crash after its line) counts once, as failed if either failed.
                    cases[case] = cases.get(case, True) and ok
                    continue
                m = BENCH.match(line.strip())
                if m and current:
                    self.bench[current + "/" + m.group(1)] = (float(m.group(2)), m.group(3))


def cell(run, g):
    if run is None:
        return "", ""
    if g not in run.groups:
        return "absent", ""
    info = run.groups[g]
    cases = info["cases"]
    passed = sum(1 for ok in cases.values() if ok)
    text = "%d/%d" % (passed, len(cases)) + ("" if info["ended"] else " (no END)")
    t = "%.2f s" % info["time"] if info["time"] is not None else "-"
    return text, t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ferrite")
    ap.add_argument("--linux")
    ap.add_argument("--title", default="judge run")
    args = ap.parse_args()

    fer = Run(args.ferrite)
    lin = Run(args.linux) if args.linux else None
    groups = list(fer.order)
    if lin:
        groups += [g for g in lin.order if g not in groups]

    print("== %s" % args.title)
    head = "%-18s %-16s %-10s" % ("group", "Ferrite", "time")
    if lin:
        head += " %-16s %-10s" % ("Linux", "time")
    print(head)
    for g in groups:
        row = "%-18s %-16s %-10s" % ((g,) + cell(fer, g))
        if lin:
            row += " %-16s %-10s" % cell(lin, g)
        print(row)
    first = "boot to first testcode: Ferrite %s" % ("%.2f s" % fer.first if fer.first is not None else "-")
    if lin:
        first += ", Linux %s" % ("%.2f s" % lin.first if lin.first is not None else "-")
    print(first)
    if fer.host_first is not None or (lin and lin.host_first is not None):
        hf = "QEMU start to first testcode (host wall time): Ferrite %s" % (
            "%.2f s" % fer.host_first if fer.host_first is not None else "-")
        if lin:
            hf += ", Linux %s" % ("%.2f s" % lin.host_first if lin.host_first is not None else "-")
        print(hf)
    if fer.bench:
        print("%-34s %-18s %s" % ("benchmark", "Ferrite", "Linux" if lin else ""))
        for k in sorted(fer.bench):
            v, unit = fer.bench[k]
            other = ""
            if lin and k in lin.bench:
                other = "%.2f %s" % lin.bench[k]
            print("%-34s %-18s %s" % (k, "%.2f %s" % (v, unit), other))

    bad = []
    for k in fer.killed:
        print("Ferrite: %s was killed at its time limit" % k)
    if not fer.groups:
        bad.append("Ferrite printed no test group")
    bad += fer.problems
    for g in fer.order:
        if not fer.groups[g]["ended"]:
            bad.append("Ferrite: group %s has no END marker" % g)
    if lin:
        for g in lin.order:
            for case, ok in lin.groups[g]["cases"].items():
                if not ok:
                    continue
                fok = fer.groups.get(g, {"cases": {}})["cases"].get(case)
                if not fok:
                    bad.append("%s: '%s' passes under Linux, %s under Ferrite" %
                               (g, case, "is missing" if fok is None else "fails"))
    for b in bad:
        print("REGRESSION " + b if lin and "passes under Linux" in b else "INCOMPLETE " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
