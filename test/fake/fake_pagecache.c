/* Host tests have no processes: truncating a cached file has no other
 * address spaces to unmap its pages from (src/mm/pagecache_unmap.c). */
#include <ferrite/pagecache.h>

void pagecache_unmap_from(struct vm_object *obj, size_t first)
{
	(void)obj, (void)first;
}

/* No mappings write to disk files in host tests: nothing is dirty. */
int pagecache_sync(const struct super_block *sb)
{
	(void)sb;
	return 0;
}
