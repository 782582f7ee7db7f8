/*
 * riscv64 user-memory access routines (include/hal/hal_uaccess.h).
 * sstatus.SUM is set for the duration of a routine so S-mode may touch user
 * pages, and cleared before it returns. Every instruction that may touch
 * user memory lies in a region of hal_uaccess_fixups; a fault there is
 * resolved (and retried) or redirected to the fix-up by rv_trap_kernel()
 * (trap.c). Bulk copies move rounds of several double words; the
 * counters advance only after a round's last store, so a retried fault
 * resumes inside the round and at the fix-up a2 counts what is left plus
 * at most the stores of one round (the bytes reported copied were copied).
 * A misaligned source is read with aligned loads merged by shifts, never
 * a misaligned access. The kernel trap path saves and restores sstatus
 * (and so SUM) around the handler. No locks.
 */
#define SSTATUS_SUM (1 << 18)

/* Copy the 64 bytes at off(a1) to off(a0), 8 loads then 8 stores. */
.macro COPY64 off
	ld	t0, \off + 0(a1)
	ld	t2, \off + 8(a1)
	ld	t3, \off + 16(a1)
	ld	t4, \off + 24(a1)
	ld	a3, \off + 32(a1)
	ld	a4, \off + 40(a1)
	ld	a5, \off + 48(a1)
	ld	a6, \off + 56(a1)
	sd	t0, \off + 0(a0)
	sd	t2, \off + 8(a0)
	sd	t3, \off + 16(a0)
	sd	t4, \off + 24(a0)
	sd	a3, \off + 32(a0)
	sd	a4, \off + 40(a0)
	sd	a5, \off + 48(a0)
	sd	a6, \off + 56(a0)
.endm

/* Store to off(a0) the double word starting a3/8 bytes into old:new
 * (little-endian: old >> a3 | new << (64 - a3)); clobbers t0 and old. */
.macro MERGE_STORE old, new, off
	srl	t0, \old, a3
	sll	\old, \new, a4
	or	t0, t0, \old
	sd	t0, \off(a0)
.endm

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
	/* Both aligned (headers, small messages): straight to the blocks,
	 * or under 64 bytes to the rounds, no alignment steps. */
	or	t0, a0, a1
	andi	t0, t0, 7
	bnez	t0, 1f
	li	a7, 64
	bltu	a2, a7, 13f
	j	8f
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
	/* Both aligned: 512-byte blocks while they last, then 64-byte ones,
	 * then double words. a0, a1 and a2 advance once a block is stored: a
	 * fault retries the block's faulting instruction, and at the fix-up
	 * a2 counts the whole block as not copied. */
8:	li	a7, 512
	bltu	a2, a7, 9f
10:	COPY64	0
	COPY64	64
	COPY64	128
	COPY64	192
	COPY64	256
	COPY64	320
	COPY64	384
	COPY64	448
	addi	a0, a0, 512
	addi	a1, a1, 512
	addi	a2, a2, -512
	bgeu	a2, a7, 10b
9:	li	a7, 64
11:	bltu	a2, a7, 13f
	COPY64	0
	addi	a0, a0, 64
	addi	a1, a1, 64
	addi	a2, a2, -64
	j	11b
	/* Under 64 bytes left, both aligned: a 32-byte round and a 16-byte
	 * one when they fit, then double words. */
13:	li	a7, 32
	bltu	a2, a7, 15f
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
15:	li	a7, 16
	bltu	a2, a7, 2f
	ld	t0, 0(a1)
	ld	t2, 8(a1)
	sd	t0, 0(a0)
	sd	t2, 8(a0)
	addi	a0, a0, 16
	addi	a1, a1, 16
	addi	a2, a2, -16
2:	bltu	a2, t1, 3f
14:	ld	t0, 0(a1)
	sd	t0, 0(a0)
	addi	a0, a0, 8
	addi	a1, a1, 8
	addi	a2, a2, -8
	bgeu	a2, t1, 14b
	j	3f
	/* src misaligned by t0 bytes: aligned loads merged by shifts. Each
	 * load stays inside the aligned double word holding a byte that is
	 * copied, so it touches no page the copy does not need. */
6:	slli	a3, t0, 3		/* shift right of the older word */
	neg	a4, a3			/* shift left of the newer: 64 - a3 */
	andi	a5, a1, -8
	ld	t2, 0(a5)
	/* Four double words a round while they last (t2 holds the older
	 * word; a2 counts whole rounds), then one at a time. */
	li	a7, 32
12:	bltu	a2, a7, 7f
	ld	t3, 8(a5)
	ld	t4, 16(a5)
	ld	t5, 24(a5)
	ld	a6, 32(a5)
	MERGE_STORE t2, t3, 0
	MERGE_STORE t3, t4, 8
	MERGE_STORE t4, t5, 16
	MERGE_STORE t5, a6, 24
	mv	t2, a6
	addi	a0, a0, 32
	addi	a1, a1, 32
	addi	a5, a5, 32
	addi	a2, a2, -32
	j	12b
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
	beqz	t0, 6f
	beqz	a1, 4f
	sb	zero, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, -1
	j	1b
	/* Aligned: 64 bytes a round while they last (a1 counts whole
	 * rounds), then double words. */
6:	li	t2, 64
5:	bltu	a1, t2, 2f
	sd	zero, 0(a0)
	sd	zero, 8(a0)
	sd	zero, 16(a0)
	sd	zero, 24(a0)
	sd	zero, 32(a0)
	sd	zero, 40(a0)
	sd	zero, 48(a0)
	sd	zero, 56(a0)
	addi	a0, a0, 64
	addi	a1, a1, -64
	j	5b
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
