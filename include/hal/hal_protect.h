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

struct trap_frame;

/* Portable (src/proc/protect.c): the kernel touched (exec: executed) user
 * address addr at pc outside the user-copy routines and the CPU stopped
 * it. Reports it and ends the current task. Returns only for a selftest
 * probe (task->protect_probe), with tf changed to return from it. */
void kernel_user_fault(struct trap_frame *tf, uintptr_t addr, uintptr_t pc, bool exec);

/* Portable: the kernel wrote to its read-only text or rodata, or executed
 * (exec) from its data, heap or direct map, at pc, and the W^X page
 * protections stopped it (src/arch/<arch>/wx.c). As kernel_user_fault. */
void kernel_wx_fault(struct trap_frame *tf, uintptr_t addr, uintptr_t pc, bool exec);

/* Portable: the arch took a fault on its emergency stack (x86_64 #DF,
 * riscv64's overflow check at trap entry) with the kernel's sp at pc: when
 * sp lies in (or at the edge of) the guard page below the current task's
 * stack, report the overflow naming the task and panic; else return. */
void kernel_stack_overflow_check(uintptr_t sp, uintptr_t pc);

/* Selftest probes (src/arch/<arch>/protect.c): a leaf function that loads
 * one word at p; and, for a fault in a probe (or in a function called
 * from one by a plain call, whose return address is still where the call
 * put it), make tf return to the caller with value. */
long hal_probe_read(const void *p);
/* A leaf function that stores v at p. */
void hal_probe_write(void *p, long v);
/* Eight bytes in .data that are a return instruction (then padding), to
 * call from there or from a copy on the heap. */
extern uint8_t hal_probe_data_code[8];
void hal_frame_return_from_probe(struct trap_frame *tf, long value);
