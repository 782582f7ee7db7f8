/*
 * sigaltstack: size checks, a stack overflow whose SIGSEGV handler runs on
 * the alternate stack and leaves with siglongjmp, EPERM when changing the
 * stack while on it, SS_ONSTACK reported inside the handler.
 */
#include "common.h"
#include <setjmp.h>
#include <stdint.h>

static sigjmp_buf env;
static char *alt;
static size_t alt_size;
static volatile int on_alt, eperm_inside, onstack_flag;

static void on_segv(int signo)
{
	char here;
	stack_t ss, cur;

	(void)signo;
	on_alt = &here >= alt && &here < alt + alt_size;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	eperm_inside = sigaltstack(&ss, NULL) == -1 && errno == EPERM;
	onstack_flag = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK);
	siglongjmp(env, 1);
}

static int depth;
static volatile int limit = 1 << 30; /* never reached: hides the recursion */

static int recurse(int n)
{
	volatile char pad[4096];

	pad[0] = (char)n;
	depth = n;
	if (n >= limit)
		return 0;
	return recurse(n + 1) + pad[0];
}

int main(void)
{
	struct sigaction sa;
	stack_t ss, old;

	alt_size = 64 * 1024;
	alt = malloc(alt_size);
	CHECK(alt, "malloc");
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = alt;
	ss.ss_size = 1024;
	CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_size = alt_size;
	ss.ss_flags = 12345;
	CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_flags = 0;
	CHECK(sigaltstack(&ss, &old) == 0, "sigaltstack");
	CHECK(old.ss_flags == SS_DISABLE, "old flags %d", old.ss_flags);
	CHECK(sigaltstack(NULL, &old) == 0 && old.ss_sp == alt && old.ss_size == alt_size &&
	      old.ss_flags == 0, "query");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_ONSTACK;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
	if (sigsetjmp(env, 1) == 0) {
		recurse(0);
		FAIL("recursion returned");
	}
	CHECK(on_alt, "handler did not run on the alternate stack (depth %d)", depth);
	CHECK(eperm_inside, "changing the stack while on it did not give EPERM");
	CHECK(onstack_flag, "SS_ONSTACK not reported inside the handler");
	CHECK(sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_ONSTACK), "after longjmp");
	/* The handler works a second time (mask restored by siglongjmp). */
	on_alt = 0;
	if (sigsetjmp(env, 1) == 0) {
		raise(SIGSEGV);
		FAIL("raise returned");
	}
	CHECK(on_alt, "second delivery not on the alternate stack");
	printf("signal_altstack: ok (overflow at depth %d)\n", depth);
	return 0;
}
