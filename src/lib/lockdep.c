/*
 * The lock-order validator, Linux's lockdep in spirit but small (debug
 * builds only; docs/locking.md).
 *
 * Classes: a spinlock's class is its name string (SPINLOCK_INIT(name) or
 * spin_init(l, name): one static string per init site), a mutex's is the
 * place mutex_init was called from (a static MUTEX_INIT mutex: its own
 * address). A class is looked up once per lock and cached in the lock.
 *
 * Held locks: spinlocks on a per-CPU stack (a spinlock never sleeps, so it
 * is released on the CPU that took it), mutexes on a per-task stack.
 * Taking lock B while holding A records the edge A -> B of the class graph
 * with both acquisition sites. A new edge is first checked: when A can be
 * reached from B through edges seen before, the two orders can deadlock
 * and the run gets a "BUG: lockdep:" line with the sites of both. Also
 * reported: a lock taken twice on one CPU, a release of a lock this CPU
 * (or task) does not hold, and sleeping (schedule, mutex_lock, down...)
 * with a spinlock held. After the first report the validator turns itself
 * off (the state it would check may be inconsistent), as Linux's does.
 *
 * Bounded: LD_CLASSES classes, LD_EDGES edges, LD_HELD locks held per CPU,
 * LD_TASK_HELD mutexes per task; no allocation. Running out is reported
 * as a warning and turns the validator off.
 *
 * Locking: the tables are written under ld_graph_lock, a bare test-and-set
 * word (not a struct spinlock: the validator cannot validate itself),
 * taken with interrupts off. The hash tables are read without it: a slot's
 * key is published with a release store after the entry it names is
 * complete. The per-CPU stacks are touched only by their CPU (see
 * enter()); a task's stack only by that task.
 */
#include <ferrite/cpu.h>
#include <ferrite/ksyms.h>
#include <ferrite/lockdep.h>
#include <ferrite/mutex.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/sched.h>
#include <ferrite/spinlock.h>
#include <ferrite/task.h>

#define LD_CLASSES 1024
#define LD_CLASS_SLOTS 2048 /* power of two */
#define LD_EDGES 8192
#define LD_EDGE_SLOTS 16384 /* power of two */
#define LD_HELD 48

struct ld_class {
	const void *key;
	const char *name;   /* spinlock name, or NULL: a mutex */
	int first_out;      /* first edge from this class, -1 none */
	bool site;          /* key is a code address (mutex_init's caller) */
};

struct ld_edge {
	unsigned from, to;
	uintptr_t from_ip, to_ip; /* where each was taken when first seen */
	int next_out;
};

#define ld_held lockdep_held

struct ld_cpu {
	unsigned depth;
	bool busy; /* inside the validator (its printing takes locks) */
	struct ld_held held[LD_HELD];
};

static struct ld_class classes[LD_CLASSES];
static unsigned nr_classes;
static unsigned class_slots[LD_CLASS_SLOTS];     /* class + 1, 0 empty */
static struct ld_edge edges[LD_EDGES];
static unsigned nr_edges;
static unsigned edge_slots[LD_EDGE_SLOTS];       /* edge + 1, 0 empty */
static struct ld_cpu ld_cpus[MAX_CPUS];
static int ld_graph_lock;
static int ld_on;          /* validating */
static int ld_selftest_on; /* reports do not turn the validator off */
static unsigned ld_reports;

static unsigned long graph_lock(void)
{
	unsigned long flags = hal_irq_save();

	while (__atomic_exchange_n(&ld_graph_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&ld_graph_lock, __ATOMIC_RELAXED))
			hal_cpu_relax();
	return flags;
}

static void graph_unlock(unsigned long flags)
{
	__atomic_store_n(&ld_graph_lock, 0, __ATOMIC_RELEASE);
	hal_irq_restore(flags);
}

