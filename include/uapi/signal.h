/*
 * User ABI: signals. Numbers are the same on riscv64 and x86_64. struct
 * sigaction (the kernel's, as rt_sigaction takes it) differs: x86_64 has
 * sa_restorer before the mask, riscv64 (asm-generic without SA_RESTORER)
 * has none.
 */
#pragma once
#include <ferrite/types.h>

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31
#define SIGRTMIN 32
#define SIGRTMAX 64
#define NSIG 64

#define SIG_DFL ((uintptr_t)0)
#define SIG_IGN ((uintptr_t)1)

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

/* The struct rt_sigaction copies in and out. */
struct user_sigaction {
	uintptr_t handler;
	unsigned long flags;
#if defined(__x86_64__)
	uintptr_t restorer;
#endif
	uint64_t mask;
};

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

/* sigaltstack */
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ 2048

struct user_stack_t {
	uintptr_t ss_sp;
	int ss_flags;
	size_t ss_size;
};

/* The siginfo_t layout (128 bytes on LP64); only what Ferrite fills. */
struct user_siginfo {
	int si_signo;
	int si_errno;
	int si_code;
	int __pad0;
	union {
		struct {
			pid_t pid;
			uid_t uid;
			int status;
			int __pad1;
			long utime;
			long stime;
		} chld;
		struct {
			pid_t pid;
			uid_t uid;
		} kill;
		struct {
			pid_t pid;
			uid_t uid;
			uint64_t value; /* union sigval */
		} rt;
		struct {
			uintptr_t addr;
		} fault;
		char __pad[128 - 16];
	};
};
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo ABI");
