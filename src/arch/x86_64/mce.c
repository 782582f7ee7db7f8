/*
 * Machine checks on x86_64 (docs/reliability.md, "Self-protection"):
 * - x86_mce_cpu_init(), every CPU: when CPUID has MCE and MCA, error
 *   reporting on in every bank (MCG_CTL and each MCi_CTL all ones, the
 *   status words cleared) and CR4.MCE, so an uncorrected error raises #MC
 *   instead of shutting the machine down.
 * - x86_mce_exception(): #MC, on IST3 from the kernel. As Linux: an error
 *   the CPU cannot continue from (processor context corrupt, or no valid
 *   return address: MCG_STATUS.RIPV clear) panics ("Fatal machine check");
 *   any other is reported and the machine goes on, a task interrupted by an
 *   action-required error getting SIGBUS (BUS_MCEERR_AR).
 * - x86_mce_poll(): corrected errors raise no #MC; each CPU's tick looks
 *   at its banks once a second and reports what it finds (Linux's
 *   machine_check_poll).
 * Lock: none: the banks are per CPU and only their CPU touches them (the
 * handler runs with interrupts off; the poll from the tick, interrupts
 * off too); records_lock orders the ticks reading the handler's records
 * (below). The handler may run where GS is still the user's (right after
 * SYSCALL, before swapgs) and inside a printk: it reads no per-CPU data
 * (CPU numbers are APIC ids from CPUID) and takes no lock; a recoverable
 * error is printed by the next tick, a fatal one at once by the panic
 * path, like Linux's mce_panic.
 */
#include <ferrite/cleanup.h>
#include <ferrite/printk.h>
#include <ferrite/signal.h>
#include <ferrite/spinlock.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include "x86.h"

#define CPUID1_EDX_MCE (1u << 7)
#define CPUID1_EDX_MCA (1u << 14)
#define CR4_MCE (1UL << 6)
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17a
#define MSR_MCG_CTL 0x17b
#define MSR_MC_CTL(i) (0x400 + 4 * (i))
#define MSR_MC_STATUS(i) (0x401 + 4 * (i))
#define MSR_MC_ADDR(i) (0x402 + 4 * (i))
#define MSR_MC_MISC(i) (0x403 + 4 * (i))
#define MCG_CAP_COUNT 0xffUL
#define MCG_CAP_CTL_P (1UL << 8)
#define MCG_STATUS_RIPV (1UL << 0)
#define MCI_STATUS_VAL (1UL << 63)
#define MCI_STATUS_UC (1UL << 61)
#define MCI_STATUS_MISCV (1UL << 59)
#define MCI_STATUS_ADDRV (1UL << 58)
#define MCI_STATUS_PCC (1UL << 57)
#define MCI_STATUS_AR (1UL << 55)
#define BUS_MCEERR_AR 4

static unsigned mce_banks; /* 0: no MCA; set on the boot CPU, read-only after */

void x86_mce_cpu_init(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if ((d & (CPUID1_EDX_MCE | CPUID1_EDX_MCA)) != (CPUID1_EDX_MCE | CPUID1_EDX_MCA))
		return;
	uint64_t cap = rdmsr(MSR_MCG_CAP);
	unsigned banks = (unsigned)(cap & MCG_CAP_COUNT);
	if (cap & MCG_CAP_CTL_P)
		wrmsr(MSR_MCG_CTL, ~0UL);
	for (unsigned i = 0; i < banks; i++) {
		wrmsr(MSR_MC_CTL(i), ~0UL);
		wrmsr(MSR_MC_STATUS(i), 0);
	}
	wrmsr(MSR_MCG_STATUS, 0);
	write_cr4(read_cr4() | CR4_MCE);
	if (!mce_banks) {
		mce_banks = banks;
		pr_info("x86: machine check architecture on, %u banks\n", banks);
	}
}

/* The CPU's initial APIC id (CPUID), which needs no GS: "CPU N" below. */
static unsigned apic_id(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return b >> 24;
}

/*
 * A recoverable #MC's banks wait here for the tick (x86_mce_poll) to
 * print them: the handler may have interrupted a printk holding the
 * console lock. Writers (#MC, any CPU) claim a slot with an atomic add and
 * publish it with a release store of .ready; the poll reads under
 * records_lock, which the handler never takes. A full ring drops records
 * (counted and reported).
 */
#define NR_RECORDS 8
struct mce_record {
	bool ready;
	unsigned cpu, bank;
	uint64_t status, addr, misc, mcg, rip;
};
static struct mce_record records[NR_RECORDS];
static unsigned long records_written, records_read, records_lost; /* atomic; read: records_lock */
static struct spinlock records_lock = SPINLOCK_INIT("mce_records");

static const char *error_kind(uint64_t status)
{
	if (!(status & MCI_STATUS_UC))
		return "corrected error";
	return status & MCI_STATUS_PCC ? "uncorrected error, processor context corrupt"
				       : "uncorrected error, recoverable";
}

