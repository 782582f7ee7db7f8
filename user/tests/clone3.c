/*
 * clone3(2): the size versions of struct clone_args and its zero-tail
 * rule, the flag and argument checks Linux makes (in its order), and what
 * a child gets: exit_signal, the stack pointer stack + stack_size, tls,
 * parent_tid/child_tid, CLONE_PIDFD's descriptor, CLONE_CLEAR_SIGHAND's
 * handlers, set_tid's checks and CLONE_INTO_CGROUP without a cgroup.
 * qemu-user (riscv64 reference run) has no clone3: ENOSYS there skips.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define CLONE_CLEAR_SIGHAND_ 0x100000000ULL
#define CLONE_INTO_CGROUP_ 0x200000000ULL

struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
	uint64_t tail[3]; /* beyond VER2: must be zero */
};

static long clone3_(struct clone_args_ *a, size_t size)
{
	return syscall(SYS_clone3, a, size);
}

/* A child that exits with code at once; wait for it and check status. */
static void expect_child(long pid, int code, const char *what)
{
	int status;

	if (pid == 0)
		_exit(code);
	CHECK(pid > 0, "%s: clone3", what);
	CHECK(waitpid((pid_t)pid, &status, 0) == pid, "%s: waitpid", what);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == code, "%s: status 0x%x", what, status);
}

static void test_sizes(void)
{
	struct clone_args_ a = { .exit_signal = SIGCHLD };

	CHECK_ERRNO(clone3_(&a, 0), EINVAL);
	CHECK_ERRNO(clone3_(&a, 63), EINVAL);
	CHECK_ERRNO(clone3_(&a, (size_t)getpagesize() + 1), E2BIG);
	expect_child(clone3_(&a, 64), 3, "VER0");
	expect_child(clone3_(&a, 80), 4, "VER1");
	expect_child(clone3_(&a, 88), 5, "VER2");
	expect_child(clone3_(&a, sizeof(a)), 6, "larger, zero tail");
	a.tail[2] = 1;
	CHECK_ERRNO(clone3_(&a, sizeof(a)), E2BIG);
	a.tail[2] = 0;
	CHECK_ERRNO(clone3_(launder_ptr(1), 64), EFAULT);
}

static void test_bad_args(void)
{
	struct clone_args_ a = { 0 };
	pid_t tid = 1;

	a.exit_signal = 65;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.exit_signal = 0x100 | SIGCHLD;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.exit_signal = SIGCHLD;
	a.flags = SIGCHLD; /* the CSIGNAL bits are not flags here */
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = 0x00400000; /* CLONE_DETACHED */
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = 1ULL << 40;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_CLEAR_SIGHAND_;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = CLONE_PARENT; /* with an exit signal */
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = CLONE_THREAD; /* without CLONE_SIGHAND */
	a.exit_signal = 0;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = CLONE_SIGHAND; /* without CLONE_VM */
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = 0;
	a.exit_signal = SIGCHLD;
	a.stack = (uintptr_t)&tid;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL); /* a stack without a size */
	a.stack = 0;
	a.stack_size = 4096;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL); /* a size without a stack */
	a.stack = ~0ULL - 4096;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL); /* past the user half */
	a.stack = 0;
	a.stack_size = 0;

	/* set_tid: both or neither, at most 32 levels, one level here. */
	a.set_tid = (uintptr_t)&tid;
	CHECK_ERRNO(clone3_(&a, 80), EINVAL);
	a.set_tid = 0;
	a.set_tid_size = 1;
	CHECK_ERRNO(clone3_(&a, 80), EINVAL);
	a.set_tid = (uintptr_t)&tid;
	a.set_tid_size = 33;
	CHECK_ERRNO(clone3_(&a, 80), EINVAL);
	a.set_tid_size = 2;
	CHECK_ERRNO(clone3_(&a, 80), EINVAL);
	a.set_tid_size = 1;
	tid = 0;
	CHECK_ERRNO(clone3_(&a, 80), EINVAL);
	tid = getpid(); /* taken */
	if (geteuid() != 0) {
		CHECK_ERRNO(clone3_(&a, 80), EPERM);
	} else {
		errno = 0;
		long r = clone3_(&a, 80);
		/* root in a container may lack CAP_CHECKPOINT_RESTORE. */
		CHECK(r == -1 && (errno == EEXIST || errno == EPERM), "set_tid taken: %ld", r);
	}
	a.set_tid = 0;
	a.set_tid_size = 0;

	/* CLONE_INTO_CGROUP: needs VER2 and an int; no cgroup2 dir given. */
	a.flags = CLONE_INTO_CGROUP_;
	CHECK_ERRNO(clone3_(&a, 80), EINVAL);
	a.cgroup = 1ULL << 32;
	CHECK_ERRNO(clone3_(&a, 88), EINVAL);
	int fd = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "open /");
	a.cgroup = (uint64_t)fd;
	CHECK_ERRNO(clone3_(&a, 88), EBADF);
	close(fd);
}

