#!/usr/bin/env python3
"""Generate the syscall table (or the coverage document) from the Linux UAPI
numbers of one architecture and Ferrite's lists of implemented calls.

usage: gen-syscalls.py table OUT.c ARCH UNISTD_DEFS NEWER_DEFS [--src SRC_ROOT] LIST...
       gen-syscalls.py doc   OUT.md RV_DEFS X86_DEFS NEWER_DEFS LIST...

UNISTD_DEFS are the toolchain's '#define __NR_name value' lines; NEWER_DEFS
(src/syscall/linux-newer.defs) adds the calls of later Linux versions, one
"name riscv64-number x86_64-number" line each ('-' where absent), so every
number Linux defines has its name in the table.

A list line is a syscall name, optionally followed by the handler's name
when it is not sys_<name>, e.g. "newfstatat" or "fstatat sys_newfstatat".
'#' starts a comment. Names the architecture lacks are skipped.
Ferrite's own calls (ports) are listed as "ferrite_NAME NUMBER".

On riscv64 the table also narrows 32-bit arguments. The calling convention
passes an int, unsigned or pid_t sign-extended to 64 bits and the callee
relies on it, but user space may leave anything in a register's upper
half: a handler would then test one value and use another. For every
handler with such a parameter (its definition is found under SRC_ROOT,
given as --src DIR before the lists) the table calls a generated wrapper
that sign-extends them first, as Linux's SYSCALL_DEFINE wrappers do. A
parameter type the script does not know stops the build, so none slips by.
"""
import re
import sys


def parse_defs(path):
    """Return {name: number} from '#define __NR_name value' lines."""
    raw = {}
    for line in open(path):
        # asm-generic (riscv64) defines some calls through __NR3264_x; keep
        # those as '3264_x' so '__NR_fcntl __NR3264_fcntl' resolves.
        m = re.match(r'#define __NR(3264)?_(\w+)\s+(.+)$', line.strip())
        if m:
            raw[('3264_' if m.group(1) else '') + m.group(2)] = m.group(3).strip()
    out = {}

    def resolve(v, depth=0):
        v = v.strip('() ')
        if re.fullmatch(r'\d+', v):
            return int(v)
        m = re.fullmatch(r'__NR_(\w+)\s*\+\s*(\d+)', v)
        if m and depth < 8 and m.group(1) in raw:
            base = resolve(raw[m.group(1)], depth + 1)
            return None if base is None else base + int(m.group(2))
        if v.startswith('__NR_') and v[5:] in raw and depth < 8:
            return resolve(raw[v[5:]], depth + 1)
        if v.startswith('__NR3264_') and '3264_' + v[9:] in raw and depth < 8:
            return resolve(raw['3264_' + v[9:]], depth + 1)
        return None

    for name, val in raw.items():
        if name in ('syscalls', 'arch_specific_syscall') or name.startswith('3264'):
            continue
        n = resolve(val)
        if n is not None and n < 1024:
            out[name] = n
    return out


ARCHES = ('riscv64', 'x86_64')


def add_newer(defs, path, arch):
    """Add the names of path for arch that defs (the headers) lack."""
    col = 1 + ARCHES.index(arch)
    taken = set(defs.values())
    for line in open(path):
        words = line.split('#', 1)[0].split()
        if not words:
            continue
        if len(words) != 1 + len(ARCHES):
            sys.exit(f'{path}: bad line: {line.strip()}')
        if words[col] == '-' or words[0] in defs:
            continue
        n = int(words[col])
        if n in taken:
            sys.exit(f'{path}: {words[0]} {n} clashes with the headers')
        defs[words[0]] = n
        taken.add(n)
    return defs


def parse_lists(paths):
    impl = {}
    ext = {}
    for p in paths:
        for line in open(p):
            line = line.split('#', 1)[0].split()
            if not line:
                continue
            if line[0].startswith('ferrite_'):
                ext[line[0]] = (int(line[1]), 'sys_' + line[0])
            else:
                impl[line[0]] = line[1] if len(line) > 1 else 'sys_' + line[0]
    return impl, ext


# Parameter types as passed in a register: 64-bit ones go through as they
# are; 32-bit ones are sign-extended (the RISC-V convention, also for
# unsigned types).
WIDE_TYPES = {'long', 'unsigned long', 'size_t', 'ssize_t', 'off_t', 'loff_t', 'uintptr_t',
              'uint64_t', 'int64_t', 'dev_t', 'ino_t'}
NARROW_TYPES = {'int', 'unsigned', 'unsigned int', 'pid_t', 'uid_t', 'gid_t', 'mode_t', 'key_t',
                'int32_t', 'uint32_t', 'clockid_t'}


