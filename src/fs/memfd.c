/*
 * memfd_create: an anonymous regular file in memory. It is a ramfs inode
 * that no directory names (nlink 0, as Linux's unlinked shmem file), so
 * read, write, mmap, ftruncate and fstat are ramfs's, and its pages go
 * with the last reference. Sealing is not kept: MFD_ALLOW_SEALING is
 * accepted, F_ADD_SEALS is not (EINVAL, as a kernel without seals).
 * No locks of its own.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/uaccess.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include "fs_internal.h"
#include "ramfs.h"

#define MFD_CLOEXEC 0x0001u
#define MFD_ALLOW_SEALING 0x0002u
#define MFD_HUGETLB 0x0004u
#define MFD_NOEXEC_SEAL 0x0008u
#define MFD_EXEC 0x0010u
/* Linux: NAME_MAX less the "memfd:" prefix of the link in /proc/PID/fd. */
#define MFD_NAME_MAX (NAME_MAX - 6)

long sys_memfd_create(const char __user *uname, unsigned flags)
{
	char name[MFD_NAME_MAX + 1];
	long n;

	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL; /* MFD_HUGETLB too: there are no huge pages */
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	n = strncpy_from_user(name, uname, sizeof(name));
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return n;
	__free(inode_put) struct inode *ino =
		ramfs_new_inode(vfs_root->sb, S_IFREG | ((flags & MFD_NOEXEC_SEAL) ? 0666 : 0777), 0);
	if (!ino)
		return -ENOMEM;
	ino->nlink = 0;
	struct task *t = current;
	if (t && t->proc) {
		ino->uid = t->proc->euid;
		ino->gid = t->proc->egid;
	}
	struct file *f = vfs_open_inode(ino, O_RDWR);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install(f, (flags & MFD_CLOEXEC) ? O_CLOEXEC : 0);
}
