/*
 * riscv64 entry. The image begins with the RISC-V Linux Image header so
 * U-Boot's booti accepts it; OpenSBI jumps to the first byte. Every hart
 * that arrives (a0 = hartid, a1 = FDT) takes a ticket; the first one boots
 * and the others park in a wfi loop. The winner clears .bss, builds the boot
 * page tables (early.c, still at the physical load address), turns on Sv39
 * and continues at the link address in boot_main() (boot.c).
 */
#include <hal/riscv64/arch_types.h>

	.section .text.head, "ax"
	.globl _start
_start:
	.option push
	.option norvc
	j	real_start		/* code0 */
	.word	0			/* code1 */
	.option pop
	.dword	0x200000		/* text_offset */
	.dword	__image_size		/* image_size */
	.dword	0			/* flags: little endian */
	.word	2			/* version 0.2 */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic (deprecated) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3 */

real_start:
	csrw	sie, zero
	csrci	sstatus, 2
	/* The lottery: only the first hart continues. */
	lla	t0, boot_lottery
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, park

	mv	s0, a0			/* hartid */
	mv	s1, a1			/* FDT, physical */
	li	tp, 0
	csrw	sscratch, zero
	lla	sp, boot_stack_top

	lla	t0, __bss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, (t0)
	addi	t0, t0, 8
	j	1b
2:
	lla	a0, _start
	call	boot_paging_setup	/* a0 = satp value */

	/* t2 = link address - load address */
	ld	t0, .Lvirt_start
	lla	t1, _start
	sub	t2, t0, t1

	/* Enabling paging faults on the next (physical) fetch; the fault
	 * lands on the virtual label below. */
	ld	t0, .Lvirt_high
	csrw	stvec, t0
	sfence.vma
	csrw	satp, a0
	sfence.vma
	nop
	.align 2
high:
	add	sp, sp, t2
	ld	t0, .Lvirt_trap
	csrw	stvec, t0
	mv	a0, s0
	mv	a1, s1
	ld	t0, .Lvirt_main
	jr	t0

park:
	csrw	sie, zero
3:	wfi
	j	3b

/*
 * A secondary hart, started by SBI HSM hart_start (src/arch/riscv64/smp.c):
 * a0 = hartid, a1 = its start block (physical): satp, stack top, struct
 * cpu, the virtual address to continue at. Paging goes on the way the boot
 * hart's did: the fetch after the satp write faults to stvec = that address.
 */
	.globl rv_secondary_entry
	.align 2
rv_secondary_entry:
	csrw	sie, zero
	csrci	sstatus, 2
	ld	t0, 0(a1)
	ld	sp, 8(a1)
	ld	tp, 16(a1)
	ld	t1, 24(a1)
	csrw	sscratch, zero
	csrw	stvec, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma
	nop
4:	j	4b			/* not reached */

	.globl rv_secondary_high
	.align 2
rv_secondary_high:
	ld	t0, .Lvirt_trap
	csrw	stvec, t0
	mv	a0, tp
	call	rv_secondary_main
5:	wfi
	j	5b

	.align 3
.Lvirt_start:	.dword _start
.Lvirt_high:	.dword high
.Lvirt_trap:	.dword rv_trap_vector
.Lvirt_main:	.dword boot_main

	.data
	.align 2
boot_lottery:
	.word	0

	/* The boot stack: KSTACK-sized and aligned, so hal_backtrace can
	 * find its bounds the same way as on a task stack. It is the boot
	 * hart's idle stack later; the page below it is its guard, absent
	 * from the image mapping (wx.c), like a task stack's (task.c). */
	.bss
	.align 14
	.space 16384 - 4096
	.globl boot_stack_guard
boot_stack_guard:
	.space 4096
	.globl boot_stack
boot_stack:
	.space 16384
	.globl boot_stack_top
boot_stack_top:
