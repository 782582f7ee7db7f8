#!/usr/bin/env python3
"""Write the __NR_* macros of the target toolchain's <asm/unistd.h>.

usage: dump-unistd.py CC [CC args...] OUTPUT
"""
import subprocess
import sys

cc, out = sys.argv[1:-1], sys.argv[-1]
defs = subprocess.run(cc + ['-E', '-dM', '-x', 'c', '-'], input='#include <asm/unistd.h>\n',
                      capture_output=True, text=True, check=True).stdout
lines = sorted(l for l in defs.splitlines() if l.startswith('#define __NR_') or l.startswith('#define __NR3264_'))
with open(out, 'w') as f:
    f.write('\n'.join(lines) + '\n')
