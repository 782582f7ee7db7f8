/*
 * SBI calls into OpenSBI: timer, power and the legacy console. Stateless
 * apart from the probe results, written once during boot.
 */
#include "riscv.h"

#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_LEGACY_SHUTDOWN 0x08
#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_SRST 0x53525354

struct sbiret sbi_call(long ext, long fid, unsigned long a0, unsigned long a1,
		       unsigned long a2)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register long r6 __asm__("a6") = fid;
	register long r7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(r0), "+r"(r1)
			 : "r"(r2), "r"(r6), "r"(r7)
			 : "memory");
	return (struct sbiret){ (long)r0, (long)r1 };
}

bool sbi_probe(long ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0);
	return r.error == 0 && r.value != 0;
}

static int time_ext = -1; /* -1 unknown, 0 legacy, 1 TIME extension */

void sbi_set_timer(uint64_t when)
{
	if (time_ext < 0)
		time_ext = sbi_probe(SBI_EXT_TIME);
	if (time_ext)
		sbi_call(SBI_EXT_TIME, 0, when, 0, 0);
	else
		sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, when, 0, 0);
}

void sbi_console_putc(char c)
{
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (unsigned char)c, 0, 0);
}

/* type: 0 shutdown, 1 cold reboot. Falls back to the legacy shutdown. */
static void __noreturn sbi_system_reset(unsigned long type)
{
	if (sbi_probe(SBI_EXT_SRST))
		sbi_call(SBI_EXT_SRST, 0, type, 0, 0);
	sbi_call(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

void hal_poweroff(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	sbi_system_reset(0);
}

void hal_reboot(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	sbi_system_reset(1);
}
