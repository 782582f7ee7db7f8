/*
 * Multiprocessor support: starting the secondary CPUs the HAL finds,
 * cross-CPU requests (IPIs: reschedule, TLB flush) and the TLB shootdown.
 *
 * Requests: a sender sets a bit in the target's ipi_pending (atomic or,
 * release) and raises the HAL's IPI; the target's handler (or a spinning
 * waiter, smp_poll_requests) takes the bits with an atomic exchange
 * (acquire) and acts. A bit set twice before the handler runs is served
 * once, which is enough: both requests ask for the same thing.
 *
 * TLB shootdown (smp_tlb_shootdown), lazy: only CPUs whose active_pt is
 * the changed table are asked; one that switches to it later flushes its
 * whole TLB when it loads the table (no ASIDs or PCIDs are used). Ordering:
 *   changer:  write PTE; full fence; read cpu->active_pt
 *   switcher: write cpu->active_pt; full fence; load the table (flush)
 * so either the changer sees the switcher and asks it, or the switcher's
 * page walks come after the fence and see the new PTE.
 * Each CPU has a generation pair: a requester increments tlb_req (seq_cst)
 * and waits until tlb_done reaches the value it made; the target reads
 * tlb_req, flushes, then publishes what it read in tlb_done (release).
 * A flush after reading covers every request counted in what was read.
 * The requester waits with interrupts possibly off and locks held (mm->lock);
 * it serves its own requests while it waits, and every spinlock waiter
 * does too (include/ferrite/spinlock.h), so two CPUs shooting at each other,
 * or a target spinning on the lock the requester holds, cannot deadlock.
 * The shootdown returns only when every asked CPU flushed: callers free
 * the frames after it (the HAL calls it at each unmap, protection change
 * and COW replacement).
 * membarrier(2) uses the same request: the target's interrupt and answer
 * are its full barrier (smp_membarrier).
 */
#include <ferrite/cpu.h>
#include <ferrite/frame.h>
#include <ferrite/printk.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "proc_internal.h"

unsigned nr_cpus_online = 1;
unsigned long cpu_online_mask = 1;

static struct task idle_tasks[MAX_CPUS];

static void tlb_serve(struct cpu *c)
{
	unsigned long g = __atomic_load_n(&c->tlb_req, __ATOMIC_SEQ_CST);

	if (g == __atomic_load_n(&c->tlb_done, __ATOMIC_RELAXED))
		return;
	hal_tlb_flush_all();
	__atomic_store_n(&c->tlb_done, g, __ATOMIC_RELEASE);
}

static void serve_requests(struct cpu *c)
{
	unsigned bits = __atomic_exchange_n(&c->ipi_pending, 0, __ATOMIC_ACQUIRE);

	if (bits & IPI_TLB)
		tlb_serve(c);
	if (bits & IPI_RESCHED)
		c->need_resched = true;
}

void smp_ipi_interrupt(void)
{
	serve_requests(hal_cpu_self());
}

void smp_poll_requests(void)
{
	struct cpu *c = hal_cpu_self();

	/* Before per-CPU data exists (very early boot) there is nothing. */
	if (c && READ_ONCE(c->ipi_pending) & IPI_TLB)
		serve_requests(c);
}

static void send_request(unsigned target, unsigned bit)
{
	__atomic_fetch_or(&cpus[target].ipi_pending, bit, __ATOMIC_SEQ_CST);
	hal_send_ipi(target);
}

void smp_send_resched(unsigned target)
{
	if (target != hal_cpu_id() && READ_ONCE(cpus[target].online))
		send_request(target, IPI_RESCHED);
}

