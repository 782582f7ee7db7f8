/*
 * The lock-order validator (debug builds only: FERRITE_DEBUG, meson
 * -Ddebug_checks=true). src/lib/lockdep.c, docs/locking.md.
 *
 * Spinlocks report themselves (include/ferrite/spinlock.h); sleeping
 * primitives call lockdep_might_sleep() before they may block, and
 * schedule() calls it before switching. Sleeping locks with an owner
 * (struct mutex) take part in the order graph through
 * lockdep_mutex_acquire/release, kept per task.
 * In release builds every hook is an empty inline.
 */
#pragma once
#include <ferrite/types.h>

struct mutex;
struct task;

#ifdef FERRITE_DEBUG
/* A held lock: the lock, its class, where it was taken. */
struct lockdep_held {
	const void *lock;
	unsigned cls;
	uintptr_t ip;
};
/* The mutexes a task holds (struct task's ld). */
#define LD_TASK_HELD 16
struct lockdep_task {
	unsigned depth;
	struct lockdep_held held[LD_TASK_HELD];
};

/* Report when this CPU holds a spinlock: what names the caller (schedule,
 * mutex_lock...). */
void lockdep_might_sleep(const char *what);
/* A mutex m is about to be taken (before sleeping; try: after success),
 * or released, by the current task. */
void lockdep_mutex_acquire(struct mutex *m, bool trylock, uintptr_t ip);
void lockdep_mutex_release(struct mutex *m);
/* Boot-time self-test (ferrite.selftest=lockdep): an inversion, a sleep
 * with a spinlock held, a release of a lock not held, a mutex inversion;
 * each must be reported. */
void lockdep_selftest(void);
/* Start validating (boot CPU, once its per-CPU block is set). */
void lockdep_init(void);
struct pbuf;
/* /proc/ferrite/lockdep: on, classes, dependencies, reports. */
int lockdep_show(struct pbuf *b, pid_t pid);
/* ferrite.lockdep=0: stop validating. */
void lockdep_off(void);
#else
static inline void lockdep_off(void) {}
static inline void lockdep_might_sleep(const char *what) { (void)what; }
static inline void lockdep_mutex_acquire(struct mutex *m, bool trylock, uintptr_t ip)
{
	(void)m; (void)trylock; (void)ip;
}
static inline void lockdep_mutex_release(struct mutex *m) { (void)m; }
static inline void lockdep_selftest(void) {}
static inline void lockdep_init(void) {}
#endif