static void record_print(const struct mce_record *r, const char *how)
{
	kprintf("mce: [Hardware Error]: CPU %u: %s: bank %u: %s, status %016lx addr %lx misc %lx "
		"mcg_status %lx at %lx\n",
		r->cpu, how, r->bank, error_kind(r->status), r->status, r->addr, r->misc, r->mcg,
		r->rip);
}

static void record_read(struct mce_record *r, unsigned bank, uint64_t status, uint64_t mcg,
			uint64_t rip)
{
	*r = (struct mce_record){
		.cpu = apic_id(),
		.bank = bank,
		.status = status,
		.addr = status & MCI_STATUS_ADDRV ? rdmsr(MSR_MC_ADDR(bank)) : 0,
		.misc = status & MCI_STATUS_MISCV ? rdmsr(MSR_MC_MISC(bank)) : 0,
		.mcg = mcg,
		.rip = rip,
	};
}

void x86_mce_exception(struct trap_frame *tf)
{
	uint64_t mcg = rdmsr(MSR_MCG_STATUS);
	bool user = tf->cs & 3, fatal = !(mcg & MCG_STATUS_RIPV), action_required = false;
	struct mce_record r;

	for (unsigned i = 0; i < mce_banks; i++) {
		uint64_t status = rdmsr(MSR_MC_STATUS(i));
		if (!(status & MCI_STATUS_VAL))
			continue;
		if ((status & MCI_STATUS_UC) && (status & MCI_STATUS_PCC))
			fatal = true;
		/* An action-required error in the kernel: the data it was
		 * using is lost and there is no task to kill for it. */
		if ((status & MCI_STATUS_UC) && (status & MCI_STATUS_AR)) {
			action_required = true;
			fatal |= !user;
		}
	}
	for (unsigned i = 0; i < mce_banks; i++) {
		uint64_t status = rdmsr(MSR_MC_STATUS(i));
		if (!(status & MCI_STATUS_VAL))
			continue;
		record_read(&r, i, status, mcg, tf->rip);
		if (fatal) {
			record_print(&r, "Machine Check Exception (fatal)");
			continue;
		}
		unsigned long slot = __atomic_fetch_add(&records_written, 1, __ATOMIC_RELAXED);
		if (slot - __atomic_load_n(&records_read, __ATOMIC_ACQUIRE) >= NR_RECORDS) {
			__atomic_fetch_add(&records_lost, 1, __ATOMIC_RELAXED);
			__atomic_fetch_sub(&records_written, 1, __ATOMIC_RELAXED);
		} else {
			struct mce_record *to = &records[slot % NR_RECORDS];
			*to = r;
			__atomic_store_n(&to->ready, true, __ATOMIC_RELEASE);
		}
		wrmsr(MSR_MC_STATUS(i), 0);
	}
	if (fatal)
		panic("Fatal machine check on cpu %u (%s mode)", apic_id(), user ? "user" : "kernel");
	wrmsr(MSR_MCG_STATUS, 0); /* MCIP off: a later #MC is not a shutdown */
	if (action_required) {
		hal_irq_enable();
		trap_user_signal(tf, SIGBUS, BUS_MCEERR_AR, tf->rip);
		hal_irq_disable();
	}
}

void x86_mce_poll(void)
{
	struct x86_cpu *xc = this_x86_cpu();
	uint64_t now = hal_time_ns();
	struct mce_record r;

	if (!mce_banks)
		return;
	if (__atomic_load_n(&records_written, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&records_read, __ATOMIC_RELAXED)) {
		guard(spinlock)(&records_lock);
		for (;;) {
			unsigned long at = __atomic_load_n(&records_read, __ATOMIC_RELAXED);
			struct mce_record *from = &records[at % NR_RECORDS];
			if (at == __atomic_load_n(&records_written, __ATOMIC_RELAXED) ||
			    !__atomic_load_n(&from->ready, __ATOMIC_ACQUIRE))
				break;
			r = *from;
			__atomic_store_n(&from->ready, false, __ATOMIC_RELAXED);
			__atomic_store_n(&records_read, at + 1, __ATOMIC_RELEASE);
			record_print(&r, "Machine Check Exception, recovered");
		}
		unsigned long lost = __atomic_exchange_n(&records_lost, 0, __ATOMIC_RELAXED);
		if (lost)
			kprintf("mce: [Hardware Error]: %lu machine check record(s) lost\n", lost);
	}
	if (now < xc->mce_next_poll_ns)
		return;
	xc->mce_next_poll_ns = now + 1000000000ULL;
	for (unsigned i = 0; i < mce_banks; i++) {
		uint64_t status = rdmsr(MSR_MC_STATUS(i));
		if (!(status & MCI_STATUS_VAL) || (status & MCI_STATUS_UC))
			continue; /* an uncorrected one is #MC's */
		record_read(&r, i, status, 0, 0);
		record_print(&r, "Machine check events logged (polled)");
		wrmsr(MSR_MC_STATUS(i), 0);
	}
}