static void test_pidfd(void)
{
	struct clone_args_ a = { .flags = CLONE_PIDFD, .exit_signal = SIGCHLD };
	int pidfd = -1, status;

	a.pidfd = (uintptr_t)&pidfd;
	long pid = clone3_(&a, 64);
	if (pid == 0)
		_exit(9);
	CHECK(pid > 0, "clone3 CLONE_PIDFD");
	CHECK(pidfd >= 0, "pidfd written: %d", pidfd);
	CHECK(fcntl(pidfd, F_GETFD) == FD_CLOEXEC, "pidfd close-on-exec");
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "pidfd readable at exit");
	CHECK(waitpid((pid_t)pid, &status, 0) == pid && WEXITSTATUS(status) == 9, "wait");
	close(pidfd);

	/* The pidfd and the parent tid may not share a place. */
	a.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
	a.parent_tid = a.pidfd;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	a.flags = CLONE_PIDFD | CLONE_DETACHED;
	CHECK_ERRNO(clone3_(&a, 64), EINVAL);
	/* A bad address fails the call: no child was made. */
	a.flags = CLONE_PIDFD;
	a.pidfd = 8;
	CHECK_ERRNO(clone3_(&a, 64), EFAULT);
	CHECK_ERRNO(waitpid(-1, &status, WNOHANG), ECHILD);
}

/* Legacy clone's CLONE_PIDFD: the descriptor goes where parent_tid
 * points (the third argument on both architectures). */
static void test_clone_pidfd(void)
{
	int pidfd = -1, status;

	errno = 0;
	long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
	if (pid == 0)
		_exit(4);
	if (pid < 0 && errno == EINVAL && under_qemu_user())
		return; /* qemu-user refuses CLONE_PIDFD */
	CHECK(pid > 0, "clone(CLONE_PIDFD)");
	CHECK(pidfd >= 0 && fcntl(pidfd, F_GETFD) == FD_CLOEXEC, "clone's pidfd %d", pidfd);
	CHECK(waitpid((pid_t)pid, &status, 0) == pid && WEXITSTATUS(status) == 4, "wait");
	close(pidfd);
	CHECK_ERRNO(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pidfd, 0,
			    0),
		    EINVAL);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void test_clear_sighand(void)
{
	struct clone_args_ a = { .flags = CLONE_CLEAR_SIGHAND_, .exit_signal = SIGCHLD };
	struct sigaction sa = { .sa_handler = on_usr1 }, got;

	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction USR1");
	CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR, "ignore USR2");
	long pid = clone3_(&a, 64);
	if (pid == 0) {
		sigaction(SIGUSR1, NULL, &got);
		if (got.sa_handler != SIG_DFL)
			_exit(1);
		sigaction(SIGUSR2, NULL, &got);
		_exit(got.sa_handler == SIG_IGN ? 0 : 2);
	}
	expect_child(pid, 0, "CLONE_CLEAR_SIGHAND");
	a.flags = 0; /* without: the handler is inherited */
	pid = clone3_(&a, 64);
	if (pid == 0) {
		sigaction(SIGUSR1, NULL, &got);
		_exit(got.sa_handler == on_usr1 ? 0 : 1);
	}
	expect_child(pid, 0, "handlers inherited");
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/*
 * A CLONE_VM | CLONE_VFORK child on its own stack, in assembly (it may
 * not return into C code on another stack): it stores its stack pointer
 * and its TLS register's view to out[0] and out[1], then exits 0.
 */
