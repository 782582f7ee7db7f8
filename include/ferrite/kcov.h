/*
 * kcov: per-task coverage of the kernel code a task runs, for the fuzzer
 * (docs/reliability.md). Only the coverage kernels (meson -Dkcov=true,
 * build/kcov-ARCH, made by `make fuzz`) have it: their syscall, fs, ipc,
 * mm, net, proc, block and usync objects are compiled with GCC's
 * -fsanitize-coverage=trace-pc, and /dev/kcov speaks Linux's kcov ABI
 * (open, ioctl KCOV_INIT_TRACE, mmap, ioctl KCOV_ENABLE, area[0] = count,
 * area[1..] = PCs). The release kernels have none of it: the hooks below
 * are empty inlines there.
 */
#pragma once
#include <ferrite/types.h>

struct task;

#define KCOV_INIT_TRACE 0x80086301u /* _IOR('c', 1, unsigned long) */
#define KCOV_ENABLE 0x6364u         /* _IO('c', 100) */
#define KCOV_DISABLE 0x6365u        /* _IO('c', 101) */
#define KCOV_TRACE_PC 0
#define KCOV_TRACE_CMP 1

#ifdef FERRITE_KCOV
/* The task is exiting (itself): stop tracing it, drop its reference. */
void kcov_task_exit(struct task *t);
/* Register the device and make /dev/kcov (vfs_init). */
void kcov_dev_init(void);
#else
static inline void kcov_task_exit(struct task *t) { (void)t; }
static inline void kcov_dev_init(void) {}
#endif
