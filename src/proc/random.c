/*
 * Kernel random numbers and getrandom(2). xoshiro256** seeded (lazily) from
 * the clock and addresses, with the clock mixed in on every call. Good
 * enough for AT_RANDOM and hash seeds; not cryptographic.
 * Lock: rng_lock guards the state.
 */
#include <ferrite/errno.h>
#include <ferrite/random.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <hal/hal_timer.h>

#define GRND_NONBLOCK 0x0001
#define GRND_RANDOM 0x0002
#define GRND_INSECURE 0x0004

static struct spinlock rng_lock = SPINLOCK_INIT("rng");
static uint64_t rng_state[4]; /* Lock: rng_lock */
static bool rng_seeded;        /* Lock: rng_lock */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t next_locked(void)
{
	uint64_t *s = rng_state;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static void stir_locked(void)
{
	uint64_t seed = hal_time_ns() ^ hal_boot_realtime_ns() ^ (uintptr_t)&seed;

	if (!rng_seeded) {
		seed ^= (uintptr_t)rng_state;
		for (int i = 0; i < 4; i++)
			rng_state[i] = splitmix(&seed);
		rng_seeded = true;
	} else {
		rng_state[0] ^= splitmix(&seed);
	}
}

uint64_t random_u64(void)
{
	guard_irqsave(&rng_lock);
	stir_locked();
	return next_locked();
}

void random_bytes(void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		uint64_t v = random_u64();
		size_t k = MIN(n, sizeof(v));
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

long sys_getrandom(void __user *ubuf, size_t len, unsigned flags)
{
	char chunk[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (len > 0x1ffffff)
		len = 0x1ffffff; /* as Linux caps one call */
	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));
		random_bytes(chunk, n);
		if (copy_to_user((char __user *)ubuf + done, chunk, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}
