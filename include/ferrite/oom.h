/*
 * The out-of-memory killer (src/proc/oom.c, docs/reliability.md).
 */
#pragma once

/* A user page fault of current found no free frame. When memory is really
 * short, SIGKILL the process with the largest resident set (not pid 1),
 * or wait for the one already dying; 0: retry the fault. -ENOMEM when
 * memory is not short (an injected failure) or nobody but init is left:
 * the caller signals the fault as before. */
int oom_fault(void);
