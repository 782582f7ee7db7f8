/*
 * Futexes (src/usync/futex.c): waiters keyed by (address space, user
 * address). Used by sys_futex and by thread exit (CLONE_CHILD_CLEARTID).
 */
#pragma once
#include <ferrite/types.h>

struct mm;

#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

/* Wake up to nr waiters on (mm, uaddr) whose bitset intersects bitset.
 * Return the number woken. */
int futex_wake(struct mm *mm, uintptr_t uaddr, int nr, uint32_t bitset);
