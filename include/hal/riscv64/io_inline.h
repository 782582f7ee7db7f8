/* riscv64 I/O barriers for hal_io.h: fences that include device I/O. */
#pragma once

static inline void hal_mb(void) { __asm__ volatile("fence iorw, iorw" ::: "memory"); }
static inline void hal_wmb(void) { __asm__ volatile("fence ow, ow" ::: "memory"); }
static inline void hal_rmb(void) { __asm__ volatile("fence ir, ir" ::: "memory"); }
