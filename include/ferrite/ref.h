/* Reference counts (kref-like): init to 1, release on the last put. */
#pragma once
#include <ferrite/types.h>
#include <ferrite/printk.h>

struct ref {
	int count; /* atomic */
};

static inline void ref_init(struct ref *r) { __atomic_store_n(&r->count, 1, __ATOMIC_RELAXED); }
static inline int ref_read(const struct ref *r) { return __atomic_load_n(&r->count, __ATOMIC_RELAXED); }
static inline void ref_get(struct ref *r)
{
	int old = __atomic_fetch_add(&r->count, 1, __ATOMIC_RELAXED);
	BUG_ON(old <= 0);
}
/* For objects found through a lookup table whose count may already be 0. */
static inline bool ref_get_unless_zero(struct ref *r)
{
	int c = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
	do {
		if (c == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&r->count, &c, c + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}
/* Return: true when this put dropped the last reference (release was called). */
static inline bool ref_put(struct ref *r, void (*release)(struct ref *))
{
	int old = __atomic_fetch_sub(&r->count, 1, __ATOMIC_ACQ_REL);
	BUG_ON(old <= 0);
	if (old == 1) {
		release(r);
		return true;
	}
	return false;
}
