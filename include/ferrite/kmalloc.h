/* Kernel heap: slab caches for small sizes, page runs above. */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>

void kmalloc_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void kfree(void *p);
/* Bytes currently allocated (for leak checks). */
size_t kmalloc_live_bytes(void);
/* Give the objects parked in every CPU's magazines back to their slab
 * caches (and empty slabs to the frame allocator), so free-frame counts
 * are exact; no lock held. A no-op where magazines are off. */
void kmalloc_drain_all(void);

#ifdef FERRITE_DEBUG
/* Check every slab object (red zones of live ones, poison of free ones);
 * each bad one is reported with "BUG: kmalloc:". Returns how many. */
unsigned kmalloc_check_all(void);
/* ferrite.selftest=kmalloc: an overflow, a write after free, a write into
 * a wholly freed slab and a double free, each of which must be reported. */
void kmalloc_selftest(void);
/* /proc/ferrite/kmalloc_check: any write checks; -EIO when something is bad. */
int kmalloc_check_store(const char *text, size_t len);
/* Give back the empty slabs the debug build keeps (src/mm/slab.c), each
 * checked for writes after free first; returns the bad objects found. */
unsigned kmalloc_drain_empty(void);
#else
static inline unsigned kmalloc_drain_empty(void) { return 0; }
#endif

DEFINE_FREE(kfree, void *, if (_T) kfree(_T))
