/*
 * si_code of SIGSEGV (issue 8, item 9): SEGV_ACCERR when a mapping is there
 * but forbids the access (write to PROT_READ, touched or not; read of
 * PROT_NONE), SEGV_MAPERR only when nothing is mapped.
 */
#include "common.h"
#include <setjmp.h>
#include <sys/mman.h>

static sigjmp_buf env;
static volatile int got_code;
static void *volatile got_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(env, 1);
}

/* Touch p (write or read); return the si_code of the fault, or 0. */
static int fault_code(volatile char *p, int write)
{
	got_code = 0;
	got_addr = NULL;
	if (sigsetjmp(env, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		return 0;
	}
	CHECK(got_addr == (void *)p, "si_addr %p, want %p", got_addr, (void *)p);
	return got_code;
}

int main(void)
{
	struct sigaction sa;
	long page = sysconf(_SC_PAGESIZE);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");

	char *m = mmap(NULL, 4 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	/* Page 0 read first (present), page 1 never touched. */
	CHECK(fault_code(m, 0) == 0, "read of PROT_READ faulted");
	int c = fault_code(m, 1);
	CHECK(c == SEGV_ACCERR, "write to a present PROT_READ page: si_code %d", c);
	c = fault_code(m + page + 8, 1);
	CHECK(c == SEGV_ACCERR, "write to an untouched PROT_READ page: si_code %d", c);
	CHECK(mprotect(m + 2 * page, page, PROT_NONE) == 0, "mprotect");
	c = fault_code(m + 2 * page, 0);
	CHECK(c == SEGV_ACCERR, "read of PROT_NONE: si_code %d", c);
	CHECK(munmap(m + 3 * page, page) == 0, "munmap");
	c = fault_code(m + 3 * page, 1);
	CHECK(c == SEGV_MAPERR, "write to an unmapped page: si_code %d", c);
	c = fault_code(m + 3 * page + 16, 0);
	CHECK(c == SEGV_MAPERR, "read of an unmapped page: si_code %d", c);
	CHECK(munmap(m, 3 * page) == 0, "munmap");
	return 0;
}
