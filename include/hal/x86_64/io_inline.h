/* x86_64 I/O barriers for hal_io.h. Stores stay in order and loads stay
 * in order (TSO, and uncached device memory is strongly ordered), so only
 * the full barrier needs an instruction. */
#pragma once

static inline void hal_mb(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline void hal_wmb(void) { __asm__ volatile("" ::: "memory"); }
static inline void hal_rmb(void) { __asm__ volatile("" ::: "memory"); }
