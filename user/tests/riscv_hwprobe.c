/*
 * riscv_hwprobe (issue 8, item 16; riscv64 only, skip elsewhere and where
 * Linux user mode lacks it, e.g. qemu-user 7.2): the keys Linux defines,
 * unknown keys come back as -1, the cpus/cpusetsize rules (EINVAL for an
 * empty set, EFAULT for bad pointers), RISCV_HWPROBE_WHICH_CPUS, and every
 * extension reported really executes (no SIGILL).
 */
#include "common.h"
#include <stdint.h>
#include <sys/syscall.h>

#ifndef __riscv
int main(void)
{
	return 77; /* riscv64 only */
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

	for (int i = 0; i < 11; i++)
		p[i].key = i, p[i].value = 0xdead;
	p[11].key = 9999, p[11].value = 5;
	p[12].key = -7, p[12].value = 5;
	if (hwprobe(p, 13, 0, NULL, 0) < 0) {
		CHECK(errno == ENOSYS, "hwprobe");
		if (under_qemu_user())
			return 77; /* qemu-user before 8.1 */
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
	return 0;
}
#endif
