/*
 * Shared by the judge image's basic suite (one program per system call,
 * docs/judge.md): each prints the public suite's START/END banners around a
 * result line "testcase basic NAME success|fail" that scripts/judge/score.py
 * counts. Plain POSIX C: built with glibc and with musl-gcc.
 */
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *jt_name;
static int jt_failed;

static inline void jt_begin(const char *name)
{
	jt_name = name;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("========== START test_%s ==========\n", name);
}

#define JT_CHECK(cond)                                                                  \
	do {                                                                            \
		if (!(cond)) {                                                          \
			printf("  %s:%d: check failed: %s (errno %d)\n", __FILE__, __LINE__, \
			       #cond, errno);                                           \
			jt_failed = 1;                                                  \
		}                                                                       \
	} while (0)

static inline int jt_end(void)
{
	printf("testcase basic %s %s\n", jt_name, jt_failed ? "fail" : "success");
	printf("========== END test_%s ==========\n", jt_name);
	return jt_failed;
}
