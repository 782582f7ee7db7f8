/*
 * riscv64 trap entry and exit, kernel context switch.
 *
 * sscratch is 0 while the CPU runs kernel code and points at this CPU's
 * struct rv_cpu while it runs user code, which tells the two trap kinds
 * apart. A user trap saves a struct trap_frame at rv_cpu->kstack_top, the
 * user's FP registers into it when sstatus.FS is Dirty, and calls
 * rv_syscall() (ECALL) or rv_trap_user() (anything else) with tp = struct
 * cpu *. Both leave through rv_user_return(), except a syscall that changed
 * nothing but a0 and has nothing left to do (rv_syscall returns): the short
 * exit reloads only the registers C code may clobber. A kernel trap pushes
 * a trap_frame on the current stack and returns through it.
 * Invariant: the kernel itself runs with sstatus.FS = Off (no FP code).
 */
#include <hal/riscv64/arch_types.h>

#define SSTATUS_SIE 0x2
#define SSTATUS_SPIE 0x20
#define SSTATUS_SPP 0x100
#define SSTATUS_SUM 0x40000
#define SSTATUS_FS 0x6000
#define SSTATUS_FS_CLEAN 0x4000
#define RVCPU_KSTACK_TOP 0
#define RVCPU_SCRATCH 8
#define RVCPU_CPU 16
#define RVCPU_FP_OWNER 32
#define EXC_ECALL_U 8
#define CPU_ID 0		/* struct cpu, struct task: checked in trap.c */
#define CPU_CURRENT 8
#define TASK_KSTACK 0
#define RV_EMERGENCY_SHIFT 13	/* RV_EMERGENCY_STACK_SIZE */

/* Register lists for the macros below: t0-t2, s0-s1 and a0-a7 (5-17),
 * the callee-saved s2-s11 (18-27), t3-t6 (28-31). */
#define REGS_5_TO_17 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
#define REGS_18_TO_27 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
#define REGS_28_TO_31 28, 29, 30, 31

/* Store (SAVE_REGS) or load (LOAD_REGS) the listed x registers at their
 * trap-frame slots from sp. */
.macro SAVE_REGS regs:vararg
	.irp n, \regs
	sd	x\n, TF_REG(\n)(sp)
	.endr
.endm

.macro LOAD_REGS regs:vararg
	.irp n, \regs
	ld	x\n, TF_REG(\n)(sp)
	.endr
.endm

/* Store the FP registers into the trap frame at sp (FS must not be Off). */
.macro SAVE_FP
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fsd	f\n, TF_FREGS + \n * 8(sp)
	.endr
.endm

/*
 * Load the FP registers from the trap frame at sp and record it as this
 * CPU's FP owner (rvcpu: struct rv_cpu *). In: t0 = the frame's sstatus,
 * t1 = SSTATUS_FS. Out: t0 with FS = Clean. Clobbers t1, t2.
 */
.macro LOAD_FP rvcpu
	sd	sp, RVCPU_FP_OWNER(\rvcpu)	/* the FP registers are tf's now */
	csrs	sstatus, t1
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	fld	f\n, TF_FREGS + \n * 8(sp)
	.endr
	ld	t2, TF_FCSR(sp)
	fscsr	t2
	not	t1, t1
	and	t0, t0, t1
	li	t1, SSTATUS_FS_CLEAN
	or	t0, t0, t1
.endm

	.option arch, +d
	.text
	.align 4
	.globl rv_trap_vector
rv_trap_vector:
	csrrw	tp, sscratch, tp
	bnez	tp, from_user

	/* From the kernel: put tp back, sscratch = 0 again. */
	csrrw	tp, sscratch, tp
	/* Kernel stack overflow: the frame would reach below the current
	 * task's stack (tp = struct cpu *, its current task's kstack; the
	 * page below is a guard, src/proc/task.c). t0 rests in sscratch for
	 * these few instructions, which cannot fault. */
	csrw	sscratch, t0
	beqz	tp, 1f				/* early boot: no struct cpu yet */
	ld	t0, CPU_CURRENT(tp)
	beqz	t0, 1f
	ld	t0, TASK_KSTACK(t0)
	beqz	t0, 1f
	sub	t0, sp, t0			/* sp - kstack */
	addi	t0, t0, 2047
	addi	t0, t0, 4096 - TF_SIZE - 2047	/* + PAGE_SIZE - TF_SIZE */
	srli	t0, t0, 12
	beqz	t0, kernel_stack_overflow	/* kstack - PAGE <= sp - TF_SIZE < kstack */