static long clone3_probe(struct clone_args_ *a, size_t size, uint64_t *out)
{
#if defined(__x86_64__)
	long ret;
	register uint64_t *o asm("rdx") = out;
	asm volatile("syscall\n\t"
		     "test %%rax, %%rax\n\t"
		     "jnz 1f\n\t"
		     "mov %%rsp, (%%rdx)\n\t"
		     "mov %%fs:0, %%rcx\n\t"
		     "mov %%rcx, 8(%%rdx)\n\t"
		     "mov $60, %%eax\n\t"
		     "xor %%edi, %%edi\n\t"
		     "syscall\n\t"
		     "1:"
		     : "=a"(ret)
		     : "0"((long)SYS_clone3), "D"(a), "S"(size), "r"(o)
		     : "rcx", "r11", "memory");
	return ret;
#elif defined(__riscv)
	register long a0 asm("a0") = (long)a;
	register long a1 asm("a1") = (long)size;
	register uint64_t *a2 asm("a2") = out;
	register long a7 asm("a7") = SYS_clone3;
	asm volatile("ecall\n\t"
		     "bnez a0, 1f\n\t"
		     "sd sp, 0(a2)\n\t"
		     "sd tp, 8(a2)\n\t"
		     "li a7, 93\n\t"
		     "li a0, 0\n\t"
		     "ecall\n\t"
		     "1:"
		     : "+r"(a0), "+r"(a7)
		     : "r"(a1), "r"(a2)
		     : "memory");
	return a0;
#else
#error "clone3_probe: unknown architecture"
#endif
}

static void test_stack_tls_tids(void)
{
	static uint64_t stack[1024] __attribute__((aligned(16)));
	static uint64_t tls_block[4] = { 0x5eed1234abcdULL };
	volatile uint64_t out[2] = { 0, 0 };
	volatile int parent_tid = 0, child_tid = -1;
	int status;
	struct clone_args_ a = {
		.flags = CLONE_VM | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID |
			 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
		.exit_signal = SIGCHLD,
		.stack = (uintptr_t)stack,
		.stack_size = sizeof(stack),
		.parent_tid = (uintptr_t)&parent_tid,
		.child_tid = (uintptr_t)&child_tid,
	};
#if defined(__x86_64__)
	tls_block[0] = (uintptr_t)tls_block; /* %fs:0 is the block's self pointer */
	a.tls = (uintptr_t)tls_block;
#else
	a.tls = (uintptr_t)tls_block + 64; /* any value: tp is read back */
#endif
	long pid = clone3_probe(&a, 64, (uint64_t *)out);
	CHECK(pid > 0, "clone3 on a new stack: %ld", pid);
	CHECK(waitpid((pid_t)pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "probe child status 0x%x", status);
	CHECK(out[0] == (uintptr_t)stack + sizeof(stack), "child sp %#llx, want stack + size %#llx",
	      (unsigned long long)out[0], (unsigned long long)((uintptr_t)stack + sizeof(stack)));
#if defined(__x86_64__)
	CHECK(out[1] == (uintptr_t)tls_block, "child %%fs:0 %#llx", (unsigned long long)out[1]);
#else
	CHECK(out[1] == a.tls, "child tp %#llx", (unsigned long long)out[1]);
#endif
	CHECK(parent_tid == pid, "parent_tid %d, want %ld", parent_tid, pid);
	CHECK(child_tid == 0, "child_tid cleared at exit: %d", child_tid);
}

int main(void)
{
	struct clone_args_ a = { .exit_signal = SIGCHLD };
	errno = 0;
	long pid = clone3_(&a, 64);
	if (pid == 0)
		_exit(0);
	if (pid < 0 && errno == ENOSYS && under_qemu_user()) {
		printf("clone3: qemu-user has no clone3, skipped\n");
		return 77;
	}
	expect_child(pid, 0, "first clone3");
	test_sizes();
	test_bad_args();
	test_pidfd();
	test_clone_pidfd();
	test_clear_sighand();
	test_stack_tls_tids();
	printf("clone3: ok\n");
	return 0;
}
