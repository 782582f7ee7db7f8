/*
 * The start of a secondary CPU (INIT-SIPI-SIPI, smp.c): real-mode code
 * copied to X86_TRAMP_BASE (a page below 1 MiB that the frame allocator
 * never hands out), which goes to protected mode, turns on long mode with
 * the page table in its parameter block (the kernel's, plus an identity
 * map of low memory) and jumps to the C entry on the stack given there.
 * Kept in .rodata: it only runs from its copy. One CPU starts at a time
 * (smp_init waits for each), so one parameter block is enough.
 */
#define X86_TRAMP_BASE 0x8000
#define T(x) (X86_TRAMP_BASE + ((x) - x86_tramp_start))

	.section .rodata
	.code16
	.globl x86_tramp_start, x86_tramp_end, x86_tramp_params
	.align 16
x86_tramp_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	T(tramp_gdt_ptr)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $T(tramp32)

	.code32
tramp32:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	T(p_cr3), %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx		/* EFER as on the boot CPU (LME, NXE, SCE) */
	movl	T(p_efer), %eax
	xorl	%edx, %edx
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax		/* PG, WP, PE */
	movl	%eax, %cr0
	ljmp	$0x18, $T(tramp64)

	.code64
tramp64:
	movq	T(p_stack), %rsp
	movq	T(p_arg), %rdi
	movq	T(p_entry), %rax
	jmpq	*%rax

	.align 16
tramp_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff		/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: data */
	.quad	0x00af9a000000ffff		/* 0x18: 64-bit code */
tramp_gdt_ptr:
	.word	31
	.long	T(tramp_gdt)

	.align 8
x86_tramp_params:
p_cr3:	.quad	0
p_efer:	.quad	0
p_stack: .quad	0
p_arg:	.quad	0
p_entry: .quad	0
x86_tramp_end:
	.section .note.GNU-stack, "", @progbits
