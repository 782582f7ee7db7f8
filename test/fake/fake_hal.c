/*
 * Fake HAL for host unit tests: interrupts are a plain flag, one CPU, time
 * from clock_gettime, console on stdout, page tables in a hash map, panic
 * through cmocka's mock_assert. Single-threaded: no locking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <hal/hal_console.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "fake.h"

/* ---- CPU ---- */
static unsigned long irq_on = 1;
static struct cpu fake_cpu;
static struct cpu *self = &fake_cpu;
int fake_panic_count;

unsigned long hal_irq_save(void)
{
	unsigned long old = irq_on;
	irq_on = 0;
	return old;
}
void hal_irq_restore(unsigned long flags) { irq_on = flags; }
void hal_irq_enable(void) { irq_on = 1; }
void hal_irq_disable(void) { irq_on = 0; }
bool hal_irq_enabled(void) { return irq_on; }
void hal_cpu_idle(void) {}
unsigned fake_cpu_id; /* what hal_cpu_id() answers (per-CPU cache tests) */
unsigned hal_cpu_id(void) { return fake_cpu_id; }
void hal_cpu_relax(void) {}
struct cpu *hal_cpu_self(void) { return self; }
void hal_cpu_set_self(struct cpu *cpu) { self = cpu; }
void hal_poweroff(void) { exit(0); }
void hal_reboot(void) { exit(0); }
void hal_halt(void) { exit(0); }
void hal_backtrace(void (*fn)(uintptr_t pc, void *arg), void *arg) { (void)fn; (void)arg; }

/* ---- console and time ---- */
void hal_console_putc(char c) { putchar(c); }
int hal_console_getc(void) { return -1; }
uint64_t hal_time_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
uint64_t hal_boot_realtime_ns(void) { return 0; }
void hal_timer_start(void) {}

/* ---- panic ---- */
void panic(const char *fmt, ...)
{
	va_list ap;

	fake_panic_count++;
	fprintf(stderr, "panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	mock_assert(0, "panic", __FILE__, __LINE__);
	abort();
}

/* ---- page tables: a chained hash map va -> (pa, prot) ---- */
uintptr_t hal_direct_map_offset = 0;
const uintptr_t hal_user_max = 0x800000000000UL;
struct hal_pt *fake_active_pt;

#define PT_BUCKETS 1024

struct pt_entry {
	uintptr_t va;
	phys_addr_t pa;
	unsigned prot;
	struct pt_entry *next;
};

struct hal_pt {
	struct pt_entry *buckets[PT_BUCKETS];
	size_t entries;
};

static struct pt_entry **pt_slot(struct hal_pt *pt, uintptr_t va)
{
	struct pt_entry **e = &pt->buckets[(va >> PAGE_SHIFT) % PT_BUCKETS];

	while (*e && (*e)->va != va)
		e = &(*e)->next;
	return e;
}

struct hal_pt *hal_pt_create(void) { return calloc(1, sizeof(struct hal_pt)); }

void hal_pt_destroy(struct hal_pt *pt)
{
	if (fake_active_pt == pt)
		panic("hal_pt_destroy of the active table");
	for (int i = 0; i < PT_BUCKETS; i++) {
		struct pt_entry *e = pt->buckets[i];
		while (e) {
			struct pt_entry *n = e->next;
			free(e);
			e = n;
		}
	}
	free(pt);
}

int hal_pt_map(struct hal_pt *pt, uintptr_t va, phys_addr_t pa, unsigned prot)
{
	if (va & (PAGE_SIZE - 1) || pa & (PAGE_SIZE - 1))
		panic("hal_pt_map: unaligned %lx -> %lx", (unsigned long)va, (unsigned long)pa);
	struct pt_entry **e = pt_slot(pt, va);
	if (!*e) {
		*e = calloc(1, sizeof(**e));
		if (!*e)
			return -ENOMEM;
		(*e)->va = va;
		pt->entries++;
	}
	(*e)->pa = pa;
	(*e)->prot = prot;
	return 0;
}

bool hal_pt_unmap(struct hal_pt *pt, uintptr_t va)
{
	struct pt_entry **e = pt_slot(pt, va);
	struct pt_entry *victim = *e;

	if (!victim)
		return false;
	*e = victim->next;
	free(victim);
	pt->entries--;
	return true;
}

bool hal_pt_translate(struct hal_pt *pt, uintptr_t va, phys_addr_t *pa, unsigned *prot)
{
	struct pt_entry *e = *pt_slot(pt, va & PAGE_MASK);

	if (!e)
		return false;
	*pa = e->pa;
	*prot = e->prot;
	return true;
}

bool hal_pt_protect(struct hal_pt *pt, uintptr_t va, unsigned prot)
{
	struct pt_entry *e = *pt_slot(pt, va);

	if (!e)
		return false;
	e->prot = prot;
	return true;
}

static int va_cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* The same contract as the real HALs: mapped pages of [start, end) in
 * address order (collected first, so fn sees a stable snapshot). */
int hal_pt_walk_range(struct hal_pt *pt, uintptr_t start, uintptr_t end, hal_walk_fn fn,
		      void *arg)
{
	uintptr_t *vas = malloc((pt->entries + 1) * sizeof(*vas));
	size_t n = 0;
	int err = 0;

	if (!vas)
		panic("hal_pt_walk_range: out of memory");
	for (int i = 0; i < PT_BUCKETS; i++)
		for (struct pt_entry *e = pt->buckets[i]; e; e = e->next)
			if (e->va >= start && e->va < end)
				vas[n++] = e->va;
	qsort(vas, n, sizeof(*vas), va_cmp);
	for (size_t i = 0; i < n && !err; i++) {
		struct pt_entry **slot = pt_slot(pt, vas[i]), *e = *slot;
		unsigned prot = e->prot;

		err = fn(arg, e->va, e->pa, &prot);
		if (err == HAL_WALK_UNMAP) {
			*slot = e->next;
			free(e);
			pt->entries--;
			err = 0;
		} else if (err == 0) {
			e->prot = prot;
		}
	}
	free(vas);
	return err < 0 ? err : 0;
}

void hal_pt_activate(struct hal_pt *pt) { fake_active_pt = pt; }
void hal_tlb_flush_page(uintptr_t va) { (void)va; }
void hal_tlb_flush_all(void) {}

size_t fake_pt_entries(struct hal_pt *pt) { return pt->entries; }

/* One CPU: no other TLB to shoot down. */
void smp_set_active_pt(struct hal_pt *pt) { (void)pt; }
void smp_tlb_shootdown(struct hal_pt *pt) { (void)pt; }
