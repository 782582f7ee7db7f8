/*
 * x86_64 user-memory access routines (include/hal/hal_uaccess.h). SMAP is
 * not enabled (CR4.SMAP clear), so ring 0 reads and writes user pages
 * directly. Every instruction that may touch user memory lies in a region
 * of hal_uaccess_fixups; a fault there is resolved or redirected by
 * x86_trap() (trap.c). The rep instructions keep rdi/rsi/rcx exact at a
 * fault, so a retry resumes and a fix-up knows what is left. No locks.
 */
	.text

/* size_t hal_user_copy(void *dst, const void *src, size_t n) */
	.globl hal_user_copy
	.type hal_user_copy, @function
hal_user_copy:
	movq	%rdx, %rcx
	shrq	$3, %rcx
	andl	$7, %edx
.Lcopy_q:
	rep movsq
.Lcopy_q_end:
	movq	%rdx, %rcx
.Lcopy_b:
	rep movsb
.Lcopy_b_end:
	movq	%rcx, %rax
	ret
.Lcopy_q_fix:	/* rcx quadwords and rdx bytes left */
	leaq	(%rdx,%rcx,8), %rax
	ret
	.size hal_user_copy, . - hal_user_copy

/* size_t hal_user_clear(void *dst, size_t n) */
	.globl hal_user_clear
	.type hal_user_clear, @function
hal_user_clear:
	xorl	%eax, %eax
	movq	%rsi, %rcx
	shrq	$3, %rcx
	andl	$7, %esi
.Lclear_q:
	rep stosq
.Lclear_q_end:
	movq	%rsi, %rcx
.Lclear_b:
	rep stosb
.Lclear_b_end:
	movq	%rcx, %rax
	ret
.Lclear_q_fix:
	leaq	(%rsi,%rcx,8), %rax
	ret
	.size hal_user_clear, . - hal_user_clear

/* long hal_user_strncpy(char *dst, const char *src, size_t max) */
	.globl hal_user_strncpy
	.type hal_user_strncpy, @function
hal_user_strncpy:
	xorl	%eax, %eax
	testq	%rdx, %rdx
	jz	2f
.Lstr_load:
1:	movzbl	(%rsi,%rax), %ecx
.Lstr_load_end:
	movb	%cl, (%rdi,%rax)
	testb	%cl, %cl
	jz	2f
	incq	%rax
	cmpq	%rdx, %rax
	jb	1b
2:	ret
.Lstr_fix:
	movq	$-14, %rax	/* -EFAULT */
	ret
	.size hal_user_strncpy, . - hal_user_strncpy

	.section .rodata
	.balign 8
	.globl hal_uaccess_fixups
hal_uaccess_fixups:
	.quad	.Lcopy_q, .Lcopy_q_end, .Lcopy_q_fix
	.quad	.Lcopy_b, .Lcopy_b_end, .Lcopy_b_end
	.quad	.Lclear_q, .Lclear_q_end, .Lclear_q_fix
	.quad	.Lclear_b, .Lclear_b_end, .Lclear_b_end
	.quad	.Lstr_load, .Lstr_load_end, .Lstr_fix
	.quad	0, 0, 0
	.size hal_uaccess_fixups, . - hal_uaccess_fixups
	.section .note.GNU-stack, "", @progbits
