/*
 * Leak accounting: the live-object counters of every subsystem in one
 * table, shown as "name value" lines in /proc/ferrite/counters. The guest
 * test runner reads them before and after each test and reports any
 * difference as a leak. Each reader is an atomic load in its subsystem;
 * the table itself is constant (src/fs/procfs_counters.c).
 */
#pragma once
#include <ferrite/types.h>

struct counter {
	const char *name;
	size_t (*read)(void);
};

/* Return: the counter table and its length in *n. */
const struct counter *counters_table(size_t *n);
