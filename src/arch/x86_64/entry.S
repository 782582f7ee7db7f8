/*
 * x86_64 kernel entry and exit: the 256 interrupt stubs, the SYSCALL entry
 * with its short exit (a syscall that changed only rax, nothing left to do:
 * x86_syscall returns 2), the full return-to-user path every other exit
 * takes, kernel context switch and thread start.
 *
 * Every entry from user mode builds a struct trap_frame (arch_types.h) at
 * the top of the task's kernel stack: interrupts through TSS.rsp0, SYSCALL
 * through the per-CPU kstack_top. GS: swapgs on every entry from and exit
 * to user mode, so in the kernel GS base is always the per-CPU block.
 * Runs with interrupts off except where it says sti.
 */
#define USER_CS 0x33
#define USER_DS 0x2b
#define VEC_SYSCALL 0x100
#define PERCPU_KSTACK_TOP 8
#define PERCPU_USER_RSP 16

/* struct trap_frame offsets (checked in trap.c) */
#define TF_R11 56
#define TF_R10 64
#define TF_R9 72
#define TF_R8 80
#define TF_RAX 88
#define TF_RCX 96
#define TF_RDX 104
#define TF_RSI 112
#define TF_RDI 120
#define TF_CS 160
#define TF_RSP 176

/* Push the general registers below orig_rax, as struct trap_frame. */
.macro PUSH_REGS
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp /* pad */
.endm

.macro POP_REGS
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
.endm

	.text
/* One stub per vector: push a zero error code when the CPU pushes none. */
.macro TRAP_STUB vec
	.align 16
x86_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq $0
	.endif
	pushq $\vec
	jmp x86_trap_common
.endm

.macro STUB_ADDR vec
	.quad x86_stub_\vec
.endm

	.altmacro
	.set vec, 0
	.rept 256
	TRAP_STUB %vec
	.set vec, vec + 1
	.endr

	.section .rodata
	.align 8
	.globl x86_trap_stubs
x86_trap_stubs:
	.set vec, 0
	.rept 256
	STUB_ADDR %vec
	.set vec, vec + 1
	.endr
	.noaltmacro

	.text
/* Stack: vector, error code, hardware frame. */
x86_trap_common:
	testb $3, 24(%rsp)                 /* saved CS: from user mode? */
	jz 1f
	swapgs
	/* NMI, #DF and #MC arrive on their IST stack (gdt.c) even from user
	 * mode: move the frame to the task's kernel stack, where every user
	 * entry builds it (it may sleep and signal from there). */
	cmpq $2, (%rsp)
	je 2f
	cmpq $8, (%rsp)
	je 2f
	cmpq $18, (%rsp)
	jne 1f
2:	pushq %rax                         /* rax, vector, error, 5 hardware words */
	movq %gs:PERCPU_KSTACK_TOP, %rax
	subq $64, %rax
	pushq %rcx
	.irp i, 0, 1, 2, 3, 4, 5, 6, 7
	movq 8+8*\i(%rsp), %rcx
	movq %rcx, 8*\i(%rax)
	.endr
	popq %rcx
	movq %rax, %rsp
	popq %rax
1:	pushq $-1                          /* orig_rax */
	PUSH_REGS
	cld
	/* AC off: an interrupt inside a user copy's stac window (or from
	 * user mode, where AC is the user's) must not run with SMAP open.
	 * iretq restores the interrupted AC. No clac without SMAP (#UD). */
	testb $1, x86_smap_on(%rip)
	jz 3f
	clac
3:
	movq %rsp, %rdi
	call x86_trap
	testb $3, TF_CS(%rsp)
	jnz x86_trap_exit_user
	POP_REGS
	addq $24, %rsp                     /* orig_rax, vector, error code */
	iretq

x86_trap_exit_user:
	cli
	movq %rsp, %rdi
	call trap_exit_to_user
	jmp x86_ret_to_user_rsp

/*
 * SYSCALL: rcx = user rip, r11 = user rflags, IF/DF/TF/AC cleared by FMASK,
 * rsp still the user's. Build the same trap frame an interrupt would.
 */
	.globl x86_syscall_entry
x86_syscall_entry:
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KSTACK_TOP, %rsp
	pushq $USER_DS                     /* ss */
	pushq %gs:PERCPU_USER_RSP          /* rsp */
	pushq %r11                         /* rflags */
	pushq $USER_CS                     /* cs */
	pushq %rcx                         /* rip */
	pushq $0                           /* error code */
	pushq $VEC_SYSCALL                 /* vector */
	pushq %rax                         /* orig_rax */
	PUSH_REGS
	movq %rsp, %rdi
	sti
	call x86_syscall                   /* interrupts off on return */
	cmpl $2, %eax
	jne x86_ret_to_user_checked        /* eax as x86_user_return_check */
	/*
	 * The short exit: only rax changed in tf, and the C code kept rbx, rbp,
	 * r12-r15 (callee-saved), so reload just the rest. rcx == rip and
	 * r11 == rflags as SYSCALL left them.
	 */
	movq TF_R11(%rsp), %r11
	movq TF_R10(%rsp), %r10
	movq TF_R9(%rsp), %r9
	movq TF_R8(%rsp), %r8
	movq TF_RAX(%rsp), %rax
	movq TF_RCX(%rsp), %rcx
	movq TF_RDX(%rsp), %rdx
	movq TF_RSI(%rsp), %rsi
	movq TF_RDI(%rsp), %rdi
	movq TF_RSP(%rsp), %rsp
	swapgs
	sysretq

/* void x86_ret_to_user(struct trap_frame *tf): tf at the kernel stack top,
 * interrupts off, trap_exit_to_user already done. */
	.globl x86_ret_to_user
x86_ret_to_user:
	movq %rdi, %rsp
x86_ret_to_user_rsp:
	movq %rsp, %rdi
	call x86_user_return_check         /* sanitises tf; 1: SYSRET is exact */
x86_ret_to_user_checked:
	testl %eax, %eax
	jz 2f
	/* SYSRET: rcx == rip and r11 == rflags in tf, rip canonical. */
	POP_REGS
	movq 48(%rsp), %rsp                /* user rsp (orig_rax + 48) */
	swapgs
	sysretq
2:	POP_REGS
	addq $24, %rsp
	swapgs
	iretq

/*
 * void x86_switch(struct hal_context *prev, struct hal_context *next)
 * Save the callee-saved registers and rsp in prev, resume next at its rip.
 */
	.globl x86_switch
x86_switch:
	movq %rsp, 0(%rdi)
	leaq 1f(%rip), %rax
	movq %rax, 8(%rdi)
	movq %rbx, 16(%rdi)
	movq %rbp, 24(%rdi)
	movq %r12, 32(%rdi)
	movq %r13, 40(%rdi)
	movq %r14, 48(%rdi)
	movq %r15, 56(%rdi)
	movq 0(%rsi), %rsp
	movq 16(%rsi), %rbx
	movq 24(%rsi), %rbp
	movq 32(%rsi), %r12
	movq 40(%rsi), %r13
	movq 48(%rsi), %r14
	movq 56(%rsi), %r15
	jmpq *8(%rsi)
1:	ret

/* First run of a new context (hal_context_init): r12 = fn, r13 = arg. */
	.globl x86_thread_start
x86_thread_start:
	xorl %ebp, %ebp
	movq %r13, %rdi
	sti
	call *%r12
	ud2

	.section .note.GNU-stack, "", @progbits
