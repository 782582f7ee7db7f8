/*
 * UMIP (issue 13): with CR4.UMIP on, SGDT, SIDT, SMSW, SLDT and STR in user
 * mode must not reveal the kernel's descriptor tables: Ferrite sends
 * SIGSEGV (and the console gets a rate-limited "umip:" report naming the
 * task, which the boot test x86-cpu-max-protect looks for). Needs Ferrite
 * on an x86_64 CPU with UMIP (-cpu max); exits 77 on Linux (which
 * emulates SGDT, SIDT and SMSW instead). Without UMIP (QEMU's default CPU)
 * it checks that the instructions run; on riscv64 it has nothing to do.
 */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __x86_64__
#include <cpuid.h>

static void do_sgdt(void *arg)
{
	unsigned char buf[10];
	(void)arg;
	__asm__ volatile("sgdt %0" : "=m"(buf));
}

static void do_sidt(void *arg)
{
	unsigned char buf[10];
	(void)arg;
	__asm__ volatile("sidt %0" : "=m"(buf));
}

static void do_smsw(void *arg)
{
	unsigned long v;
	(void)arg;
	__asm__ volatile("smsw %0" : "=r"(v));
}

static void do_sldt(void *arg)
{
	unsigned short v;
	(void)arg;
	__asm__ volatile("sldt %0" : "=m"(v));
}

static void do_str(void *arg)
{
	unsigned short v;
	(void)arg;
	__asm__ volatile("str %0" : "=m"(v));
}

int main(void)
{
	unsigned a, b, c, d;
	static const struct {
		const char *name;
		void (*fn)(void *);
	} insns[] = { { "sgdt", do_sgdt }, { "sidt", do_sidt }, { "smsw", do_smsw },
		      { "sldt", do_sldt }, { "str", do_str } };

	if (access("/proc/ferrite/counters", F_OK) != 0)
		return 77; /* Linux emulates sgdt/sidt/smsw */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 2))) {
		/* No UMIP (QEMU's default CPU): the instructions simply run. */
		for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++)
			CHECK(run_in_child(insns[i].fn, NULL) == 0, "%s without UMIP", insns[i].name);
		printf("umip: the CPU has no UMIP; the instructions run\n");
		return 0;
	}
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		expect_killed_by(run_in_child(insns[i].fn, NULL), SIGSEGV, insns[i].name);
		printf("umip: %s: SIGSEGV\n", insns[i].name);
	}
	/* A burst past the rate limit: still a SIGSEGV each time. */
	for (int i = 0; i < 20; i++)
		expect_killed_by(run_in_child(do_sgdt, NULL), SIGSEGV, "sgdt (burst)");
	return 0;
}
#else
int main(void)
{
	/* x86_64 only: nothing to check here (0 inside Ferrite, whose runner
	 * counts 77 as a failure; 77 on Linux). */
	return access("/proc/ferrite/counters", F_OK) != 0 ? 77 : 0;
}
#endif
