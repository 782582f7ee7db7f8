/*
 * Scoped cleanup, after Linux's include/linux/cleanup.h.
 *
 *   __free(kfree) struct foo *p = kzalloc(sizeof(*p));   freed on every return
 *   return take_ptr(p);                                   ownership moves out
 *   guard(spinlock)(&obj->lock);                          held to end of scope
 *
 * Define and initialise in one statement; never mix goto unwinding with
 * cleanup variables in one function.
 */
#pragma once
#include <ferrite/types.h>

#define DEFINE_FREE(name, type, free_expr) \
	static inline void __free_##name(void *p) { type _T = *(type *)p; free_expr; }
#define __free(name) __attribute__((cleanup(__free_##name)))

#define take_ptr(p)                        \
	({                                 \
		__typeof__(p) __tmp = (p); \
		(p) = NULL;                \
		__tmp;                     \
	})

#define __CLEANUP_CAT2(a, b) a##b
#define __CLEANUP_CAT(a, b) __CLEANUP_CAT2(a, b)
#define __UNIQUE_ID(prefix) __CLEANUP_CAT(prefix, __COUNTER__)

/*
 * DEFINE_GUARD(name, type, lock_expr, unlock_expr): `guard(name)(ptr)` runs
 * lock_expr on _T now and unlock_expr at the end of the enclosing scope.
 */
#define DEFINE_GUARD(name, type, lock, unlock)                                 \
	struct guard_##name { type _T; };                                      \
	static inline struct guard_##name guard_##name##_ctor(type _T)         \
	{ lock; return (struct guard_##name){ _T }; }                          \
	static inline void guard_##name##_dtor(struct guard_##name *g)         \
	{ type _T = g->_T; unlock; }

#define guard(name) \
	struct guard_##name __UNIQUE_ID(guard_) __attribute__((cleanup(guard_##name##_dtor), unused)) = guard_##name##_ctor

#define scoped_guard(name, arg)                                                          \
	for (struct guard_##name __sg __attribute__((cleanup(guard_##name##_dtor))) =     \
		     guard_##name##_ctor(arg), *__sg_once = &__sg;                        \
	     __sg_once; __sg_once = NULL)