1:	csrrw	t0, sscratch, zero
kernel_trap_save:
	addi	sp, sp, -TF_SIZE
	SAVE_REGS 1, 3, 4, REGS_5_TO_17, REGS_18_TO_27, REGS_28_TO_31
	addi	t0, sp, TF_SIZE
	sd	t0, TF_REG(2)(sp)
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	/* SUM off: a trap inside a user copy must not run with user memory
	 * open (x86_64's clac at entry); sret restores the saved sstatus. */
	li	t1, SSTATUS_SUM
	csrc	sstatus, t1
	csrr	t0, stval
	sd	t0, TF_STVAL(sp)
	csrr	t0, scause
	sd	t0, TF_SCAUSE(sp)
	mv	a0, sp
	call	rv_trap_kernel
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)
	csrw	sstatus, t0
	LOAD_REGS 1, 3, 4, REGS_5_TO_17, REGS_18_TO_27, REGS_28_TO_31
	addi	sp, sp, TF_SIZE
	sret

/* This hart's emergency stack (wx.c; gp is free in the kernel, which is
 * built without relaxation): the old sp in its top word, then the frame as
 * for any kernel trap; rv_trap_kernel reports and panics. */
kernel_stack_overflow:
	lwu	t0, CPU_ID(tp)
	addi	t0, t0, 1
	slli	t0, t0, RV_EMERGENCY_SHIFT
	lla	gp, rv_emergency_stacks
	add	t0, t0, gp
	sd	sp, -8(t0)
	addi	sp, t0, -16
	csrrw	t0, sscratch, zero
	j	kernel_trap_save

from_user:
	/* tp = struct rv_cpu *, sscratch = user tp */
	sd	sp, RVCPU_SCRATCH(tp)
	ld	sp, RVCPU_KSTACK_TOP(tp)
	addi	sp, sp, -TF_SIZE
	SAVE_REGS 1, 3, REGS_5_TO_17, REGS_18_TO_27, REGS_28_TO_31
	ld	t0, RVCPU_SCRATCH(tp)
	sd	t0, TF_REG(2)(sp)
	csrrw	t0, sscratch, zero	/* user tp; sscratch = 0: in the kernel */
	sd	t0, TF_REG(4)(sp)
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	csrr	t1, sstatus
	sd	t1, TF_SSTATUS(sp)
	csrr	t0, stval
	sd	t0, TF_STVAL(sp)
	csrr	t3, scause		/* kept for the dispatch below */
	sd	t3, TF_SCAUSE(sp)

	/* Save the FP state when the user changed it since the last save. */
	li	t0, SSTATUS_FS
	and	t2, t1, t0
	bne	t2, t0, 1f
	SAVE_FP
	frcsr	t2
	sd	t2, TF_FCSR(sp)
	li	t2, ~SSTATUS_FS
	and	t1, t1, t2
	li	t2, SSTATUS_FS_CLEAN
	or	t1, t1, t2
	sd	t1, TF_SSTATUS(sp)
1:	csrc	sstatus, t0

	mv	s1, tp			/* struct rv_cpu *, for the short exit */
	ld	tp, RVCPU_CPU(tp)
	li	s0, 0			/* ends backtraces here */
	li	t0, EXC_ECALL_U
	beq	t3, t0, syscall_from_user
	mv	a0, sp
	call	rv_trap_user
1:	j	1b

