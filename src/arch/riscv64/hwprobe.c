/*
 * riscv_hwprobe(2) (Linux 6.4+): what the harts can do, as key/value pairs,
 * and the AT_HWCAP letters of execve's auxiliary vector.
 * The ISA comes from each cpu node of the device tree ("riscv,isa" and
 * "riscv,isa-extensions", parsed at boot by fdt.c through rv_isa_note);
 * a bit is reported only when every hart has it and Ferrite lets user
 * programs use it: F and D (the FP state is switched), C, and the scalar
 * bit-manipulation, crypto and FP extensions that need no kernel support.
 * V and the vector extensions are not reported (Ferrite does not switch
 * vector state), nor Zicboz (senvcfg.CBZE stays off). The machine ids come
 * from the SBI base extension. Written once at boot, read-only afterwards.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include "riscv.h"

#define KEY_MVENDORID 0
#define KEY_MARCHID 1
#define KEY_MIMPID 2
#define KEY_BASE_BEHAVIOR 3
#define BASE_BEHAVIOR_IMA (1ULL << 0)
#define KEY_IMA_EXT_0 4
#define IMA_FD (1ULL << 0)
#define IMA_C (1ULL << 1)
#define KEY_CPUPERF_0 5
#define KEY_ZICBOZ_BLOCK_SIZE 6
#define KEY_HIGHEST_VIRT_ADDRESS 7
#define KEY_TIME_CSR_FREQ 8
#define KEY_MISALIGNED_SCALAR_PERF 9
#define KEY_MISALIGNED_VECTOR_PERF 10
#define KEY_LAST KEY_MISALIGNED_VECTOR_PERF
#define MISALIGNED_UNKNOWN 0
#define MISALIGNED_VECTOR_UNSUPPORTED 4

#define HWPROBE_WHICH_CPUS 1

#define SBI_EXT_BASE 0x10

struct riscv_hwprobe {
	int64_t key;
	uint64_t value;
};

/* Multi-letter extensions of IMA_EXT_0 that need nothing from the kernel,
 * with their bit (Linux's uapi/asm/hwprobe.h). */
static const struct {
	const char *name;
	uint8_t bit;
} ext_bits[] = {
	{ "zba", 3 },	 { "zbb", 4 },	  { "zbs", 5 },	    { "zbc", 7 },	  { "zbkb", 8 },
	{ "zbkc", 9 },	 { "zbkx", 10 },  { "zknd", 11 },   { "zkne", 12 },	  { "zknh", 13 },
	{ "zksed", 14 }, { "zksh", 15 },  { "zkt", 16 },    { "zfh", 27 },	  { "zfhmin", 28 },
	{ "zihintntl", 29 }, { "zfa", 32 }, { "ztso", 33 }, { "zacas", 34 },	  { "zicond", 35 },
	{ "zihintpause", 36 },
};

static uint64_t isa_ext0;    /* IMA_EXT_0 bits every hart has */
static unsigned long hwcap; /* AT_HWCAP letters every hart has */
static bool isa_seen;

/* One extension name of a hart: its IMA_EXT_0 bits (F and D count as half
 * of FD each: see hart_mask). */
