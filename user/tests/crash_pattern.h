/*
 * The files of the power-cut test (crash_writer.c, crash_reader.c,
 * scripts/crash-check.py computes the same): file i is d<i/20>/f<i>, its
 * size and every byte a function of i, so any copy can be checked alone.
 */
#ifndef FERRITE_CRASH_PATTERN_H
#define FERRITE_CRASH_PATTERN_H
#include <stddef.h>
#include <stdio.h>

#define CRASH_LABEL "ferrite-crash"
#define CRASH_MNT "/tmp/crash"
#define CRASH_FILES 100000

static inline size_t crash_size(unsigned i)
{
	return 1 + (size_t)(i * 7919u) % 40000;
}

static inline unsigned char crash_byte(unsigned i, size_t k)
{
	return (unsigned char)(i * 31u + k * 7u + (k >> 8));
}

static inline void crash_name(char *buf, size_t cap, unsigned i)
{
	snprintf(buf, cap, "d%03u/f%05u", i / 20, i);
}
#endif
