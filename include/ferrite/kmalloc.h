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

DEFINE_FREE(kfree, void *, if (_T) kfree(_T))
