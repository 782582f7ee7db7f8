/*
 * A fake current task and process for host tests of code that looks at
 * current (credentials, address space) or sleeps on a wait queue.
 * Single-threaded: a "sleep" runs fake_sleep_hook once (the other side of
 * the test acting meanwhile); with no hook an endless sleep is broken by a
 * pending signal, and a sleep with a deadline times out.
 */
#pragma once
#include <ferrite/task.h>

extern struct task fake_task;
extern struct process fake_proc;
extern bool fake_signal_pending;
extern int fake_sleep_count;
extern void (*fake_sleep_hook)(void);

/* Make fake_task (of fake_proc, pid 100, root) current. */
void fake_task_init(void);
/* Run current as process p (its mm and credentials). */
void fake_set_proc(struct process *p);
