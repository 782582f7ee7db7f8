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
#define SSTATUS_FS 0x6000
#define SSTATUS_FS_CLEAN 0x4000
#define RVCPU_KSTACK_TOP 0
#define RVCPU_SCRATCH 8
#define RVCPU_CPU 16
#define RVCPU_FP_OWNER 32
#define EXC_ECALL_U 8

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
	addi	sp, sp, -TF_SIZE
	sd	x1, TF_REG(1)(sp)
	sd	x3, TF_REG(3)(sp)
	sd	x4, TF_REG(4)(sp)
	sd	x5, TF_REG(5)(sp)
	sd	x6, TF_REG(6)(sp)
	sd	x7, TF_REG(7)(sp)
	sd	x8, TF_REG(8)(sp)
	sd	x9, TF_REG(9)(sp)
	sd	x10, TF_REG(10)(sp)
	sd	x11, TF_REG(11)(sp)
	sd	x12, TF_REG(12)(sp)
	sd	x13, TF_REG(13)(sp)
	sd	x14, TF_REG(14)(sp)
	sd	x15, TF_REG(15)(sp)
	sd	x16, TF_REG(16)(sp)
	sd	x17, TF_REG(17)(sp)
	sd	x18, TF_REG(18)(sp)
	sd	x19, TF_REG(19)(sp)
	sd	x20, TF_REG(20)(sp)
	sd	x21, TF_REG(21)(sp)
	sd	x22, TF_REG(22)(sp)
	sd	x23, TF_REG(23)(sp)
	sd	x24, TF_REG(24)(sp)
	sd	x25, TF_REG(25)(sp)
	sd	x26, TF_REG(26)(sp)
	sd	x27, TF_REG(27)(sp)
	sd	x28, TF_REG(28)(sp)
	sd	x29, TF_REG(29)(sp)
	sd	x30, TF_REG(30)(sp)
	sd	x31, TF_REG(31)(sp)
	addi	t0, sp, TF_SIZE
	sd	t0, TF_REG(2)(sp)
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
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
	ld	x1, TF_REG(1)(sp)
	ld	x3, TF_REG(3)(sp)
	ld	x4, TF_REG(4)(sp)
	ld	x5, TF_REG(5)(sp)
	ld	x6, TF_REG(6)(sp)
	ld	x7, TF_REG(7)(sp)
	ld	x8, TF_REG(8)(sp)
	ld	x9, TF_REG(9)(sp)
	ld	x10, TF_REG(10)(sp)
	ld	x11, TF_REG(11)(sp)
	ld	x12, TF_REG(12)(sp)
	ld	x13, TF_REG(13)(sp)
	ld	x14, TF_REG(14)(sp)
	ld	x15, TF_REG(15)(sp)
	ld	x16, TF_REG(16)(sp)
	ld	x17, TF_REG(17)(sp)
	ld	x18, TF_REG(18)(sp)
	ld	x19, TF_REG(19)(sp)
	ld	x20, TF_REG(20)(sp)
	ld	x21, TF_REG(21)(sp)
	ld	x22, TF_REG(22)(sp)
	ld	x23, TF_REG(23)(sp)
	ld	x24, TF_REG(24)(sp)
	ld	x25, TF_REG(25)(sp)
	ld	x26, TF_REG(26)(sp)
	ld	x27, TF_REG(27)(sp)
	ld	x28, TF_REG(28)(sp)
	ld	x29, TF_REG(29)(sp)
	ld	x30, TF_REG(30)(sp)
	ld	x31, TF_REG(31)(sp)
	addi	sp, sp, TF_SIZE
	sret