void smp_set_active_pt(struct hal_pt *pt)
{
	WRITE_ONCE(hal_cpu_self()->active_pt, pt);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Ask every other online CPU running pt (every one when all) to flush its
 * TLB, and wait until each did (the request protocol above). */
static void flush_and_wait(struct hal_pt *pt, bool all)
{
	unsigned long want[MAX_CPUS];
	unsigned long asked = 0;
	unsigned self;

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the PTE writes before the reads below */
	self = hal_cpu_id();
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct cpu *c = &cpus[i];
		if (i == self || !READ_ONCE(c->online) || (!all && READ_ONCE(c->active_pt) != pt))
			continue;
		want[i] = __atomic_add_fetch(&c->tlb_req, 1, __ATOMIC_SEQ_CST);
		asked |= 1UL << i;
		send_request(i, IPI_TLB);
	}
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!(asked & (1UL << i)))
			continue;
		while ((long)(__atomic_load_n(&cpus[i].tlb_done, __ATOMIC_ACQUIRE) - want[i]) < 0) {
			smp_poll_requests();
			hal_cpu_relax();
		}
	}
}

void smp_tlb_shootdown(struct hal_pt *pt)
{
	if (READ_ONCE(nr_cpus_online) < 2 || !pt)
		return;
	flush_and_wait(pt, false);
}

void smp_membarrier(struct hal_pt *pt)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(nr_cpus_online) < 2)
		return;
	/* The interrupt, the flush and the release store of each answer are
	 * a full barrier on that CPU (a CPU switching to pt meanwhile passes
	 * the fence in smp_set_active_pt). */
	flush_and_wait(pt, !pt);
}

void smp_secondary_main(struct cpu *c)
{
	struct task *idle = &idle_tasks[c->id];

	sched_init_cpu(c, idle);
	hal_timer_start();
	__atomic_fetch_or(&cpu_online_mask, 1UL << c->id, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	sched_run_idle();
}

/*
 * Start one CPU and wait up to START_WAIT_NS for it to come online.
 * Return 1 when it did, 0 when it could not be started (its id is free
 * for the next one), -1 when it was started but is late: it may still
 * come online on cpus[id] and that stack, so the id stays its own.
 * Under -icount the virtual CPUs run in turn and one spinning here hands
 * over only at QEMU's round-robin kick (every 0.1 s of virtual time), so
 * a riscv64 hart took about a second to arrive at -smp 4: the old
 * one-second wait gave up on hart 1, reused cpus[1] for hart 2 while hart
 * 1 was still starting on it, and the boot fell apart (endless "did not
 * start" warnings, then a stack-protector panic).
 */
#define START_WAIT_NS 10000000000ULL
static int start_cpu(unsigned id, unsigned long hwid)
{
	struct cpu *c = &cpus[id];
	void *stack = kstack_alloc(); /* its idle stack, with a guard page */
	uint64_t deadline;
	int err;

	if (!stack)
		return 0;
	c->id = id;
	idle_tasks[id].kstack = stack;
	err = hal_cpu_start(c, hwid, (uintptr_t)stack + KSTACK_SIZE);
	if (err) {
		pr_warn("smp: cpu %u (hardware id %lu) did not start (error %d)\n", id, hwid, err);
		idle_tasks[id].kstack = NULL;
		kstack_free(stack);
		return 0;
	}
	deadline = hal_time_ns() + START_WAIT_NS;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		if (hal_time_ns() > deadline) {
			/* Its stack and id stay: it may still wake up on them. */
			pr_warn("smp: cpu %u (hardware id %lu) did not come online\n", id, hwid);
			return -1;
		}
		hal_cpu_relax();
	}
	return 1;
}

void smp_init(void)
{
	unsigned long hwids[MAX_CPUS];
	unsigned n = hal_smp_cpus(hwids, MAX_CPUS), next = 1;

	cpus[0].online = true;
	for (unsigned i = 1; i < n && next < MAX_CPUS; i++)
		if (start_cpu(next, hwids[i]))
			next++;
	pr_info("smp: %u CPU%s online\n", READ_ONCE(nr_cpus_online),
		READ_ONCE(nr_cpus_online) > 1 ? "s" : "");
}
