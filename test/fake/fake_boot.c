/*
 * Host tests: boot the memory manager on a block of host memory.
 * With hal_direct_map_offset = 0 the block's host addresses are its
 * "physical" addresses.
 */
#include <stdlib.h>
#include <string.h>

#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <hal/hal_boot.h>
#include "fake.h"

void fake_mm_init(size_t bytes)
{
	static struct boot_info info;
	size_t align = PAGE_SIZE << FRAME_MAX_ORDER;
	void *ram = aligned_alloc(align, ALIGN_UP(bytes, align));

	if (!ram)
		abort();
	memset(&info, 0, sizeof(info));
	info.usable[0].base = (uintptr_t)ram;
	info.usable[0].size = bytes;
	info.nr_usable = 1;
	frame_allocator_init(&info);
	kmalloc_init();
}
