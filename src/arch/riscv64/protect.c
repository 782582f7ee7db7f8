/*
 * riscv64 self-protection: S-mode touches user pages only with
 * sstatus.SUM set, which only the user-copy routines do (uaccess.S,
 * hal/riscv64/uaccess_inline.h), and never executes a user page (the
 * privileged ISA forbids it whatever SUM says). Both hold on every hart
 * from reset: nothing to turn on.
 */
#include <hal/hal_protect.h>
#include <hal/hal_trap.h>

unsigned hal_protections(void)
{
	return HAL_PROTECT_SMAP | HAL_PROTECT_SMEP;
}

__asm__(".text\n"
	".globl hal_probe_read\n"
	".type hal_probe_read, @function\n"
	"hal_probe_read:\n"
	"	ld a0, 0(a0)\n"
	"	ret\n"
	".size hal_probe_read, . - hal_probe_read\n"
	".globl hal_probe_write\n"
	".type hal_probe_write, @function\n"
	"hal_probe_write:\n"
	"	sd a1, 0(a0)\n"
	"	ret\n"
	".size hal_probe_write, . - hal_probe_write\n"
	".data\n"
	".globl hal_probe_data_code\n"
	".balign 8\n"
	"hal_probe_data_code:\n"
	"	.word 0x00008067, 0x00100073\n" /* ret; ebreak */
	".text\n");

/* A leaf probe, or a jalr into user code: ra holds the way back. */
void hal_frame_return_from_probe(struct trap_frame *tf, long value)
{
	tf->sepc = tf->regs[1];
	tf->regs[10] = (unsigned long)value;
}
