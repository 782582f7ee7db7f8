/*
 * Bit scanning without libgcc (the kernel links none): the index of the
 * lowest set bit of a 64-bit word. x86_64 has bsf/tzcnt; rv64gc has no
 * count-trailing-zeros instruction (that is Zbb), so there the lowest bit
 * is isolated and looked up with a de Bruijn multiply: four instructions
 * and a table load, no loop (index_of[(B << i) >> 58] == i for the
 * de Bruijn constant B below).
 */
#pragma once

#include <ferrite/types.h>

/* Return: index (0..63) of the lowest set bit of x; x must not be 0. */
static inline unsigned bit_lowest(uint64_t x)
{
#if defined(__riscv) && !defined(__riscv_zbb)
	static const uint8_t index_of[64] = {
		0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28,
		62, 5,  39, 46, 44, 42, 22, 9,  24, 35, 59, 56, 49, 18, 29, 11,
		63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
		51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
	};

	return index_of[((x & -x) * 0x022fdd63cc95386dull) >> 58];
#else
	return (unsigned)__builtin_ctzll(x);
#endif
}
