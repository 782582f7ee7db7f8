/*
 * riscv64 user-memory access routines (include/hal/hal_uaccess.h).
 * sstatus.SUM is set for the duration of a routine so S-mode may touch user
 * pages, and cleared before it returns. Every instruction that may touch
 * user memory lies in a region of hal_uaccess_fixups; a fault there is
 * resolved (and retried) or redirected to the fix-up by rv_trap_kernel()
 * (trap.c). Counters advance only after a store, so at a fault a2 is
 * exactly what is left (a misaligned source is read with aligned loads
 * merged by shifts, never a misaligned access). The kernel trap path saves and restores sstatus
 * (and so SUM) around the handler. No locks.
 */
#define SSTATUS_SUM (1 << 18)

	.text

/* size_t hal_user_copy(void *dst, const void *src, size_t n) */
	.globl hal_user_copy
	.type hal_user_copy, @function
hal_user_copy:
	li	t6, SSTATUS_SUM
	csrs	sstatus, t6
.Lcopy_start:
	li	t1, 8
	bltu	a2, t1, 3f		/* short: bytes */
	/* Bytes up to 8-byte alignment of dst (a2 stays >= 1). */
1:	andi	t0, a0, 7
	beqz	t0, 5f
	lb	t0, 0(a1)
	sb	t0, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, 1
	addi	a2, a2, -1
	j	1b
5:	andi	t0, a1, 7
	bnez	t0, 6f
	/* Both aligned: 32 bytes a round while they last (a fault retries
	 * the round's instruction; a2 counts whole rounds), then double
	 * words. */
	li	t5, 32
8:	bltu	a2, t5, 2f
	ld	t0, 0(a1)
	ld	t2, 8(a1)
	ld	t3, 16(a1)
	ld	t4, 24(a1)
	sd	t0, 0(a0)
	sd	t2, 8(a0)
	sd	t3, 16(a0)
	sd	t4, 24(a0)
	addi	a0, a0, 32
	addi	a1, a1, 32
	addi	a2, a2, -32
	j	8b
2:	bltu	a2, t1, 3f
	ld	t0, 0(a1)
	sd	t0, 0(a0)
	addi	a0, a0, 8
	addi	a1, a1, 8
	addi	a2, a2, -8
	j	2b
	/* src misaligned by t0 bytes: aligned loads merged by shifts. Each
	 * load stays inside the aligned double word holding a byte that is
	 * copied, so it touches no page the copy does not need. */
6:	slli	a3, t0, 3		/* shift right of the older word */
	neg	a4, a3			/* shift left of the newer: 64 - a3 */
	andi	a5, a1, -8
	ld	t2, 0(a5)
7:	bltu	a2, t1, 3f
	ld	t3, 8(a5)
	srl	t4, t2, a3
	sll	t5, t3, a4
	or	t4, t4, t5
	sd	t4, 0(a0)
	addi	a0, a0, 8
	addi	a1, a1, 8
	addi	a5, a5, 8
	addi	a2, a2, -8
	mv	t2, t3
	j	7b
3:	beqz	a2, 4f
	lb	t0, 0(a1)
	sb	t0, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, 1
	addi	a2, a2, -1
	j	3b
4:
.Lcopy_end:	/* also the fix-up: a2 bytes left */
	csrc	sstatus, t6
	mv	a0, a2
	ret
	.size hal_user_copy, . - hal_user_copy

/* size_t hal_user_clear(void *dst, size_t n) */
	.globl hal_user_clear
	.type hal_user_clear, @function
hal_user_clear:
	li	t6, SSTATUS_SUM
	csrs	sstatus, t6
.Lclear_start:
	li	t1, 8
1:	andi	t0, a0, 7
	beqz	t0, 2f
	beqz	a1, 4f
	sb	zero, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, -1
	j	1b
2:	bltu	a1, t1, 3f
	sd	zero, 0(a0)
	addi	a0, a0, 8
	addi	a1, a1, -8
	j	2b
3:	beqz	a1, 4f
	sb	zero, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, -1
	j	3b
4:
.Lclear_end:
	csrc	sstatus, t6
	mv	a0, a1
	ret
	.size hal_user_clear, . - hal_user_clear

/* long hal_user_strncpy(char *dst, const char *src, size_t max) */
	.globl hal_user_strncpy
	.type hal_user_strncpy, @function
hal_user_strncpy:
	li	t6, SSTATUS_SUM
	csrs	sstatus, t6
	li	t1, 0
	beqz	a2, 2f
.Lstr_start:
1:	add	t2, a1, t1
	lbu	t0, 0(t2)
	add	t3, a0, t1
	sb	t0, 0(t3)
	beqz	t0, 2f
	addi	t1, t1, 1
	bltu	t1, a2, 1b
2:
.Lstr_end:
	csrc	sstatus, t6
	mv	a0, t1
	ret
.Lstr_fix:
	csrc	sstatus, t6
	li	a0, -14			/* -EFAULT */
	ret
	.size hal_user_strncpy, . - hal_user_strncpy

	.section .rodata
	.balign 8
	.globl hal_uaccess_fixups
hal_uaccess_fixups:
	.dword	.Lcopy_start, .Lcopy_end, .Lcopy_end
	.dword	.Lclear_start, .Lclear_end, .Lclear_end
	.dword	.Lstr_start, .Lstr_end, .Lstr_fix
	.dword	0, 0, 0
	.size hal_uaccess_fixups, . - hal_uaccess_fixups
	.section .note.GNU-stack, "", @progbits
