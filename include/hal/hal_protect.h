/*
 * Kernel self-protection features of the CPU (docs/reliability.md).
 * x86_64: SMEP, SMAP, UMIP from CPUID, turned on by src/arch/x86_64/
 * protect.c at boot (each CPU must call it). riscv64: sstatus.SUM is
 * clear outside the user-copy routines, and S-mode never executes a
 * user page, on every hart (src/arch/riscv64/protect.c).
 */
#pragma once
#include <ferrite/types.h>

#define HAL_PROTECT_SMAP 0x1 /* kernel loads/stores to user pages fault outside uaccess */
#define HAL_PROTECT_SMEP 0x2 /* kernel execution of a user page faults */
#define HAL_PROTECT_UMIP 0x4 /* sgdt/sidt/sldt/smsw/str fault in user mode */

/* The features in force on this CPU. */
unsigned hal_protections(void);

/* Portable (src/proc/protect.c): the kernel touched (exec: executed) user
 * address addr at pc outside the user-copy routines and the CPU stopped
 * it. Reports it and kills the current task; never returns. */
void kernel_user_fault(uintptr_t addr, uintptr_t pc, bool exec) __attribute__((noreturn));
