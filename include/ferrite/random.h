/* Kernel random numbers (src/proc/random.c): a xoshiro256** generator
 * seeded from boot time and address entropy, re-stirred with the clock on
 * every call. Not cryptographic. Lock: an internal spinlock. */
#pragma once
#include <ferrite/types.h>

void random_bytes(void *buf, size_t n);
uint64_t random_u64(void);
