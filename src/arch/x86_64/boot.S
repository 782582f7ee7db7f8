/*
 * x86_64 boot entry: the multiboot1 (a.out kludge, for QEMU -kernel) and
 * multiboot2 (GRUB) headers, the 32-bit entry, the boot page tables and the
 * switch to 64-bit long mode in the higher half, then x86_boot_main().
 *
 * Boot page tables (also the kernel's own tables later, see mmu.c):
 *   PML4[0]   -> identity map of 0..4 GiB (only for the switch; removed)
 *   PML4[256] -> direct map 0xffff800000000000 + 0..4 GiB
 *   PML4[511] -> PDPT[510] -> 0xffffffff80000000 + 0..1 GiB (the image)
 * all through the same four page directories of 2 MiB pages (no pdpe1gb).
 * Runs on the boot CPU alone; nothing to lock.
 */
#define KVMA 0xffffffff80000000
#define PHYS(x) ((x) - KVMA)

#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS 0x00010003 /* page-align modules, memory info, a.out kludge */
#define MB2_MAGIC 0xe85250d6

	.section .text.boot, "ax"
	.code32
	.align 8
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long PHYS(mb1_header)      /* header_addr */
	.long PHYS(__kernel_start)  /* load_addr */
	.long PHYS(__load_end)      /* load_end_addr */
	.long PHYS(__bss_end)       /* bss_end_addr */
	.long PHYS(_start32)        /* entry_addr */

	.align 8
mb2_header:
	.long MB2_MAGIC
	.long 0 /* i386 */
	.long mb2_end - mb2_header
	.long -(MB2_MAGIC + (mb2_end - mb2_header))
	/* address tag: load like the a.out kludge, the ELF headers are ignored */
	.align 8
	.short 2, 0
	.long 24
	.long PHYS(mb2_header)
	.long PHYS(__kernel_start)
	.long PHYS(__load_end)
	.long PHYS(__bss_end)
	/* entry address tag */
	.align 8
	.short 3, 0
	.long 12
	.long PHYS(_start32)
	/* module alignment tag */
	.align 8
	.short 6, 0
	.long 8
	/* end tag */
	.align 8
	.short 0, 0
	.long 8
mb2_end:

	.globl _start32
_start32:
	cli
	cld
	movl %eax, PHYS(boot_magic)      /* loader magic */
	movl %ebx, PHYS(boot_mbi)        /* info block (physical) */
	movl $PHYS(boot_stack_top), %esp

	/* Long mode present? Otherwise say so on COM1 and stop. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode
	movl %edx, %ebp                  /* bit 20: NX available */

	/* Zero the seven table pages (the loader zeroes bss; be sure). */
	movl $PHYS(boot_pml4), %edi
	xorl %eax, %eax
	movl $(7 * 4096 / 4), %ecx
	rep stosl

	/* Four page directories: 2048 x 2 MiB = 0..4 GiB. 3..4 GiB is the
	 * MMIO hole on QEMU's machines: uncached (PCD|PWT). */
	movl $PHYS(boot_pd), %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax                  /* present, writable, 2 MiB */
	cmpl $1536, %ecx
	jb 2f
	orl $0x18, %eax
2:	movl %eax, (%edi, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax                   /* bits 32+ of the address */
	movl %eax, 4(%edi, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 1b

	/* PDPT for the identity and direct maps: four PDs. */
	movl $PHYS(boot_pdpt_low), %edi
	movl $(PHYS(boot_pd) + 0x03), 0(%edi)
	movl $(PHYS(boot_pd) + 0x1000 + 0x03), 8(%edi)
	movl $(PHYS(boot_pd) + 0x2000 + 0x03), 16(%edi)
	movl $(PHYS(boot_pd) + 0x3000 + 0x03), 24(%edi)
	/* PDPT for the image: -2 GiB -> the first PD. */
	movl $(PHYS(boot_pd) + 0x03), PHYS(boot_pdpt_high) + 510 * 8
	movl $PHYS(boot_pml4), %edi
	movl $(PHYS(boot_pdpt_low) + 0x03), 0(%edi)
	movl $(PHYS(boot_pdpt_low) + 0x03), 256 * 8(%edi)
	movl $(PHYS(boot_pdpt_high) + 0x03), 511 * 8(%edi)

	/* PAE, then CR3, then EFER.LME (+NXE), then paging. */
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $(1 << 8), %eax
	testl $(1 << 20), %ebp
	jz 3f
	orl $(1 << 11), %eax
3:	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax            /* PG, WP, PE */
	movl %eax, %cr0

	lgdt PHYS(boot_gdt_ptr)
	ljmp $0x10, $PHYS(start64_low)

no_long_mode:
	movl $no_lm_msg - KVMA, %esi
1:	movb (%esi), %al
	testb %al, %al
	jz 3f
	movw $0x3fd, %dx
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movb (%esi), %al
	movw $0x3f8, %dx
	outb %al, %dx
	incl %esi
	jmp 1b
3:	hlt
	jmp 3b

	.code64
start64_low:
	movabsq $start64_high, %rax
	jmp *%rax

	.text
start64_high:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl boot_magic(%rip), %edi
	movl boot_mbi(%rip), %esi
	call x86_boot_main
4:	hlt
	jmp 4b

	.section .rodata
no_lm_msg:
	.asciz "ferrite: this CPU has no 64-bit long mode\r\n"

	.data
	.align 16
boot_gdt:
	.quad 0
	.quad 0
	.quad 0x00af9a000000ffff         /* 0x10: 64-bit kernel code */
	.quad 0x00cf92000000ffff         /* 0x18: kernel data */
boot_gdt_end:
	.align 8
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long PHYS(boot_gdt)
	.align 4
boot_magic:
	.long 0
boot_mbi:
	.long 0

	.section .bss
	.align 4096
	.globl boot_pml4
boot_pml4:
	.skip 4096
	.globl boot_pdpt_low
boot_pdpt_low:
	.skip 4096
boot_pdpt_high:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	/* The boot stack, the boot CPU's idle stack later; the page below it
	 * is its guard, absent from the image mapping (wx.c). */
	.align 4096
	.globl boot_stack_guard
boot_stack_guard:
	.skip 4096
	.globl boot_stack
boot_stack:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
