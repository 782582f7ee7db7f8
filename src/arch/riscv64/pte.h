/* Sv39 page table entry bits and helpers (private to src/arch/riscv64). */
#pragma once
#include <ferrite/types.h>

#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
/* Software bit: "mapped, no access" (PROT_NONE); V is clear. */
#define PTE_SW_NONE (1UL << 8)
#define PTE_LEAF_MASK (PTE_R | PTE_W | PTE_X)

#define SATP_SV39 (8UL << 60)

static inline uint64_t pte_make(phys_addr_t pa, uint64_t flags)
{
	return ((pa >> 12) << 10) | flags;
}

static inline phys_addr_t pte_phys(uint64_t pte)
{
	return ((pte >> 10) & ((1UL << 44) - 1)) << 12;
}
