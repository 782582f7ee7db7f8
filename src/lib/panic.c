/* panic(): print the reason and a symbolised backtrace, then stop the CPU. */
#include <ferrite/klog.h>
#include <ferrite/ksyms.h>
#include <ferrite/printk.h>
#include <hal/hal_cpu.h>

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
	kprintf("System halted.\n");
	hal_halt();
}
