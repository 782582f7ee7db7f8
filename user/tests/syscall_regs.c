/*
 * Registers across system calls, as Linux keeps them: every general
 * register but the result (x86_64: rax, and rcx/r11, which SYSCALL itself
 * overwrites; riscv64: a0) and every FP register come back unchanged, also
 * when the call slept and another process changed its own FP registers on
 * the same CPU meanwhile (the kernel's short syscall exit and its lazy FP
 * reload on riscv64).
 */
#include "common.h"
#include <sys/syscall.h>

#if defined(__x86_64__)
/* rbx rbp r12 r13 r14 r15 rdi rdx r8 r9 r10 rsi; xmm0-xmm15 */
#define NGP 12
#define NFP 32
#elif defined(__riscv) && __riscv_xlen == 64
/* ra t0-t6 s0-s11 a1-a7 (a7 = the number); f0-f31 */
#define NGP 27
#define NFP 32
#else
#error "unknown architecture"
#endif

/* The layout regs_call's assembly uses. */
struct regs {
	unsigned long nr;  /* in: the syscall number (x86_64; riscv64 reads a7) */
	unsigned long ret; /* out: the result */
	unsigned long gp[NGP];
	unsigned long fp[NFP];
};

/* Load every register of in, make the syscall, store every register to out. */
void regs_call(const struct regs *in, struct regs *out);

#if defined(__x86_64__)
__asm__(".text\n"
	".globl regs_call\n"
	"regs_call:\n"
	"	push %rbp\n	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rsi\n" /* out */
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu 112 + \\n * 16(%rdi), %xmm\\n\n"
	"	.endr\n"
	"	movq 0(%rdi), %rax\n"
	"	movq 16(%rdi), %rbx\n	movq 24(%rdi), %rbp\n	movq 32(%rdi), %r12\n"
	"	movq 40(%rdi), %r13\n	movq 48(%rdi), %r14\n	movq 56(%rdi), %r15\n"
	"	movq 72(%rdi), %rdx\n	movq 80(%rdi), %r8\n	movq 88(%rdi), %r9\n"
	"	movq 96(%rdi), %r10\n	movq 104(%rdi), %rsi\n	movq 64(%rdi), %rdi\n"
	"	syscall\n"
	"	push %rax\n"
	"	movq 8(%rsp), %rax\n"
	"	movq %rbx, 16(%rax)\n	movq %rbp, 24(%rax)\n	movq %r12, 32(%rax)\n"
	"	movq %r13, 40(%rax)\n	movq %r14, 48(%rax)\n	movq %r15, 56(%rax)\n"
	"	movq %rdi, 64(%rax)\n	movq %rdx, 72(%rax)\n	movq %r8, 80(%rax)\n"
	"	movq %r9, 88(%rax)\n	movq %r10, 96(%rax)\n	movq %rsi, 104(%rax)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu %xmm\\n, 112 + \\n * 16(%rax)\n"
	"	.endr\n"
	"	popq 8(%rax)\n"
	"	addq $8, %rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n	pop %rbp\n"
	"	ret\n");
#else
__asm__(".text\n"
	".option push\n"
	".option arch, +d\n"
	".globl regs_call\n"
	"regs_call:\n"
	"	addi sp, sp, -128\n"
	"	sd ra, 0(sp)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	sd s\\n, 8 + \\n * 8(sp)\n"
	"	.endr\n"
	"	sd a1, 104(sp)\n" /* out */
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	fld f\\n, 232 + \\n * 8(a0)\n"
	"	.endr\n"
	"	ld ra, 16(a0)\n"
	"	.irp n, 0,1,2,3,4,5,6\n"
	"	ld t\\n, 24 + \\n * 8(a0)\n"
	"	.endr\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	ld s\\n, 80 + \\n * 8(a0)\n"
	"	.endr\n"
	"	ld a2, 184(a0)\n	ld a3, 192(a0)\n	ld a4, 200(a0)\n"
	"	ld a5, 208(a0)\n	ld a6, 216(a0)\n	ld a7, 224(a0)\n"
	"	ld a1, 176(a0)\n"
	"	ecall\n"
	"	sd a1, 112(sp)\n" /* a scratch slot for a1 */
	"	ld a1, 104(sp)\n"
	"	sd a0, 8(a1)\n"
	"	ld a0, 112(sp)\n"
	"	sd a0, 176(a1)\n"
	"	sd ra, 16(a1)\n"
	"	.irp n, 0,1,2,3,4,5,6\n"
	"	sd t\\n, 24 + \\n * 8(a1)\n"
	"	.endr\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	sd s\\n, 80 + \\n * 8(a1)\n"
	"	.endr\n"
	"	sd a2, 184(a1)\n	sd a3, 192(a1)\n	sd a4, 200(a1)\n"
	"	sd a5, 208(a1)\n	sd a6, 216(a1)\n	sd a7, 224(a1)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	fsd f\\n, 232 + \\n * 8(a1)\n"
	"	.endr\n"
	"	ld ra, 0(sp)\n"
	"	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11\n"
	"	ld s\\n, 8 + \\n * 8(sp)\n"
	"	.endr\n"
	"	addi sp, sp, 128\n"
	"	ret\n"
	".option pop\n");
#endif

_Static_assert(__builtin_offsetof(struct regs, gp) == 16, "regs_call layout");
_Static_assert(__builtin_offsetof(struct regs, fp) == 16 + NGP * 8, "regs_call layout");

/* Fill in with values derived from seed, call nr, check everything. */
static void check_call(long nr, unsigned long seed, const char *what)
{
	struct regs in, out;

	memset(&out, 0, sizeof(out));
	in.nr = (unsigned long)nr;
	in.ret = 0;
	for (int i = 0; i < NGP; i++)
		in.gp[i] = seed * 0x9e3779b97f4a7c15UL + (unsigned long)i * 0x0101010101010101UL;
	for (int i = 0; i < NFP; i++)
		in.fp[i] = ~seed * 0xc2b2ae3d27d4eb4fUL + (unsigned long)i * 0x1000100010001UL;
#if defined(__riscv)
	in.gp[NGP - 1] = (unsigned long)nr; /* a7 */
#endif
	regs_call(&in, &out);
	CHECK((long)out.ret >= 0, "%s returned %ld", what, (long)out.ret);
	for (int i = 0; i < NGP; i++)
		CHECK(out.gp[i] == in.gp[i], "%s: general register %d: %lx, want %lx", what, i,
		      out.gp[i], in.gp[i]);
	for (int i = 0; i < NFP; i++)
		CHECK(out.fp[i] == in.fp[i], "%s: FP word %d: %lx, want %lx", what, i, out.fp[i],
		      in.fp[i]);
}

/* Yield back and forth with the other process, each with its own values. */
static void yield_rounds(unsigned long seed)
{
	for (int i = 0; i < 2000; i++) {
		check_call(SYS_sched_yield, seed + (unsigned long)i, "sched_yield");
		check_call(SYS_getppid, seed - (unsigned long)i, "getppid");
	}
}

int main(void)
{
	int status;
	pid_t pid;

	check_call(SYS_getppid, 1, "getppid");
	check_call(SYS_getpid, 2, "getpid");
	check_call(SYS_sched_yield, 3, "sched_yield");

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		yield_rounds(0x5555);
		_exit(0);
	}
	yield_rounds(0xaaaa);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	return 0;
}
