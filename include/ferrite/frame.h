/*
 * Physical frames. Every 4 KiB page of RAM has a struct frame. A frame
 * handed out by frame_alloc() is owned by the caller with a refcount of 1;
 * sharers (COW pages, shared mappings, shm segments) take frame_get() and
 * the last frame_put() returns it to the allocator.
 * Multi-page blocks (kernel stacks, kmalloc of large sizes) come from
 * pages_alloc(order) as one physically contiguous run.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>

struct boot_info;

/* frame->flags */
#define FRAME_RESERVED 0x1 /* not managed by the allocator (hole, kernel, firmware) */
#define FRAME_FREE 0x2     /* head of a free buddy block; Lock: the allocator lock */
#define FRAME_SLAB 0x4     /* page is a kmalloc slab (src/mm/slab.c) */
#define FRAME_KMALLOC 0x8  /* head of a large kmalloc block; order says its size */

#define FRAME_MAX_ORDER 10 /* largest block: 2^10 pages = 4 MiB */

struct frame {
	int refcount;          /* atomic; 0 while free */
	uint16_t flags;
	uint8_t order;         /* block order of a free or pages_alloc'ed head frame */
	uint8_t dirty;         /* page cache page changed through a mapping, not yet
				* written back; Lock: its vm_object's lock */
	struct list_head node; /* free list link, or owner's list */
};

/* Build the allocator from the boot memory map. */
void frame_allocator_init(const struct boot_info *info);

/* Return: a new frame with refcount 1 (contents undefined), or NULL. */
struct frame *frame_alloc(void);
/* Return: a new zero-filled frame with refcount 1, or NULL. */
struct frame *frame_alloc_zeroed(void);
void frame_get(struct frame *f);
/* Drop one reference; the last one frees the frame. */
void frame_put(struct frame *f);
int frame_refcount(const struct frame *f);

phys_addr_t frame_to_phys(const struct frame *f);
struct frame *phys_to_frame(phys_addr_t pa);
void *frame_to_virt(const struct frame *f);

/* 2^order contiguous pages (order <= FRAME_MAX_ORDER), kernel virtual
 * address, or NULL. The head frame has refcount 1 and records the order. */
void *pages_alloc(unsigned order);
void pages_free(void *va, unsigned order);

/* Give the allocator the whole pages of [start, end) that boot reserved
 * (the boot loader's initrd once unpacked). Return the pages released. */
size_t frames_release_reserved(phys_addr_t start, phys_addr_t end);

/* Called (no allocator lock held) when an allocation finds no free block:
 * may free about that many pages (the page cache sets it). */
extern void (*frame_reclaim_hook)(size_t pages);

/* Give every CPU's cached single frames back to the buddy lists (memory
 * pressure, tests); return how many. No allocator lock held. */
size_t frame_pcp_drain_all(void);
/* Free frames, those in the per-CPU caches included. */
size_t frames_free_count(void);
size_t frames_total_count(void);