from_user:
	/* tp = struct rv_cpu *, sscratch = user tp */
	sd	sp, RVCPU_SCRATCH(tp)
	ld	sp, RVCPU_KSTACK_TOP(tp)
	addi	sp, sp, -TF_SIZE
	sd	x1, TF_REG(1)(sp)
	sd	x3, TF_REG(3)(sp)
	sd	x5, TF_REG(5)(sp)
	sd	x6, TF_REG(6)(sp)
	sd	x7, TF_REG(7)(sp)
	sd	x8, TF_REG(8)(sp)
	sd	x9, TF_REG(9)(sp)
	sd	x10, TF_REG(10)(sp)
	sd	x11, TF_REG(11)(sp)
	sd	x12, TF_REG(12)(sp)
	sd	x13, TF_REG(13)(sp)
	sd	x14, TF_REG(14)(sp)
	sd	x15, TF_REG(15)(sp)
	sd	x16, TF_REG(16)(sp)
	sd	x17, TF_REG(17)(sp)
	sd	x18, TF_REG(18)(sp)
	sd	x19, TF_REG(19)(sp)
	sd	x20, TF_REG(20)(sp)
	sd	x21, TF_REG(21)(sp)
	sd	x22, TF_REG(22)(sp)
	sd	x23, TF_REG(23)(sp)
	sd	x24, TF_REG(24)(sp)
	sd	x25, TF_REG(25)(sp)
	sd	x26, TF_REG(26)(sp)
	sd	x27, TF_REG(27)(sp)
	sd	x28, TF_REG(28)(sp)
	sd	x29, TF_REG(29)(sp)
	sd	x30, TF_REG(30)(sp)
	sd	x31, TF_REG(31)(sp)
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
	fsd	f0, TF_FREGS + 0(sp)
	fsd	f1, TF_FREGS + 8(sp)
	fsd	f2, TF_FREGS + 16(sp)
	fsd	f3, TF_FREGS + 24(sp)
	fsd	f4, TF_FREGS + 32(sp)
	fsd	f5, TF_FREGS + 40(sp)
	fsd	f6, TF_FREGS + 48(sp)
	fsd	f7, TF_FREGS + 56(sp)
	fsd	f8, TF_FREGS + 64(sp)
	fsd	f9, TF_FREGS + 72(sp)
	fsd	f10, TF_FREGS + 80(sp)
	fsd	f11, TF_FREGS + 88(sp)
	fsd	f12, TF_FREGS + 96(sp)
	fsd	f13, TF_FREGS + 104(sp)
	fsd	f14, TF_FREGS + 112(sp)
	fsd	f15, TF_FREGS + 120(sp)
	fsd	f16, TF_FREGS + 128(sp)
	fsd	f17, TF_FREGS + 136(sp)
	fsd	f18, TF_FREGS + 144(sp)
	fsd	f19, TF_FREGS + 152(sp)
	fsd	f20, TF_FREGS + 160(sp)
	fsd	f21, TF_FREGS + 168(sp)
	fsd	f22, TF_FREGS + 176(sp)
	fsd	f23, TF_FREGS + 184(sp)
	fsd	f24, TF_FREGS + 192(sp)
	fsd	f25, TF_FREGS + 200(sp)
	fsd	f26, TF_FREGS + 208(sp)
	fsd	f27, TF_FREGS + 216(sp)
	fsd	f28, TF_FREGS + 224(sp)
	fsd	f29, TF_FREGS + 232(sp)
	fsd	f30, TF_FREGS + 240(sp)
	fsd	f31, TF_FREGS + 248(sp)
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
	ld	x1, TF_REG(1)(sp)
	ld	x3, TF_REG(3)(sp)
	ld	x4, TF_REG(4)(sp)
	ld	x5, TF_REG(5)(sp)
	ld	x6, TF_REG(6)(sp)
	ld	x7, TF_REG(7)(sp)
	ld	x8, TF_REG(8)(sp)
	ld	x9, TF_REG(9)(sp)
	ld	x10, TF_REG(10)(sp)
	ld	x11, TF_REG(11)(sp)
	ld	x12, TF_REG(12)(sp)
	ld	x13, TF_REG(13)(sp)
	ld	x14, TF_REG(14)(sp)
	ld	x15, TF_REG(15)(sp)
	ld	x16, TF_REG(16)(sp)
	ld	x17, TF_REG(17)(sp)
	ld	x28, TF_REG(28)(sp)
	ld	x29, TF_REG(29)(sp)
	ld	x30, TF_REG(30)(sp)
	ld	x31, TF_REG(31)(sp)
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
	ld	x1, TF_REG(1)(sp)
	ld	x3, TF_REG(3)(sp)
	ld	x4, TF_REG(4)(sp)
	ld	x5, TF_REG(5)(sp)
	ld	x6, TF_REG(6)(sp)
	ld	x7, TF_REG(7)(sp)
	ld	x8, TF_REG(8)(sp)
	ld	x9, TF_REG(9)(sp)
	ld	x10, TF_REG(10)(sp)
	ld	x11, TF_REG(11)(sp)
	ld	x12, TF_REG(12)(sp)
	ld	x13, TF_REG(13)(sp)
	ld	x14, TF_REG(14)(sp)
	ld	x15, TF_REG(15)(sp)
	ld	x16, TF_REG(16)(sp)
	ld	x17, TF_REG(17)(sp)
	ld	x18, TF_REG(18)(sp)
	ld	x19, TF_REG(19)(sp)
	ld	x20, TF_REG(20)(sp)
	ld	x21, TF_REG(21)(sp)
	ld	x22, TF_REG(22)(sp)
	ld	x23, TF_REG(23)(sp)
	ld	x24, TF_REG(24)(sp)
	ld	x25, TF_REG(25)(sp)
	ld	x26, TF_REG(26)(sp)
	ld	x27, TF_REG(27)(sp)
	ld	x28, TF_REG(28)(sp)
	ld	x29, TF_REG(29)(sp)
	ld	x30, TF_REG(30)(sp)
	ld	x31, TF_REG(31)(sp)
	ld	sp, TF_REG(2)(sp)
	sret

/* void hal_context_switch(struct hal_context *prev, struct hal_context *next) */
	.globl hal_context_switch
hal_context_switch:
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
