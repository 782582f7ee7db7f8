/*
 * Helpers shared by the fs syscalls: user path copies. No shared state.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include "fs_internal.h"

char *path_from_user(const char __user *upath)
{
	char *p;
	long n;

	if (!upath)
		return ERR_PTR(-EFAULT);
	p = kmalloc(PATH_MAX);
	if (!p)
		return ERR_PTR(-ENOMEM);
	n = strncpy_from_user(p, upath, PATH_MAX);
	if (n < 0) {
		kfree(p);
		return ERR_PTR(n);
	}
	return p;
}
