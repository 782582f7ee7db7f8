/*
 * What the kernel tells programs about the CPU (issue 8, item 16).
 * x86_64: AT_HWCAP is CPUID.1:EDX as on Linux (at least the x86-64
 * baseline, nothing the CPU lacks).
 * riscv64: riscv_hwprobe (skipped where Linux user mode lacks it, e.g.
 * qemu-user 7.2): the keys Linux defines, unknown keys come back as -1,
 * the cpus/cpusetsize rules (EINVAL for an empty set, EFAULT for bad
 * pointers), RISCV_HWPROBE_WHICH_CPUS, every extension reported really
 * executes (no SIGILL), and AT_HWCAP agrees with it.
 */
#include "common.h"
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

/* AT_HWCAP as the kernel passed it: glibc's getauxval(AT_HWCAP) is its
 * own value on x86_64, so read the vector after the initial envp. */
extern char **environ;

static unsigned long kernel_auxval(unsigned long type)
{
	char **e = environ;

	while (*e)
		e++;
	for (unsigned long *a = (unsigned long *)(e + 1); a[0]; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}

#if defined(__x86_64__)
#include <cpuid.h>

int main(void)
{
	unsigned a, b, c, d;
	unsigned long hwcap = kernel_auxval(AT_HWCAP);
	/* FPU TSC CX8 CMOV MMX FXSR SSE SSE2: every x86-64 CPU has them. */
	unsigned long base = 1UL << 0 | 1UL << 4 | 1UL << 8 | 1UL << 15 | 1UL << 23 |
			     1UL << 24 | 1UL << 25 | 1UL << 26;

	CHECK(__get_cpuid(1, &a, &b, &c, &d), "cpuid");
	CHECK((hwcap & base) == base, "AT_HWCAP %#lx lacks the x86-64 baseline %#lx", hwcap, base);
	CHECK((hwcap & ~(unsigned long)d) == 0, "AT_HWCAP %#lx has bits CPUID.1:EDX %#x lacks",
	      hwcap, d);
	return 0;
}
#else

#define NR_riscv_hwprobe 258
struct pair {
	int64_t key;
	uint64_t value;
};

static long hwprobe(struct pair *p, size_t n, size_t setsize, void *cpus, unsigned flags)
{
	return syscall(NR_riscv_hwprobe, p, n, setsize, cpus, flags);
}

/* Run one instruction of an extension said to be present in a child: it
 * must not die of SIGILL. */
static void run_zba(void *arg)
{
	long a = 5, b = 7, r;
	(void)arg;
	__asm__ volatile("mv a1, %1; mv a2, %2; .word 0x20c5a533; mv %0, a0" /* sh1add */
			 : "=r"(r)
			 : "r"(a), "r"(b)
			 : "a0", "a1", "a2");
	exit(r == 17 ? 0 : 1);
}

static void run_zbb(void *arg)
{
	long a = 0xff, b = 0x0f, r;
	(void)arg;
	__asm__ volatile("mv a1, %1; mv a2, %2; .word 0x40c5f533; mv %0, a0" /* andn */
			 : "=r"(r)
			 : "r"(a), "r"(b)
			 : "a0", "a1", "a2");
	exit(r == 0xf0 ? 0 : 1);
}

static void run_zbs(void *arg)
{
	long a = 1, r;
	(void)arg;
	__asm__ volatile("mv a1, %1; .word 0x28359513; mv %0, a0" /* bseti 3 */
			 : "=r"(r)
			 : "r"(a)
			 : "a0", "a1");
	exit(r == 9 ? 0 : 1);
}

static void run_fd(void *arg)
{
	volatile double x = 1.5, y = 2.25;
	(void)arg;
	exit(x * y == 3.375 ? 0 : 1);
}

static void expect_runs(uint64_t ext, uint64_t bit, void (*fn)(void *), const char *name)
{
	if (!(ext & bit))
		return;
	int status = run_in_child(fn, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s reported but status 0x%x", name,
	      status);
}

int main(void)
{
	struct pair p[13];
	unsigned long cpus[16];

	unsigned long hwcap = kernel_auxval(AT_HWCAP);
	unsigned long ima = 1UL << ('i' - 'a') | 1UL << ('m' - 'a') | 1UL << ('a' - 'a');
	CHECK((hwcap & ima) == ima, "AT_HWCAP %#lx lacks IMA", hwcap);

	for (int i = 0; i < 11; i++)
		p[i].key = i, p[i].value = 0xdead;
	p[11].key = 9999, p[11].value = 5;
	p[12].key = -7, p[12].value = 5;
	if (hwprobe(p, 13, 0, NULL, 0) < 0) {
		CHECK(errno == ENOSYS, "hwprobe");
		if (under_qemu_user())
			return 77; /* qemu-user before 8.1 has no riscv_hwprobe */
		FAIL("riscv_hwprobe is ENOSYS");
	}
	for (int i = 0; i < 11; i++)
		CHECK(p[i].key == i, "key %d came back as %lld", i, (long long)p[i].key);
	CHECK(p[11].key == -1 && p[11].value == 0, "unknown key: %lld %llu",
	      (long long)p[11].key, (unsigned long long)p[11].value);
	CHECK(p[12].key == -1 && p[12].value == 0, "negative key");
	CHECK(p[3].value == 1, "BASE_BEHAVIOR %#llx, want IMA", (unsigned long long)p[3].value);
	uint64_t ext = p[4].value;
	CHECK(ext & 2, "IMA_EXT_0 %#llx: no C (the toolchain's code is compressed)",
	      (unsigned long long)ext);
	CHECK(ext & 1, "IMA_EXT_0 %#llx: no FD (the toolchain's code uses FP)",
	      (unsigned long long)ext);
	CHECK(p[7].value >= 0x3fffffffffULL - 1 && p[7].value < (1ULL << 57),
	      "HIGHEST_VIRT_ADDRESS %#llx", (unsigned long long)p[7].value);
	CHECK(p[8].value >= 1000000, "TIME_CSR_FREQ %llu", (unsigned long long)p[8].value);
	expect_runs(ext, 1ULL << 3, run_zba, "Zba");
	expect_runs(ext, 1ULL << 4, run_zbb, "Zbb");
	expect_runs(ext, 1ULL << 5, run_zbs, "Zbs");
	expect_runs(ext, 1ULL << 0, run_fd, "FD");

	/* A CPU set: CPU 0 is online; an empty set has no answer. */
	memset(cpus, 0, sizeof(cpus));
	cpus[0] = 1;
	CHECK(hwprobe(p, 1, sizeof(cpus), cpus, 0) == 0, "cpus {0}");
	cpus[0] = 0;
	CHECK_ERRNO(hwprobe(p, 1, sizeof(cpus), cpus, 0), EINVAL);
	CHECK_ERRNO(hwprobe(p, 1, 0, cpus, 0), EINVAL);
	CHECK_ERRNO(hwprobe(p, 1, sizeof(cpus), (void *)8, 0), EFAULT);
	CHECK_ERRNO(hwprobe((void *)8, 1, 0, NULL, 0), EFAULT);
	CHECK(hwprobe((void *)8, 0, 0, NULL, 0) == 0, "no pairs, bad pointer");
	CHECK_ERRNO(hwprobe(p, 1, 0, NULL, 2), EINVAL);

	/* RISCV_HWPROBE_WHICH_CPUS: the harts that have what is asked. */
	struct pair want[2] = { { 3, 1 }, { 4, ext } };
	memset(cpus, 0, sizeof(cpus));
	CHECK(hwprobe(want, 2, sizeof(cpus), cpus, 1) == 0, "WHICH_CPUS");
	CHECK(cpus[0] & 1, "CPU 0 lacks what it reports: %#lx", cpus[0]);
	want[1].value = ext | (1ULL << 62); /* a bit nobody has */
	CHECK(hwprobe(want, 2, sizeof(cpus), cpus, 1) == 0, "WHICH_CPUS, too much");
	CHECK(cpus[0] == 0, "a hart has bit 62: %#lx", cpus[0]);
	struct pair bad = { 12345, 0 };
	cpus[0] = 1;
	CHECK(hwprobe(&bad, 1, sizeof(cpus), cpus, 1) == 0 && cpus[0] == 0 && bad.key == -1,
	      "WHICH_CPUS with an unknown key");
	CHECK_ERRNO(hwprobe(want, 2, 0, cpus, 1), EINVAL);
	CHECK_ERRNO(hwprobe(want, 2, sizeof(cpus), NULL, 1), EINVAL);

	/* AT_HWCAP: the letters I M A (F D) C, agreeing with hwprobe. */
	unsigned long letter_fd = 1UL << ('f' - 'a') | 1UL << ('d' - 'a');
	CHECK(!!(hwcap & (1UL << ('c' - 'a'))) == !!(ext & 2), "AT_HWCAP %#lx and hwprobe C differ",
	      hwcap);
	CHECK(((hwcap & letter_fd) == letter_fd) == !!(ext & 1),
	      "AT_HWCAP %#lx and hwprobe FD differ", hwcap);
	CHECK(!(hwcap & (1UL << ('v' - 'a'))) || (ext & 4), "AT_HWCAP has V, hwprobe not");
	return 0;
}
#endif
