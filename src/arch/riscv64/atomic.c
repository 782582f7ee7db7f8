/*
 * Sub-word atomics for riscv64. The A extension only has 32- and 64-bit
 * AMOs and GCC 12 turns 8/16-bit __atomic builtins into calls to libatomic,
 * which a freestanding kernel does not link. These emulate them with a CAS
 * loop on the aligned 32-bit word holding the value (always seq_cst).
 * Lock-free; safe on SMP.
 */
#include <ferrite/types.h>

static inline uint32_t *word_of(volatile void *p, unsigned *shift)
{
	uintptr_t a = (uintptr_t)p;
	*shift = (a & 3) * 8; /* little endian */
	return (uint32_t *)(a & ~(uintptr_t)3);
}

/* Apply op to the size-byte value at p; return the old value. */
#define SUBWORD_RMW(p, size, expr)                                                   \
	({                                                                           \
		unsigned __shift;                                                    \
		uint32_t *__w = word_of(p, &__shift);                                \
		uint32_t __mask = (size == 1 ? 0xffu : 0xffffu) << __shift;          \
		uint32_t __old = __atomic_load_n(__w, __ATOMIC_RELAXED), __new;      \
		uint32_t old;                                                        \
		do {                                                                 \
			old = (__old & __mask) >> __shift;                           \
			__new = (__old & ~__mask) | (((uint32_t)(expr) << __shift) & __mask); \
		} while (!__atomic_compare_exchange_n(__w, &__old, __new, true,      \
						      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)); \
		old;                                                                 \
	})

#define DEFINE_SUBWORD(N, T)                                                                  \
	T rv_atomic_exchange_##N(volatile void *p, T v, int o) __asm__("__atomic_exchange_" #N); \
	T rv_atomic_exchange_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, v); }  \
	T rv_fetch_add_##N(volatile void *p, T v, int o) __asm__("__atomic_fetch_add_" #N);     \
	T rv_fetch_add_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old + v); }  \
	T rv_fetch_sub_##N(volatile void *p, T v, int o) __asm__("__atomic_fetch_sub_" #N);     \
	T rv_fetch_sub_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old - v); }  \
	T rv_fetch_and_##N(volatile void *p, T v, int o) __asm__("__atomic_fetch_and_" #N);     \
	T rv_fetch_and_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old & v); }  \
	T rv_fetch_or_##N(volatile void *p, T v, int o) __asm__("__atomic_fetch_or_" #N);       \
	T rv_fetch_or_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old | v); }   \
	T rv_fetch_xor_##N(volatile void *p, T v, int o) __asm__("__atomic_fetch_xor_" #N);     \
	T rv_fetch_xor_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old ^ v); }  \
	T rv_add_fetch_##N(volatile void *p, T v, int o) __asm__("__atomic_add_fetch_" #N);     \
	T rv_add_fetch_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old + v) + v; } \
	T rv_sub_fetch_##N(volatile void *p, T v, int o) __asm__("__atomic_sub_fetch_" #N);     \
	T rv_sub_fetch_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old - v) - v; } \
	T rv_and_fetch_##N(volatile void *p, T v, int o) __asm__("__atomic_and_fetch_" #N);     \
	T rv_and_fetch_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old & v) & v; } \
	T rv_or_fetch_##N(volatile void *p, T v, int o) __asm__("__atomic_or_fetch_" #N);       \
	T rv_or_fetch_##N(volatile void *p, T v, int o) { return SUBWORD_RMW(p, N, old | v) | v; } \
	bool rv_cas_##N(volatile void *p, void *expected, T desired, bool weak, int s, int f)     \
		__asm__("__atomic_compare_exchange_" #N);                                        \
	bool rv_cas_##N(volatile void *p, void *expected, T desired, bool weak, int s, int f)     \
	{                                                                                         \
		T want = *(T *)expected;                                                          \
		bool ok = false;                                                                  \
		T seen = SUBWORD_RMW(p, N, (ok = (old == want)) ? desired : old);                 \
		if (!ok)                                                                          \
			*(T *)expected = seen;                                                    \
		return ok;                                                                        \
	}

DEFINE_SUBWORD(1, uint8_t)
DEFINE_SUBWORD(2, uint16_t)
