/*
 * openat2(2): openat with a versioned struct open_how (flags, mode,
 * resolve). Strict where openat is lax, as Linux's build_open_flags: an
 * unknown open or resolve flag, a mode without O_CREAT/O_TMPFILE, or
 * O_PATH with flags it does not take is EINVAL. The resolve flags become
 * lookup flags that hold through every symlink (src/fs/path.c).
 * RESOLVE_CACHED: every lookup here may need no I/O it cannot do, so it
 * runs; only what would create or truncate is EAGAIN, as on Linux.
 * No locks of its own.
 */
#include <ferrite/errno.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include "fs_internal.h"

/* Linux UAPI <linux/openat2.h>. */
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define OPEN_HOW_SIZE_VER0 24

#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#define RESOLVE_VALID 0x3f

#define O_TMPFILE_ONLY 020000000 /* __O_TMPFILE: O_TMPFILE without O_DIRECTORY */
#define OPEN_VALID                                                                     \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |     \
	 O_DSYNC | O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW |         \
	 O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE)
#define OPEN_PATH_VALID (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)

/* Linux's build_open_flags, in its order. Return: the lookup flags, or
 * -errno. */
static long open_how_check(const struct open_how *how)
{
	uint64_t flags = how->flags;
	long lookup = 0;

	if (flags & ~(uint64_t)OPEN_VALID)
		return -EINVAL;
	if (how->resolve & ~(uint64_t)RESOLVE_VALID)
		return -EINVAL;
	if ((how->resolve & RESOLVE_BENEATH) && (how->resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	if (flags & (O_CREAT | O_TMPFILE_ONLY)) {
		if (how->mode & ~(uint64_t)S_IALLUGO)
			return -EINVAL;
	} else if (how->mode) {
		return -EINVAL;
	}
	if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT))
		return -EINVAL;
	if (flags & O_TMPFILE_ONLY) {
		if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE)
			return -EINVAL;
		if ((flags & O_ACCMODE) == O_RDONLY) /* a tmpfile is for writing */
			return -EINVAL;
	}
	if ((flags & O_PATH) && (flags & ~(uint64_t)OPEN_PATH_VALID))
		return -EINVAL;
	if (how->resolve & RESOLVE_NO_XDEV)
		lookup |= LOOKUP_NO_XDEV;
	if (how->resolve & RESOLVE_NO_MAGICLINKS)
		lookup |= LOOKUP_NO_MAGICLINKS;
	if (how->resolve & RESOLVE_NO_SYMLINKS)
		lookup |= LOOKUP_NO_SYMLINKS;
	if (how->resolve & RESOLVE_BENEATH)
		lookup |= LOOKUP_BENEATH;
	if (how->resolve & RESOLVE_IN_ROOT)
		lookup |= LOOKUP_IN_ROOT;
	if ((how->resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | O_TMPFILE_ONLY)))
		return -EAGAIN;
	return lookup;
}

long sys_openat2(int dirfd, const char __user *upath, struct open_how __user *uhow,
		 size_t usize)
{
	struct open_how how;

	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	int err = copy_struct_from_user(&how, sizeof(how), uhow, usize);
	if (err)
		return err;
	long lookup = open_how_check(&how);
	if (lookup < 0)
		return lookup;
	__free(path_free) char *path = path_from_user(upath);
	if (IS_ERR(path))
		return PTR_ERR(path);
	if (how.flags & O_TMPFILE_ONLY)
		return -EOPNOTSUPP; /* as openat: no O_TMPFILE here */
	struct file *f = vfs_open_at_resolve(dirfd, path, (int)how.flags, (mode_t)how.mode,
					     (unsigned)lookup);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install(f, how.flags & O_CLOEXEC);
}
