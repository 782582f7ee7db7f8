/*
 * The one place src/mm looks inside a struct file: what a mapping of it
 * needs. Files whose ops have mmap_object (ramfs regular files; ext4 and
 * FAT files, whose object is their page cache) lend their vm_object, so
 * mappings share the file's own pages; others are served as private
 * copies read at fault time (fault.c). Writes through shared mappings of a
 * page cache mark its pages dirty; pagecache_dirty.c writes them back.
 * Locking: none here; mmap_object takes the file system's locks.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/pagecache.h>
#include <ferrite/vfs.h>

int filemap_prepare(struct file *file, bool shared, int prot, struct vm_object **obj,
		    bool *may_write)
{
	*obj = NULL;
	*may_write = true;
	if ((file->mode & FMODE_PATH) || !file->ops)
		return -EBADF;
	if (!(file->mode & FMODE_READ))
		return -EACCES;
	if (!file->ops->mmap_object)
		return shared && (prot & PROT_WRITE) ? -ENODEV : 0;
	if (shared && !(file->mode & FMODE_WRITE)) {
		if (prot & PROT_WRITE)
			return -EACCES;
		*may_write = false;
	}
	if (shared && (prot & PROT_WRITE) && (READ_ONCE(file->flags) & O_APPEND))
		return -EACCES;
	struct vm_object *o = file->ops->mmap_object(file);
	if (IS_ERR(o))
		return (int)PTR_ERR(o);
	*obj = o;
	return 0;
}
