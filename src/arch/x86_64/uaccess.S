/*
 * x86_64 user-memory access routines (include/hal/hal_uaccess.h). With
 * SMAP on (protect.c), ring 0 may touch user pages only with RFLAGS.AC
 * set: each routine sets it (stac) on entry and clears it (clac) on every
 * way out, fix-ups included; without SMAP the two are skipped (#UD). Every instruction that may touch user memory lies in a region
 * of hal_uaccess_fixups; a fault there is resolved or redirected by
 * x86_trap() (trap.c). The rep instructions keep rdi/rsi/rcx exact at a
 * fault, so a retry resumes and a fix-up knows what is left. No locks.
 */
	.text

/* stac/clac when SMAP is on (x86_smap_on, set once at boot). */
.macro USER_BEGIN
	cmpb	$0, x86_smap_on(%rip)
	je	.Lstac_\@
	stac
.Lstac_\@:
.endm
.macro USER_END
	cmpb	$0, x86_smap_on(%rip)
	je	.Lclac_\@
	clac
.Lclac_\@:
.endm

/* size_t hal_user_copy(void *dst, const void *src, size_t n) */
	.globl hal_user_copy
	.type hal_user_copy, @function
hal_user_copy:
	USER_BEGIN
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
	USER_END
	ret
.Lcopy_q_fix:	/* rcx quadwords and rdx bytes left */
	leaq	(%rdx,%rcx,8), %rax
	USER_END
	ret
	.size hal_user_copy, . - hal_user_copy

/* size_t hal_user_clear(void *dst, size_t n) */
	.globl hal_user_clear
	.type hal_user_clear, @function
hal_user_clear:
	USER_BEGIN
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
	USER_END
	ret
.Lclear_q_fix:
	leaq	(%rsi,%rcx,8), %rax
	USER_END
	ret
	.size hal_user_clear, . - hal_user_clear

/* long hal_user_strncpy(char *dst, const char *src, size_t max) */
	.globl hal_user_strncpy
	.type hal_user_strncpy, @function
hal_user_strncpy:
	USER_BEGIN
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
2:	USER_END
	ret
.Lstr_fix:
	movq	$-14, %rax	/* -EFAULT */
	USER_END
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
