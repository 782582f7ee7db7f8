/*
 * The judge runner of /init (judge.c, docs/judge.md).
 */
#pragma once
#include <stdbool.h>

/* Run the judge disk's *_testcode.sh scripts when there is such a disk and
 * judge=off is not on the command line. Return: true when scripts ran (the
 * caller powers off), false to boot on as usual. */
bool judge_run(void);