static uint64_t ext_name_bits(const char *name, size_t len, bool *f, bool *d)
{
	if (len == 1) {
		switch (name[0]) {
		case 'f':
			*f = true;
			return 0;
		case 'd':
			*d = true;
			return 0;
		case 'c':
			return IMA_C;
		case 'g': /* imafd_zicsr_zifencei */
			*f = *d = true;
			return 0;
		default:
			return 0;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(ext_bits); i++)
		if (strlen(ext_bits[i].name) == len && !memcmp(ext_bits[i].name, name, len))
			return 1ULL << ext_bits[i].bit;
	return 0;
}

/* The bits of one "riscv,isa" string ("rv64imafdc_zba_zbb...") or
 * "riscv,isa-extensions" list ("i\0m\0a\0...zba\0"). */
static uint64_t hart_mask(const char *val, size_t len, bool is_list)
{
	const char *p = val, *end = val + strnlen(val, len);
	bool f = false, d = false;
	uint64_t bits = 0;

	if (is_list) {
		end = val + len;
		while (p < end) {
			size_t n = strnlen(p, (size_t)(end - p));
			bits |= ext_name_bits(p, n, &f, &d);
			p += n + 1;
		}
	} else {
		if (end - p < 4 || memcmp(p, "rv64", 4))
			return 0;
		p += 4;
		/* Single letters up to the first '_' or multi-letter name. */
		while (p < end && *p != '_' && *p != 'z' && *p != 's' && *p != 'x')
			bits |= ext_name_bits(p++, 1, &f, &d);
		while (p < end) {
			const char *q = p;
			while (q < end && *q != '_')
				q++;
			bits |= ext_name_bits(p, (size_t)(q - p), &f, &d);
			p = q + 1;
		}
	}
	return bits | (f && d ? IMA_FD : 0);
}

/* AT_HWCAP: one bit per letter, only I M A F D C (as Linux, with V left
 * out: no vector state), F and D only together. */
static unsigned long hart_hwcap(const char *val, size_t len, bool is_list)
{
	static const char letters[] = "imafdc";
	const char *end = val + len;
	unsigned long caps = 0;

	if (is_list) {
		for (const char *p = val; p < end; p += strnlen(p, (size_t)(end - p)) + 1)
			if (p + 1 < end && p[0] && !p[1] && strchr(letters, p[0]))
				caps |= 1UL << (p[0] - 'a');
	} else if (len > 4 && !memcmp(val, "rv64", 4)) {
		for (const char *p = val + 4; p < end && *p && *p != '_' && *p != 'z' &&
					      *p != 's' && *p != 'x';
		     p++) {
			if (*p == 'g')
				caps |= 1UL << ('i' - 'a') | 1UL << ('m' - 'a') | 1UL << ('a' - 'a') |
					1UL << ('f' - 'a') | 1UL << ('d' - 'a');
			else if (strchr(letters, *p))
				caps |= 1UL << (*p - 'a');
		}
	}
	unsigned long fd = 1UL << ('f' - 'a') | 1UL << ('d' - 'a');
	if ((caps & fd) != fd)
		caps &= ~fd;
	return caps;
}

void rv_isa_note(const char *val, uint32_t len, bool is_list)
{
	uint64_t bits = hart_mask(val, len, is_list);
	unsigned long caps = hart_hwcap(val, len, is_list);

	isa_ext0 = isa_seen ? (isa_ext0 & bits) : bits;
	hwcap = isa_seen ? (hwcap & caps) : caps;
	isa_seen = true;
}

const char *const hal_elf_platform = NULL;

unsigned long hal_elf_hwcap(void)
{
	return hwcap;
}

static uint64_t machine_id(long fid)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, fid, 0, 0, 0);
	return r.error ? 0 : (uint64_t)r.value;
}

/* The value of key for the harts in cpus (all alike here); false for a key
 * Linux does not define. */
static bool probe_key(int64_t key, uint64_t *value)
{
	switch (key) {
	case KEY_MVENDORID:
	case KEY_MARCHID:
	case KEY_MIMPID:
		*value = machine_id(4 + key); /* sbi_get_mvendorid, marchid, mimpid */
		return true;
	case KEY_BASE_BEHAVIOR:
		*value = BASE_BEHAVIOR_IMA;
		return true;
	case KEY_IMA_EXT_0:
		*value = isa_ext0;
		return true;
	case KEY_CPUPERF_0:
	case KEY_MISALIGNED_SCALAR_PERF:
		*value = MISALIGNED_UNKNOWN;
		return true;
	case KEY_ZICBOZ_BLOCK_SIZE:
		*value = 0; /* Zicboz is not offered */
		return true;
	case KEY_HIGHEST_VIRT_ADDRESS:
		*value = hal_user_max - 1;
		return true;
	case KEY_TIME_CSR_FREQ:
		*value = rv_devices.timebase_hz;
		return true;
	case KEY_MISALIGNED_VECTOR_PERF:
		*value = MISALIGNED_VECTOR_UNSUPPORTED;
		return true;
	default:
		return false;
	}
}