syscall_from_user:
	/* a0-a5 still hold the arguments and a7 the number. */
	mv	a6, sp
	call	rv_syscall		/* returns only for the short exit */
	/*
	 * The short exit: only a0 and sepc changed in the frame, interrupts
	 * are off. The C code kept s1-s11 (callee-saved), so reload just the
	 * rest. s1 still holds the rv_cpu of the CPU the syscall started on.
	 * Guard: the task is still on that CPU (it may have slept and moved).
	 */
	ld	t0, RVCPU_CPU(s1)
	bne	t0, tp, moved_cpu
	/*
	 * The FP registers: nothing to do when they still hold this task's
	 * values: they did at entry (saved to tf when Dirty), the kernel never
	 * uses them, and no other task's were loaded on this CPU since
	 * (fp_owner). Else (the task slept and another ran) load them, unless
	 * FS is Off.
	 */
	ld	t0, TF_SSTATUS(sp)
	ld	t2, RVCPU_FP_OWNER(s1)
	beq	t2, sp, 1f
	li	t1, SSTATUS_FS
	and	t2, t0, t1
	beqz	t2, 1f
	LOAD_FP s1			/* another task's are loaded */
1:	csrw	sscratch, s1
	andi	t0, t0, ~(SSTATUS_SPP | SSTATUS_SIE)
	ori	t0, t0, SSTATUS_SPIE
	csrw	sstatus, t0
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	LOAD_REGS 1, 3, 4, REGS_5_TO_17, REGS_28_TO_31
	ld	sp, TF_REG(2)(sp)
	sret

moved_cpu:
	call	rv_cpu_this
	mv	a1, a0
	mv	a0, sp
	j	rv_user_return

/*
 * void rv_user_return(struct trap_frame *tf, struct rv_cpu *rvcpu)
 * Interrupts off. Restores everything from tf and enters user mode.
 */
	.globl rv_user_return
rv_user_return:
	csrci	sstatus, SSTATUS_SIE
	mv	sp, a0
	csrw	sscratch, a1
	ld	t0, TF_SSTATUS(sp)
	li	t1, SSTATUS_FS
	and	t2, t0, t1
	beqz	t2, 1f
	LOAD_FP a1
1:	li	t1, SSTATUS_SPP | SSTATUS_SIE
	not	t1, t1
	and	t0, t0, t1
	ori	t0, t0, SSTATUS_SPIE
	csrw	sstatus, t0
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	LOAD_REGS 1, 3, 4, REGS_5_TO_17, REGS_18_TO_27, REGS_28_TO_31
	ld	sp, TF_REG(2)(sp)
	sret

/* void rv_context_switch(struct hal_context *prev, struct hal_context *next)
 * (hal_context_switch in context.c first settles FP ownership). */
	.globl rv_context_switch
rv_context_switch:
	sd	ra, CTX_RA(a0)
	sd	sp, CTX_SP(a0)
	sd	s0, CTX_S(0)(a0)
	sd	s1, CTX_S(1)(a0)
	sd	s2, CTX_S(2)(a0)
	sd	s3, CTX_S(3)(a0)
	sd	s4, CTX_S(4)(a0)
	sd	s5, CTX_S(5)(a0)
	sd	s6, CTX_S(6)(a0)
	sd	s7, CTX_S(7)(a0)
	sd	s8, CTX_S(8)(a0)
	sd	s9, CTX_S(9)(a0)
	sd	s10, CTX_S(10)(a0)
	sd	s11, CTX_S(11)(a0)
	ld	ra, CTX_RA(a1)
	ld	sp, CTX_SP(a1)
	ld	s0, CTX_S(0)(a1)
	ld	s1, CTX_S(1)(a1)
	ld	s2, CTX_S(2)(a1)
	ld	s3, CTX_S(3)(a1)
	ld	s4, CTX_S(4)(a1)
	ld	s5, CTX_S(5)(a1)
	ld	s6, CTX_S(6)(a1)
	ld	s7, CTX_S(7)(a1)
	ld	s8, CTX_S(8)(a1)
	ld	s9, CTX_S(9)(a1)
	ld	s10, CTX_S(10)(a1)
	ld	s11, CTX_S(11)(a1)
	ret

/* First code of a new kernel thread: s1 = fn, s2 = arg (context.c). */
	.globl rv_kthread_start
rv_kthread_start:
	csrsi	sstatus, SSTATUS_SIE
	mv	a0, s2
	jalr	s1
1:	wfi
	j	1b