static unsigned hash_ptr(const void *p)
{
	uint64_t x = (uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (unsigned)x;
}

/* First report wins; returns false when another one is under way. */
static bool report_begin(void)
{
	if (ld_selftest_on) {
		ld_reports++;
		return true;
	}
	if (!__atomic_exchange_n(&ld_on, 0, __ATOMIC_ACQ_REL))
		return false;
	ld_reports++;
	return true;
}

static void print_site(const char *what, uintptr_t ip)
{
	uintptr_t off = 0;
	const char *sym = ksym_lookup(ip, &off);

	if (sym)
		kprintf("%s at %s+0x%lx\n", what, sym, (unsigned long)off);
	else
		kprintf("%s at %#lx\n", what, (unsigned long)ip);
}

static void print_class(const char *prefix, unsigned c)
{
	uintptr_t off = 0;
	const char *sym;

	if (classes[c].name) {
		kprintf("%s spinlock \"%s\"", prefix, classes[c].name);
		return;
	}
	sym = classes[c].site ? ksym_lookup((uintptr_t)classes[c].key, &off) : NULL;
	if (sym)
		kprintf("%s mutex of %s+0x%lx", prefix, sym, (unsigned long)off);
	else
		kprintf("%s mutex of %p", prefix, classes[c].key);
}

static void hal_backtrace_print(void);

static void out_of_room(const char *what)
{
	if (report_begin())
		pr_warn("lockdep: out of %s; validator off\n", what);
	__atomic_store_n(&ld_on, 0, __ATOMIC_RELEASE);
}

/* The class of key, made on first use. -1 when the table is full. */
static int class_of(const void *key, const char *name, bool site)
{
	unsigned h = hash_ptr(key) & (LD_CLASS_SLOTS - 1);

	for (;;) { /* lock-free look-up */
		unsigned s = __atomic_load_n(&class_slots[h], __ATOMIC_ACQUIRE);
		if (!s)
			break;
		if (classes[s - 1].key == key)
			return (int)(s - 1);
		h = (h + 1) & (LD_CLASS_SLOTS - 1);
	}
	unsigned long flags = graph_lock();
	int ret = -1;
	h = hash_ptr(key) & (LD_CLASS_SLOTS - 1);
	for (;;) {
		unsigned s = class_slots[h];
		if (!s)
			break;
		if (classes[s - 1].key == key) {
			ret = (int)(s - 1);
			goto out;
		}
		h = (h + 1) & (LD_CLASS_SLOTS - 1);
	}
	if (nr_classes < LD_CLASSES) {
		unsigned c = nr_classes++;
		classes[c] = (struct ld_class){ key, name, -1, site };
		__atomic_store_n(&class_slots[h], c + 1, __ATOMIC_RELEASE);
		ret = (int)c;
	}
out:
	graph_unlock(flags);
	if (ret < 0)
		out_of_room("lock classes");
	return ret;
}

static unsigned edge_hash(unsigned from, unsigned to)
{
	return (from * 2654435761u ^ to * 40503u) & (LD_EDGE_SLOTS - 1);
}

static bool edge_known(unsigned from, unsigned to)
{
	unsigned h = edge_hash(from, to);

	for (;;) {
		unsigned s = __atomic_load_n(&edge_slots[h], __ATOMIC_ACQUIRE);
		if (!s)
			return false;
		if (edges[s - 1].from == from && edges[s - 1].to == to)
			return true;
		h = (h + 1) & (LD_EDGE_SLOTS - 1);
	}
}

/* Breadth-first from `from` (graph lock held): the edge into `to` on a
 * shortest path, or -1. */
static int bfs_prev[LD_CLASSES];
static unsigned bfs_queue[LD_CLASSES];
static int find_path(unsigned from, unsigned to)
{
	unsigned head = 0, tail = 0;

	for (unsigned i = 0; i < nr_classes; i++)
		bfs_prev[i] = -2;
	bfs_prev[from] = -1;
	bfs_queue[tail++] = from;
	while (head < tail) {
		unsigned c = bfs_queue[head++];
		for (int e = classes[c].first_out; e >= 0; e = edges[e].next_out) {
			unsigned n = edges[e].to;
			if (bfs_prev[n] != -2)
				continue;
			bfs_prev[n] = e;
			if (n == to)
				return e;
			bfs_queue[tail++] = n;
		}
	}
	return -1;
}

static void report_inversion(const struct ld_held *a, unsigned b, uintptr_t ip, int last)
{
	/* The path b -> ... -> a, walked back from a. */
	int path[16], n = 0;

	for (int e = last; e >= 0 && n < 16; e = bfs_prev[edges[e].from])
		path[n++] = e;
	kprintf("BUG: lockdep: lock order inversion (possible deadlock) on CPU %u\n",
		hal_cpu_id());
	print_class(" taking", b);
	print_site("", ip);
	print_class(" while holding", a->cls);
	print_site("", a->ip);
	kprintf(" but the opposite order was seen before:\n");
	while (n--) {
		const struct ld_edge *e = &edges[path[n]];
		print_class("  holding", e->from);
		print_site("", e->from_ip);
		print_class("  then taking", e->to);
		print_site("", e->to_ip);
	}
	hal_backtrace_print();
}

/* a is held, b is being taken at ip: record a -> b, unless b -> a exists. */
static void add_dep(const struct ld_held *a, unsigned b, uintptr_t ip)
{
	if (edge_known(a->cls, b))
		return;
	unsigned long flags = graph_lock();
	if (edge_known(a->cls, b)) {
		graph_unlock(flags);
		return;
	}
	int path = find_path(b, a->cls);
	if (path >= 0) {
		bool first = report_begin();
		if (first)
			report_inversion(a, b, ip, path);
		graph_unlock(flags);
		return;
	}
	if (nr_edges >= LD_EDGES) {
		graph_unlock(flags);
		out_of_room("lock dependencies");
		return;
	}
	unsigned i = nr_edges++;
	edges[i] = (struct ld_edge){ a->cls, b, a->ip, ip, classes[a->cls].first_out };
	classes[a->cls].first_out = (int)i;
	unsigned h = edge_hash(a->cls, b);
	while (edge_slots[h])
		h = (h + 1) & (LD_EDGE_SLOTS - 1);
	__atomic_store_n(&edge_slots[h], i + 1, __ATOMIC_RELEASE);
	graph_unlock(flags);
}

static void print_frame(uintptr_t pc, void *arg)
{
	(void)arg;
	print_site("   ", pc);
}

static void hal_backtrace_print(void)
{
	kprintf(" backtrace:\n");
	hal_backtrace(print_frame, NULL);
}

/*
 * No interrupt masking on the hot path (it is slow under QEMU): an
 * interrupt handler that takes locks while this CPU is inside the
 * validator sees busy and skips both its acquire and its release; one
 * that comes between two validator calls pushes above depth and pops back
 * before it returns, so the stack is LIFO per context. The compiler
 * barriers keep each entry written before depth covers it.
 */
static struct ld_cpu *enter(unsigned long *flags)
{
	(void)flags;
	if (!__atomic_load_n(&ld_on, __ATOMIC_RELAXED))
		return NULL;
	struct ld_cpu *c = &ld_cpus[hal_cpu_id() % MAX_CPUS];
	if (c->busy)
		return NULL;
	c->busy = true;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return c;
}

static void leave(struct ld_cpu *c, unsigned long flags)
{
	(void)flags;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	c->busy = false;
}

/* Edges from every lock held here (and by the running task) to cls. */
static void check_held(struct ld_cpu *c, const void *lock, unsigned cls, uintptr_t ip,
		       bool with_task)
{
	for (unsigned i = 0; i < c->depth; i++) {
		const struct ld_held *h = &c->held[i];
		if (h->lock == lock) {
			if (report_begin()) {
				kprintf("BUG: lockdep: recursive locking (deadlock) on CPU %u\n",
					hal_cpu_id());
				print_class(" taking", cls);
				print_site("", ip);
				print_site(" already held, taken", h->ip);
				hal_backtrace_print();
			}
			return;
		}
		if (h->cls != cls)
			add_dep(h, cls, ip);
	}
	struct cpu *self = hal_cpu_self();
	struct task *t = self ? cpu_current(self) : NULL;
	if (!with_task || !t)
		return;
	for (unsigned i = 0; i < t->ld.depth && i < LD_TASK_HELD; i++)
		if (t->ld.held[i].cls != cls)
			add_dep(&t->ld.held[i], cls, ip);
}

void lockdep_acquire(struct spinlock *l, bool trylock)
{
	unsigned long flags;
	struct ld_cpu *c;

	if (!l->name || !(c = enter(&flags)))
		return;
	uintptr_t ip = (uintptr_t)__builtin_return_address(0);
	if (!l->ld_class) {
		int cls = class_of(l->name, l->name, false);
		if (cls < 0)
			goto out;
		l->ld_class = (unsigned)cls + 1;
	}
	unsigned cls = l->ld_class - 1;
	if (!trylock)
		check_held(c, l, cls, ip, true);
	if (c->depth >= LD_HELD) {
		out_of_room("held-lock slots");
		goto out;
	}
	c->held[c->depth++] = (struct ld_held){ l, cls, ip };
out:
	leave(c, flags);
}

static void report_not_held(const char *kind, const char *name, const void *lock, uintptr_t ip)
{
	if (!report_begin())
		return;
	kprintf("BUG: lockdep: releasing %s \"%s\" (%p) that this %s does not hold\n", kind,
		name, lock, kind[0] == 's' ? "CPU" : "task");
	print_site(" released", ip);
	hal_backtrace_print();
}

void lockdep_release(struct spinlock *l)
{
	unsigned long flags;
	struct ld_cpu *c;

	if (!l->name || !(c = enter(&flags)))
		return;
	unsigned i = c->depth;
	while (i > 0 && c->held[i - 1].lock != l)
		i--;
	if (!i) {
		report_not_held("spinlock", l->name, l, (uintptr_t)__builtin_return_address(0));
	} else {
		for (; i < c->depth; i++)
			c->held[i - 1] = c->held[i];
		c->depth--;
	}
	leave(c, flags);
}

void lockdep_might_sleep(const char *what)
{
	unsigned long flags;
	struct ld_cpu *c;

	if (!(c = enter(&flags)))
		return;
	if (c->depth && report_begin()) {
		const struct ld_held *h = &c->held[c->depth - 1];
		kprintf("BUG: lockdep: sleeping (%s) with a spinlock held on CPU %u\n", what,
			hal_cpu_id());
		print_site(" called", (uintptr_t)__builtin_return_address(0));
		print_class(" holding", h->cls);
		print_site("", h->ip);
		hal_backtrace_print();
	}
	leave(c, flags);
}

static int mutex_class(struct mutex *m)
{
	if (!m->ld_class) {
		int cls = class_of(m->ld_key ? m->ld_key : (const void *)m, NULL, m->ld_key != NULL);
		if (cls < 0)
			return -1;
		m->ld_class = (unsigned)cls + 1;
	}
	return (int)m->ld_class - 1;
}

void lockdep_mutex_acquire(struct mutex *m, bool trylock, uintptr_t ip)
{
	unsigned long flags;
	struct ld_cpu *c;
	struct task *t = current;

	if (!t || !(c = enter(&flags)))
		return;
	int cls = mutex_class(m);
	if (cls < 0)
		goto out;
	if (!trylock) {
		/* Only the task's own mutexes: a held spinlock is reported by
		 * lockdep_might_sleep. */
		for (unsigned i = 0; i < t->ld.depth; i++)
			if (t->ld.held[i].cls != (unsigned)cls)
				add_dep(&t->ld.held[i], (unsigned)cls, ip);
	}
	if (t->ld.depth >= LD_TASK_HELD) {
		out_of_room("held-mutex slots");
		goto out;
	}
	t->ld.held[t->ld.depth++] = (struct ld_held){ m, (unsigned)cls, ip };
out:
	leave(c, flags);
}

void lockdep_mutex_release(struct mutex *m)
{
	unsigned long flags;
	struct ld_cpu *c;
	struct task *t = current;

	if (!t || !(c = enter(&flags)))
		return;
	unsigned i = t->ld.depth;
	while (i > 0 && t->ld.held[i - 1].lock != m)
		i--;
	if (!i) {
		report_not_held("mutex", "", m, (uintptr_t)__builtin_return_address(0));
	} else {
		for (; i < t->ld.depth; i++)
			t->ld.held[i - 1] = t->ld.held[i];
		t->ld.depth--;
	}
	leave(c, flags);
}

void lockdep_init(void)
{
	__atomic_store_n(&ld_on, 1, __ATOMIC_RELEASE);
	pr_info("lockdep: lock-order validator on (%u classes, %u dependencies at most)\n",
		LD_CLASSES, LD_EDGES);
}

/* /proc/ferrite/lockdep: whether it runs and how much it has seen. */
int lockdep_show(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "on %d\nclasses %u\ndependencies %u\nreports %u\n",
		    __atomic_load_n(&ld_on, __ATOMIC_RELAXED), READ_ONCE(nr_classes),
		    READ_ONCE(nr_edges), READ_ONCE(ld_reports));
	return 0;
}

