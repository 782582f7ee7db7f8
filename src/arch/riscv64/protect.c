/*
 * riscv64 self-protection: S-mode touches user pages only with
 * sstatus.SUM set, which only the user-copy routines do (uaccess.S,
 * hal/riscv64/uaccess_inline.h), and never executes a user page (the
 * privileged ISA forbids it whatever SUM says). Both hold on every hart
 * from reset: nothing to turn on.
 */
#include <hal/hal_protect.h>

unsigned hal_protections(void)
{
	return HAL_PROTECT_SMAP | HAL_PROTECT_SMEP;
}
