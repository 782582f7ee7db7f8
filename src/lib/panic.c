/*
 * panic(): print the reason and a symbolised backtrace, then do what
 * panic= on the command line says, as Linux: 0 (the default) halts, N > 0
 * reboots after N seconds, N < 0 reboots at once. A reboot resets the
 * machine (SBI SRST, the x86 reset register...), so QEMU -no-reboot exits.
 * panic_timeout is set at boot and by /proc/sys/kernel/panic (one word).
 */
#include <ferrite/klog.h>
#include <ferrite/ksyms.h>
#include <ferrite/printk.h>
#include <hal/hal_cpu.h>
#include <hal/hal_timer.h>

int panic_timeout;

const char *ksym_lookup(uintptr_t pc, uintptr_t *offset)
{
	unsigned lo = 0, hi = ksyms_count;

	if (!ksyms_count || pc < ksyms[0].addr)
		return NULL;
	while (hi - lo > 1) { /* last symbol with addr <= pc */
		unsigned mid = (lo + hi) / 2;
		if (ksyms[mid].addr <= pc)
			lo = mid;
		else
			hi = mid;
	}
	*offset = pc - ksyms[lo].addr;
	return ksyms[lo].name;
}

static void print_frame(uintptr_t pc, void *arg)
{
	uintptr_t off = 0;
	const char *name = ksym_lookup(pc, &off);
	(void)arg;
	if (name)
		kprintf("  [<%016lx>] %s+0x%lx\n", (unsigned long)pc, name, (unsigned long)off);
	else
		kprintf("  [<%016lx>] ?\n", (unsigned long)pc);
}

static int panicking;

void panic(const char *fmt, ...)
{
	va_list ap;

	hal_irq_disable();
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_RELAXED))
		hal_halt(); /* a panic inside panic: stop quietly */
	klog_console_verbose(); /* whatever the console level, and no ring lock */
	kprintf("\n[ferrite] KERNEL PANIC: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\nBacktrace:\n");
	hal_backtrace(print_frame, NULL);
	int timeout = READ_ONCE(panic_timeout);
	if (timeout > 0) {
		kprintf("Rebooting in %d seconds..\n", timeout);
		uint64_t t0 = hal_time_ns();
		while (hal_time_ns() - t0 < (uint64_t)timeout * 1000000000ull)
			hal_cpu_relax();
	}
	if (timeout) {
		kprintf("Rebooting.\n");
		hal_reboot();
	}
	kprintf("System halted.\n");
	hal_halt();
}
