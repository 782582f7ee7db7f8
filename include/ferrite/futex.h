/*
 * Futexes (src/usync/futex_*.c, docs/futex.md): the kernel half of user
 * space locks. Used by sys_futex and by thread exit (robust lists,
 * CLONE_CHILD_CLEARTID).
 */
#pragma once
#include <ferrite/types.h>

struct mm;
struct task;

#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/* The robust-futex word (Linux ABI): owner tid plus two flag bits. */
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

/*
 * Wake up to nr waiters (at least one when any wait) on the futex at uaddr
 * in mm whose bitset intersects bitset, as FUTEX_WAKE without
 * FUTEX_PRIVATE_FLAG does: in a MAP_SHARED page it reaches waiters of
 * every process. Return the number woken, -EINVAL or -EFAULT.
 */
int futex_wake(struct mm *mm, uintptr_t uaddr, int nr, uint32_t bitset);

/*
 * Thread exit (and exec): walk self's robust list (set_robust_list) in its
 * address space, which must be current. Each futex still owned by self
 * gets FUTEX_OWNER_DIED and one waiter is woken when FUTEX_WAITERS is set.
 * Bounded and tolerant of bad pointers. Clears self->robust_list.
 */
void futex_exit_robust_list(struct task *self);
