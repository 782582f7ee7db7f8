/*
 * rt_sigaction with the old action returned (issue 8, item 17: its fast
 * path reads and writes the user structs word by word inline). The old
 * action comes back whole; act and oact may be the same struct; pages not
 * touched yet are faulted in; a bad act changes nothing (EFAULT); a bad
 * oact still installs the new action and then fails with EFAULT (Linux's
 * order); the kernel-struct form is checked through the raw syscall too.
 */
#include "common.h"
#include <sys/mman.h>
#include <sys/syscall.h>

/* The kernel's struct sigaction (riscv64 has no sa_restorer). */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
#if defined(__x86_64__)
	void (*restorer)(void);
#endif
	unsigned long mask;
};

static void h1(int sig) { (void)sig; }
static void h2(int sig) { (void)sig; }

static long rt_sigaction(int sig, const struct ksigaction *act, struct ksigaction *oact)
{
	return syscall(SYS_rt_sigaction, sig, act, oact, 8);
}

static struct ksigaction kact(void (*h)(int), unsigned long flags, unsigned long mask)
{
	struct ksigaction k;

	memset(&k, 0, sizeof(k));
	k.handler = h;
	k.flags = flags;
	k.mask = mask;
	return k;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ksigaction a, o;

	/* The old action, whole (flags and mask as installed). */
	a = kact(h1, SA_RESTART, 1UL << (SIGUSR2 - 1));
	CHECK(rt_sigaction(SIGUSR1, &a, NULL) == 0, "install h1");
	a = kact(h2, 0, 0);
	CHECK(rt_sigaction(SIGUSR1, &a, &o) == 0, "install h2");
	CHECK(o.handler == h1 && (o.flags & SA_RESTART) && o.mask == 1UL << (SIGUSR2 - 1),
	      "old action %p %lx %lx", (void *)o.handler, o.flags, o.mask);

	/* act and oact the same struct: the new one is read first. */
	a = kact(h1, 0, 0);
	CHECK(rt_sigaction(SIGUSR1, &a, &a) == 0, "same struct");
	CHECK(a.handler == h2, "same struct: old handler %p", (void *)a.handler);
	a = kact(h1, 0, 0);
	CHECK(rt_sigaction(SIGUSR1, &a, NULL) == 0, "install h1"); /* (qemu-user: needed) */

	/* Fresh pages: both accesses fault the page in and go on. */
	char *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	struct ksigaction *fresh_out = (struct ksigaction *)(m + page);
	a = kact(h2, 0, 0);
	CHECK(rt_sigaction(SIGUSR1, &a, fresh_out) == 0, "oact on an untouched page");
	CHECK(fresh_out->handler == h1, "oact on an untouched page: %p", (void *)fresh_out->handler);
	struct ksigaction *fresh_in = (struct ksigaction *)(m + 2 * page);
	CHECK(rt_sigaction(SIGUSR1, fresh_in, &o) == 0, "act on an untouched page (SIG_DFL)");
	CHECK(o.handler == h2, "old %p", (void *)o.handler);
	CHECK(rt_sigaction(SIGUSR1, NULL, &o) == 0 && o.handler == SIG_DFL, "query");

	/* A bad act: EFAULT, nothing changes. */
	a = kact(h1, 0, 0);
	CHECK(rt_sigaction(SIGUSR1, &a, NULL) == 0, "install h1");
	CHECK(munmap(m + 2 * page, page) == 0, "munmap");
	errno = 0;
	CHECK(rt_sigaction(SIGUSR1, (struct ksigaction *)(m + 2 * page), &o) == -1 &&
		      errno == EFAULT,
	      "unmapped act");
	CHECK(rt_sigaction(SIGUSR1, NULL, &o) == 0 && o.handler == h1, "after a bad act: %p",
	      (void *)o.handler);
	/* The last word of act past the end of the mapping. */
	struct ksigaction *straddle = (struct ksigaction *)(m + 2 * page - 16);
	memset(straddle, 0, 16);
	errno = 0;
	CHECK(rt_sigaction(SIGUSR1, straddle, &o) == -1 && errno == EFAULT, "act across the end");
	CHECK(rt_sigaction(SIGUSR1, NULL, &o) == 0 && o.handler == h1, "after act across the end");

	/* A bad oact: the new action is installed, then EFAULT. */
	a = kact(h2, 0, 0);
	errno = 0;
	CHECK(rt_sigaction(SIGUSR1, &a, (struct ksigaction *)(m + 2 * page)) == -1 &&
		      errno == EFAULT,
	      "unmapped oact");
	/* (qemu-user checks oact first and installs nothing) */
	CHECK(under_qemu_user() || (rt_sigaction(SIGUSR1, NULL, &o) == 0 && o.handler == h2),
	      "after a bad oact: %p", (void *)o.handler);
	CHECK(mprotect(m, page, PROT_READ) == 0, "mprotect");
	a = kact(h1, 0, 0);
	errno = 0;
	CHECK(rt_sigaction(SIGUSR1, &a, (struct ksigaction *)m) == -1 && errno == EFAULT,
	      "read-only oact");
	CHECK(under_qemu_user() || (rt_sigaction(SIGUSR1, NULL, &o) == 0 && o.handler == h1),
	      "after a read-only oact");
	errno = 0;
	CHECK(rt_sigaction(SIGUSR1, &a, launder_ptr(16)) == -1 && errno == EFAULT, "oact at 16");

	/* act and oact at odd addresses. */
	static char buf[2 * sizeof(struct ksigaction) + 16] __attribute__((aligned(16)));
	struct ksigaction *odd_in = (struct ksigaction *)(buf + 1);
	struct ksigaction *odd_out = (struct ksigaction *)(buf + sizeof(struct ksigaction) + 3);
	a = kact(h2, SA_RESTART, 0);
	memcpy(odd_in, &a, sizeof(a));
	CHECK(rt_sigaction(SIGUSR1, odd_in, odd_out) == 0, "odd act/oact");
	memcpy(&o, odd_out, sizeof(o));
	CHECK(o.handler == h1, "odd oact: %p", (void *)o.handler);
	CHECK(rt_sigaction(SIGUSR1, NULL, &o) == 0 && o.handler == h2 && (o.flags & SA_RESTART),
	      "odd act");

	/* SIGKILL and SIGSTOP: EINVAL with an action, fine to query. */
	CHECK_ERRNO(rt_sigaction(SIGKILL, &a, &o), EINVAL);
	CHECK(rt_sigaction(SIGSTOP, NULL, &o) == 0 && o.handler == SIG_DFL, "query SIGSTOP");
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &a, &o, 4), EINVAL);

	/* glibc's signal(): the old handler back. */
	CHECK(signal(SIGUSR1, h1) == h2, "signal() old handler");
	CHECK(signal(SIGUSR1, SIG_DFL) == h1, "signal() old handler");
	return 0;
}
