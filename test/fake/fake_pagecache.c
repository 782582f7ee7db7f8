/* Host tests have no processes: truncating a cached file has no other
 * address spaces to unmap its pages from (src/mm/pagecache_unmap.c). */
#include <ferrite/pagecache.h>

void pagecache_unmap_from(struct vm_object *obj, size_t first)
{
	(void)obj, (void)first;
}
