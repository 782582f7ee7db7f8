/*
 * clone(2)'s flag bits (Linux UAPI <linux/sched.h>) and the one request
 * both clone entry points build: legacy clone/fork/vfork (fork.c) and
 * clone3 (clone3.c) decode their arguments into a struct clone_request
 * and call do_clone().
 */
#pragma once
#include <ferrite/types.h>

#define CSIGNAL 0x000000ff
#define CLONE_NEWTIME 0x00000080 /* clone3 only: in CSIGNAL for clone */
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_UNTRACED 0x00800000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_NEWCGROUP 0x02000000
#define CLONE_NEWUTS 0x04000000
#define CLONE_NEWIPC 0x08000000
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWNET 0x40000000
#define CLONE_IO 0x80000000UL
#define CLONE_CLEAR_SIGHAND 0x100000000ULL /* clone3 only */
#define CLONE_INTO_CGROUP 0x200000000ULL   /* clone3 only */

/* What a clone call asks for, decoded (Linux's kernel_clone_args). */
struct clone_request {
	uint64_t flags;           /* CLONE_*, without the exit signal */
	int exit_signal;          /* 0..64: sent to the parent at exit */
	uintptr_t stack;          /* the child's stack pointer; 0: the caller's */
	uintptr_t tls;            /* CLONE_SETTLS */
	int __user *pidfd;        /* CLONE_PIDFD: where the pidfd goes */
	int __user *parent_tid;   /* CLONE_PARENT_SETTID */
	int __user *child_tid;    /* CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID */
	pid_t set_tid;            /* clone3 set_tid[0]; 0: any free id */
};

/* Create the thread or process req describes. Return: its id, or -errno. */
long do_clone(const struct clone_request *req);
