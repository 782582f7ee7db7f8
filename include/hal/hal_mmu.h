/*
 * HAL: page tables. A hal_pt is one address space's page table; its upper
 * (kernel) half is shared by every hal_pt. Table pages come from
 * frame_alloc_zeroed(); mapped frames are owned by the caller (src/mm), the
 * HAL only records their physical addresses.
 */
#pragma once
#include <ferrite/types.h>

#define HAL_PROT_READ 0x1
#define HAL_PROT_WRITE 0x2
#define HAL_PROT_EXEC 0x4
#define HAL_PROT_USER 0x8

struct hal_pt;

/* All physical RAM is mapped at phys + hal_direct_map_offset. */
extern uintptr_t hal_direct_map_offset;
static inline void *phys_to_virt(phys_addr_t pa) { return (void *)(uintptr_t)(pa + hal_direct_map_offset); }
static inline phys_addr_t virt_to_phys(const void *va) { return (phys_addr_t)((uintptr_t)va - hal_direct_map_offset); }

/* User addresses are [HAL_USER_MIN, hal_user_max): page 0 is never user
 * memory, so a NULL pointer always faults. Where mappings may start is the
 * mm's rule (vm.mmap_min_addr, mm_min_addr()). */
#define HAL_USER_MIN 0x1000UL
extern const uintptr_t hal_user_max;

/* Return: new page table with the kernel half mapped, or NULL on ENOMEM. */
struct hal_pt *hal_pt_create(void);
/* Free the table pages (not the mapped frames). Must not be active. */
void hal_pt_destroy(struct hal_pt *pt);
/* Map one 4 KiB page. Replaces an existing mapping. Return 0 or -ENOMEM. */
int hal_pt_map(struct hal_pt *pt, uintptr_t va, phys_addr_t pa, unsigned prot);
/* Remove one mapping; return true when one was present. Flushes the TLB. */
bool hal_pt_unmap(struct hal_pt *pt, uintptr_t va);
/* Look up va: return true and fill *pa / *prot when mapped. */
bool hal_pt_translate(struct hal_pt *pt, uintptr_t va, phys_addr_t *pa, unsigned *prot);
/* Change protection of a present page. Flushes the TLB entry. */
bool hal_pt_protect(struct hal_pt *pt, uintptr_t va, unsigned prot);
/* Kernel stack guard pages (src/proc/task.c): make the direct-map page at
 * va (page aligned, RAM) absent (guard) or present again. The arch maps
 * RAM by 4 KiB pages at boot for this, so it never allocates. Return 0, or
 * -ENOMEM where that split could not be done (no guard). Other CPUs may
 * keep an old translation of the page until their next TLB flush: the
 * guard may catch an overflow late, never corrupt memory (the page
 * belongs to the stack allocation). */
int hal_kernel_guard_page(void *va, bool guard);
/* Switch this CPU to pt (NULL: the kernel-only table). */
void hal_pt_activate(struct hal_pt *pt);
/*
 * Walk-once range iteration. hal_pt_walk_range visits each mapped page of
 * [start, end) (page aligned) in address order, skipping absent tables
 * whole. fn sees the page's va, pa and prot and may lower or change *prot
 * (the PTE is rewritten, TLB flushed when pt is active) or return
 * HAL_WALK_UNMAP to remove the mapping (the caller drops the frame). A
 * negative return stops the walk and is returned; else 0. Table pages are
 * not freed (hal_pt_destroy does that); fn must not edit pt itself. The
 * caller serialises as for hal_pt_map.
 */
#define HAL_WALK_UNMAP 1
typedef int (*hal_walk_fn)(void *arg, uintptr_t va, phys_addr_t pa, unsigned *prot);
int hal_pt_walk_range(struct hal_pt *pt, uintptr_t start, uintptr_t end, hal_walk_fn fn,
		      void *arg);
/*
 * fork: map every mapped page of parent's [start, end) at the same address
 * in child with the same access, taking a frame reference (frame_get) for
 * each. With cow, writable pages lose write access in both tables (the
 * parent's TLB entries are flushed when it is active): copy-on-write.
 * Leaf tables are copied a table at a time, not page by page. Return 0 or
 * -ENOMEM (a child table); pages already shared stay mapped in child and
 * referenced, for the caller's mm teardown to drop. Caller serialises both.
 */
int hal_pt_share_range(struct hal_pt *parent, struct hal_pt *child, uintptr_t start,
		       uintptr_t end, bool cow);
void hal_tlb_flush_page(uintptr_t va);
void hal_tlb_flush_all(void);
