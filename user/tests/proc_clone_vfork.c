/*
 * clone flag checks and a killable vfork wait (issue 8, item 3).
 *
 * clone(CLONE_VFORK | CLONE_THREAD | CLONE_VM | CLONE_SIGHAND | ...) makes
 * a thread the caller waits for until it exits or execs; the wait must end
 * when the thread exits, and SIGKILL must end it when the thread never
 * does. The combinations Linux's copy_process refuses give EINVAL, and the
 * legacy clone looks at the low 32 bits of its flags only.
 */
#include "common.h"
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>

#if defined(__x86_64__)
#define NR_EXIT 60
#define NR_PPOLL 271
#elif defined(__riscv)
#define NR_EXIT 93
#define NR_PPOLL 73
#endif

/* The flags of the report: 0x94b89 (signal 0x89 is ignored for threads). */
#define VFORK_THREAD_FLAGS                                                          \
	(CLONE_SETTLS | CLONE_THREAD | CLONE_VFORK | CLONE_SIGHAND | CLONE_FS | CLONE_VM | \
	 0x89)

/*
 * clone(flags) where the new thread, on the caller's stack (no new stack:
 * it must touch no memory), runs only system calls: exit(0), or, when
 * forever, ppoll(NULL, 0, NULL, NULL) in a loop (sleeps until killed).
 */
static long clone_bare(unsigned long flags, int forever)
{
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = 0; /* child_tid */
	register long r8 __asm__("r8") = 0;   /* tls */
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 2f\n\t"
			 "test %[forever], %[forever]\n\t"
			 "jnz 1f\n\t"
			 "mov %[nr_exit], %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:\n\t"
			 "mov %[nr_ppoll], %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "xor %%esi, %%esi\n\t"
			 "xor %%edx, %%edx\n\t"
			 "xor %%r10d, %%r10d\n\t"
			 "xor %%r8d, %%r8d\n\t"
			 "syscall\n\t"
			 "jmp 1b\n"
			 "2:"
			 : "=a"(ret), "+r"(r10), "+r"(r8)
			 : "0"((long)SYS_clone), "D"(flags), "S"(0L), "d"(0L),
			   [forever] "r"((long)forever), [nr_exit] "i"(NR_EXIT),
			   [nr_ppoll] "i"(NR_PPOLL)
			 : "rcx", "r11", "memory");
#elif defined(__riscv)
	register long a0 __asm__("a0") = (long)flags;
	register long a1 __asm__("a1") = 0; /* newsp */
	register long a2 __asm__("a2") = 0; /* parent_tid */
	register long a3 __asm__("a3") = 0; /* tls */
	register long a4 __asm__("a4") = 0; /* child_tid */
	register long a7 __asm__("a7") = SYS_clone;
	register long t0 __asm__("t0") = forever;
	__asm__ volatile("ecall\n\t"
			 "bnez a0, 2f\n\t"
			 "bnez t0, 1f\n\t"
			 "li a7, %[nr_exit]\n\t"
			 "ecall\n"
			 "1:\n\t"
			 "li a0, 0\n\t"
			 "li a1, 0\n\t"
			 "li a2, 0\n\t"
			 "li a3, 0\n\t"
			 "li a4, 0\n\t"
			 "li a7, %[nr_ppoll]\n\t"
			 "ecall\n\t"
			 "j 1b\n"
			 "2:"
			 : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a7)
			 : "r"(t0), [nr_exit] "i"(NR_EXIT), [nr_ppoll] "i"(NR_PPOLL)
			 : "memory");
	ret = a0;
#endif
	return ret;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Wait for pid up to about ms; return its status, or -1 on timeout. */
static int wait_timeout(pid_t pid, long ms)
{
	int status;

	for (long i = 0; i < ms / 5; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		CHECK(r >= 0, "waitpid(%d)", (int)pid);
		if (r == pid)
			return status;
		sleep_ms(5);
	}
	return -1;
}

static void flag_checks(void)
{
	/* A fork-like call that Linux would refuse; should one succeed, the
	 * child leaves at once. */
#define EXPECT_EINVAL(flags)                                                      \
	do {                                                                      \
		fflush(NULL);                                                     \
		errno = 0;                                                        \
		long r_ = syscall(SYS_clone, (unsigned long)(flags), 0, 0, 0, 0); \
		if (r_ == 0)                                                      \
			_exit(99);                                                \
		CHECK(r_ == -1 && errno == EINVAL, "clone(%s) = %ld, want EINVAL", #flags, r_); \
	} while (0)
	EXPECT_EINVAL(CLONE_THREAD | SIGCHLD);
	EXPECT_EINVAL(CLONE_THREAD | CLONE_VM | SIGCHLD);
	EXPECT_EINVAL(CLONE_SIGHAND | SIGCHLD);
	EXPECT_EINVAL(CLONE_SIGHAND | CLONE_THREAD | SIGCHLD);
	EXPECT_EINVAL(CLONE_NEWNS | CLONE_FS | SIGCHLD);
	EXPECT_EINVAL(CLONE_NEWUSER | CLONE_FS | SIGCHLD);
	EXPECT_EINVAL(CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM);
	if (under_qemu_user())
		return; /* qemu-user checks the flags itself */
	/* The legacy clone ignores the high 32 bits. */
	int status;
	fflush(NULL);
	long c = syscall(SYS_clone, (1UL << 32) | SIGCHLD, 0, 0, 0, 0);
	if (c == 0)
		_exit(6);
	CHECK(c > 0, "clone with a high bit");
	CHECK(waitpid((pid_t)c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 6,
	      "status 0x%x", status);
}

/* The vfork-thread exits: the caller's clone returns its tid. */
static void vfork_thread_exits(void)
{
	long tid = clone_bare(VFORK_THREAD_FLAGS, 0);

	CHECK(tid > 0, "clone(0x%lx) = %ld", (unsigned long)VFORK_THREAD_FLAGS, tid);
}

/* The vfork-thread sleeps forever: SIGKILL ends the caller and all. */
static void vfork_thread_killed(void)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		clone_bare(VFORK_THREAD_FLAGS, 1);
		_exit(2); /* the thread never exits: we never get here */
	}
	sleep_ms(100);
	CHECK(wait_timeout(pid, 0) == -1, "the vfork caller returned");
	CHECK(kill(pid, SIGKILL) == 0, "kill");
	status = wait_timeout(pid, 5000);
	CHECK(status != -1, "SIGKILL did not end the vfork caller");
	expect_killed_by(status, SIGKILL, "vfork caller");
}

int main(void)
{
	flag_checks();
	if (under_qemu_user())
		return 0; /* qemu-user turns CLONE_VFORK into a fork */
	vfork_thread_exits();
	vfork_thread_killed();
	return 0;
}