/* Bitmask keys match when the hart has every bit asked for. */
static bool pair_matches(int64_t key, uint64_t have, uint64_t want)
{
	if (key == KEY_BASE_BEHAVIOR || key == KEY_IMA_EXT_0)
		return (have & want) == want;
	return have == want;
}

/* A user CPU set: up to 1024 CPUs are looked at (larger sets are read
 * and written only that far, as Linux does past its cpumask size). The
 * online harts: Ferrite runs user code on CPU 0 only so far. */
#define CPUSET_WORDS 16
struct cpuset {
	unsigned long w[CPUSET_WORDS];
};

static bool cpuset_and_online(struct cpuset *c)
{
	c->w[0] &= 1;
	memset(&c->w[1], 0, sizeof(c->w) - sizeof(c->w[0]));
	return c->w[0] != 0;
}

/* flags 0: fill in the value of each pair for the harts in cpus. */
static long probe_pairs(struct riscv_hwprobe __user *pairs, size_t count, size_t cpusetsize,
			struct cpuset __user *cpus_user)
{
	struct cpuset cpus = { { 1 } };

	if (cpusetsize || cpus_user) {
		memset(&cpus, 0, sizeof(cpus));
		if (copy_from_user(&cpus, cpus_user, MIN(cpusetsize, sizeof(cpus))))
			return -EFAULT;
		if (!cpuset_and_online(&cpus))
			return -EINVAL; /* no hart to answer for */
	}
	for (size_t i = 0; i < count; i++) {
		struct riscv_hwprobe pair;
		if (copy_from_user(&pair.key, &pairs[i].key, sizeof(pair.key)))
			return -EFAULT;
		if (!probe_key(pair.key, &pair.value)) {
			pair.key = -1;
			pair.value = 0;
		}
		if (copy_to_user(&pairs[i], &pair, sizeof(pair)))
			return -EFAULT;
	}
	return 0;
}

/* RISCV_HWPROBE_WHICH_CPUS: keep in cpus the harts that match every pair
 * (an empty set means all online harts). */
static long which_cpus(struct riscv_hwprobe __user *pairs, size_t count, size_t cpusetsize,
		       struct cpuset __user *cpus_user)
{
	size_t size = MIN(cpusetsize, sizeof(struct cpuset));
	struct cpuset cpus = { { 0 } };
	bool clear_all = false, empty = true;

	if (!cpusetsize || !cpus_user)
		return -EINVAL;
	if (copy_from_user(&cpus, cpus_user, size))
		return -EFAULT;
	for (int i = 0; i < CPUSET_WORDS; i++)
		empty &= !cpus.w[i];
	if (empty)
		cpus.w[0] = 1;
	cpuset_and_online(&cpus);
	for (size_t i = 0; i < count; i++) {
		struct riscv_hwprobe pair;
		uint64_t have;
		if (copy_from_user(&pair, &pairs[i], sizeof(pair)))
			return -EFAULT;
		if (!probe_key(pair.key, &have)) {
			clear_all = true;
			pair.key = -1;
			pair.value = 0;
			if (copy_to_user(&pairs[i], &pair, sizeof(pair)))
				return -EFAULT;
			continue;
		}
		if (!pair_matches(pair.key, have, pair.value))
			cpus.w[0] = 0; /* every hart answers alike */
	}
	if (clear_all)
		cpus.w[0] = 0;
	if (copy_to_user(cpus_user, &cpus, size))
		return -EFAULT;
	return 0;
}

long sys_riscv_hwprobe(struct riscv_hwprobe __user *pairs, size_t pair_count, size_t cpusetsize,
		       struct cpuset __user *cpus, unsigned int flags)
{
	if (flags == HWPROBE_WHICH_CPUS)
		return which_cpus(pairs, pair_count, cpusetsize, cpus);
	if (flags)
		return -EINVAL;
	return probe_pairs(pairs, pair_count, cpusetsize, cpus);
}