void lockdep_off(void)
{
	__atomic_store_n(&ld_on, 0, __ATOMIC_RELEASE);
	pr_info("lockdep: off (ferrite.lockdep=0)\n");
}

/* Called with only this CPU running and the validator on. */
void lockdep_selftest(void)
{
	static struct spinlock a = SPINLOCK_INIT("selftest_a");
	static struct spinlock b = SPINLOCK_INIT("selftest_b");
	static struct spinlock c = SPINLOCK_INIT("selftest_c");
	static DEFINE_MUTEX(ma);
	static DEFINE_MUTEX(mb);
	unsigned before = ld_reports;

	if (!__atomic_load_n(&ld_on, __ATOMIC_RELAXED))
		return;
	ld_selftest_on = 1;
	pr_info("lockdep selftest: a -> b, then b -> a\n");
	spin_lock(&a);
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
	spin_lock(&b);
	spin_lock(&a); /* reported: the inversion */
	spin_unlock(&a);
	spin_unlock(&b);

	pr_info("lockdep selftest: b -> c, then c -> a (closes a -> b -> c -> a)\n");
	spin_lock(&b);
	spin_lock(&c);
	spin_unlock(&c);
	spin_unlock(&b);
	spin_lock(&c);
	spin_lock(&a); /* reported, with the path a -> b -> c */
	spin_unlock(&a);
	spin_unlock(&c);

	pr_info("lockdep selftest: schedule() with a spinlock held\n");
	spin_lock(&c);
	schedule();
	spin_unlock(&c);

	pr_info("lockdep selftest: releasing a spinlock not held\n");
	spin_lock(&c);
	ld_cpus[hal_cpu_id()].depth--; /* forget it, as a lost acquire would */
	spin_unlock(&c);

	pr_info("lockdep selftest: mutex ma -> mb, then mb -> ma\n");
	mutex_lock(&ma);
	mutex_lock(&mb);
	mutex_unlock(&mb);
	mutex_unlock(&ma);
	mutex_lock(&mb);
	mutex_lock(&ma); /* reported (it does not block: one task) */
	mutex_unlock(&ma);
	mutex_unlock(&mb);

	ld_selftest_on = 0;
	if (ld_reports - before == 5)
		pr_info("lockdep selftest: 5 of 5 reported\n");
	else
		kprintf("BUG: lockdep selftest: %u of 5 reported\n", ld_reports - before);
}