def handler_params(src_root):
    """{handler: [True for each 32-bit parameter]} from the definitions
    'long sys_x(...)' in the C files under src_root."""
    import pathlib
    out = {}
    pat = re.compile(r'^long (sys_\w+)\(([^)]*)\)\s*\{', re.M)
    for path in sorted(pathlib.Path(src_root).rglob('*.c')):
        for m in pat.finditer(path.read_text(errors='replace')):
            params = [' '.join(p.split()) for p in m.group(2).split(',')]
            if params == ['void'] or params == ['']:
                out[m.group(1)] = []
                continue
            kinds = []
            for prm in params:
                if '*' in prm:
                    kinds.append(False)
                    continue
                typ = ' '.join(w for w in prm.replace('const ', '').split()[:-1])
                if typ in WIDE_TYPES:
                    kinds.append(False)
                elif typ in NARROW_TYPES:
                    kinds.append(True)
                else:
                    sys.exit(f'{path}: {m.group(1)}: parameter type "{typ}" unknown to '
                             'gen-syscalls.py (add it to WIDE_TYPES or NARROW_TYPES)')
            out[m.group(1)] = kinds
    return out


def write_wrapper(f, h, kinds):
    """A wrapper that sign-extends h's 32-bit parameters."""
    args = ', '.join(f'unsigned long a{i}' for i in range(6))
    call = ', '.join(f'(unsigned long)(long)(int)a{i}' if i < len(kinds) and kinds[i] else f'a{i}'
                     for i in range(6))
    # No frame of its own: two sign extensions and a tail jump.
    f.write(f'__attribute__((optimize("omit-frame-pointer")))\n'
            f'static long narrow_{h}({args})\n{{\n\treturn ((syscall_fn){h})({call});\n}}\n')


def gen_table(out, arch, defs_path, newer_path, lists):
    src_root = None
    if lists[:1] == ['--src']:
        src_root, lists = lists[1], lists[2:]
    nrs = add_newer(parse_defs(defs_path), newer_path, arch)
    impl, ext = parse_lists(lists)
    by_nr = {}
    for name, n in nrs.items():
        by_nr.setdefault(n, name)
    handlers = sorted({impl[n] for n in impl if n in nrs} | {h for _, h in ext.values()})
    maxnr = max(list(by_nr) + [n for n, _ in ext.values()]) + 1
    with open(out, 'w') as f:
        f.write('/* Generated by scripts/gen-syscalls.py: do not edit. */\n')
        f.write('#include <ferrite/syscall.h>\n\n')
        for h in handlers:
            f.write(f'long {h}();\n')
        narrow = {}
        if arch == 'riscv64' and src_root:
            params = handler_params(src_root)
            missing = [h for h in handlers if h not in params]
            if missing:
                sys.exit(f'gen-syscalls.py: no definition found for {", ".join(missing)}')
            narrow = {h: params[h] for h in handlers if any(params[h])}
            f.write('\n/* 32-bit arguments sign-extended (see scripts/gen-syscalls.py). */\n')
            for h in sorted(narrow):
                write_wrapper(f, h, narrow[h])
        fn = lambda h: f'(syscall_fn){"narrow_" + h if h in narrow else h}'
        f.write(f'\nconst unsigned syscall_table_size = {maxnr};\n')
        f.write('const struct syscall_entry syscall_table[] = {\n')
        for n in range(maxnr):
            name = by_nr.get(n)
            entry = next((e for e, (en, _) in ext.items() if en == n), None)
            if entry:
                f.write(f'\t[{n}] = {{ "{entry[8:]}", {fn(ext[entry][1])} }},\n')
            elif name:
                h = impl.get(name)
                f.write(f'\t[{n}] = {{ "{name}", {fn(h) if h else "0"} }},\n')
        f.write('};\n')


def gen_doc(out, rv_path, x86_path, newer_path, lists):
    rv = add_newer(parse_defs(rv_path), newer_path, 'riscv64')
    x86 = add_newer(parse_defs(x86_path), newer_path, 'x86_64')
    impl, ext = parse_lists(lists)
    names = sorted(set(rv) | set(x86))
    done = [n for n in names if n in impl]
    with open(out, 'w') as f:
        f.write('# Syscall coverage\n\nGenerated by `make docs` (scripts/gen-syscalls.py) from '
                '`src/syscall/*.list`, the Linux UAPI numbers of each toolchain and '
                '`src/syscall/linux-newer.defs` (later Linux versions); do not edit.\n\n')
        f.write(f'{len(done)} of {len(names)} Linux syscall names are implemented. '
                'Every other number returns `-ENOSYS` and is logged once by name.\n\n')
        f.write('| syscall | riscv64 | x86_64 | Ferrite |\n|---|---|---|---|\n')
        for n in names:
            f.write(f'| {n} | {rv.get(n, "—")} | {x86.get(n, "—")} | {"yes" if n in impl else "ENOSYS"} |\n')
        if ext:
            f.write('\n## Ferrite extensions\n\n| syscall | number (both) |\n|---|---|\n')
            for e, (n, _) in sorted(ext.items(), key=lambda x: x[1][0]):
                f.write(f'| {e} | {n} |\n')


if __name__ == '__main__':
    mode = sys.argv[1]
    if mode == 'table':
        gen_table(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    elif mode == 'doc':
        gen_doc(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    else:
        sys.exit(__doc__)
