/*
 * fadvise64(2) (posix_fadvise): advice about a file's access pattern.
 * Ferrite's caches do no read-ahead nor early eviction yet, so every valid
 * advice is accepted and changes nothing; the checks are Linux's, in its
 * order: EBADF, ESPIPE for a pipe or FIFO, EINVAL for a negative length,
 * a file without pages (a socket, an event descriptor) or an unknown
 * advice. No locks: the file is only looked at.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include "fs_internal.h"

#define POSIX_FADV_NOREUSE 5 /* the last of 0..5 */

long sys_fadvise64(int fd, long offset, long len, int advice)
{
	(void)offset;
	__free(file_put) struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	if (f->inode && S_ISFIFO(f->inode->mode))
		return -ESPIPE;
	if (len < 0 || !f->inode || (!S_ISREG(f->inode->mode) && !S_ISBLK(f->inode->mode) &&
				     !S_ISDIR(f->inode->mode) && !S_ISLNK(f->inode->mode)))
		return -EINVAL;
	if (advice < 0 || advice > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0;
}
