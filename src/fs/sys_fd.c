/*
 * Descriptor syscalls: dup, dup2, dup3, fcntl, ioctl. The fd table's lock
 * is taken inside fdtable.c; f->lock guards the status flags.
 */
#include <ferrite/vfs.h>
#include <ferrite/pipe.h>
#include <ferrite/errno.h>
#include <ferrite/uaccess.h>
#include <uapi/termios.h>
#include "fs_internal.h"

long sys_dup(int fd)
{
	struct file *f = fd_get_raw(fd);

	if (!f)
		return -EBADF;
	return fd_install(f, 0);
}

long sys_dup3(int oldfd, int newfd, int flags)
{
	struct file *f;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd < 0 || newfd >= (int)fd_limit())
		return -EBADF;
	f = fd_get_raw(oldfd);
	if (!f)
		return -EBADF;
	return fd_install_at(f, newfd, flags);
}

long sys_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) {
		struct file *f = fd_get_raw(oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return sys_dup3(oldfd, newfd, 0);
}

/* Flags F_SETFL may change. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
	__free(file_put) struct file *f = fd_get_raw(fd);

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		file_get(f);
		return fd_install_min(f, arg, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
	case F_GETFD:
		return fd_get_cloexec(fd);
	case F_SETFD:
		return fd_set_cloexec(fd, arg & FD_CLOEXEC);
	case F_GETFL: {
		int fl;
		guard(spinlock)(&f->lock);
		fl = f->flags & ~O_ACCMODE;
		if (f->mode & FMODE_PATH)
			return fl | O_PATH;
		if ((f->mode & (FMODE_READ | FMODE_WRITE)) == (FMODE_READ | FMODE_WRITE))
			return fl | O_RDWR;
		return fl | ((f->mode & FMODE_WRITE) ? O_WRONLY : O_RDONLY);
	}
	case F_SETFL: {
		guard(spinlock)(&f->lock);
		f->flags = (f->flags & ~SETFL_MASK) | ((int)arg & SETFL_MASK);
		return 0;
	}
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		return pipe_fcntl(f, cmd, arg);
	case F_GETLK:
	case F_OFD_GETLK: {
		/* No locks are ever held by others: report "unlocked". */
		struct flock fl;
		if (copy_from_user(&fl, (void __user *)arg, sizeof(fl)))
			return -EFAULT;
		fl.l_type = F_UNLCK;
		return copy_to_user((void __user *)arg, &fl, sizeof(fl)) ? -EFAULT : 0;
	}
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW: {
		struct flock fl;
		if (copy_from_user(&fl, (void __user *)arg, sizeof(fl)))
			return -EFAULT;
		if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
			return -EINVAL;
		return 0;
	}
	case F_GETOWN:
	case F_SETOWN:
		return 0;
	default:
		return -EINVAL;
	}
}

/* cmd arrives as the full register (the table calls every handler with
 * unsigned long arguments); riscv64's ABI wants a 32-bit argument sign-
 * extended, so it is narrowed here, not trusted as an unsigned int: an
 * ioctl number with bit 31 set (_IOR, such as BLKGETSIZE64) would
 * otherwise match no case. */
long sys_ioctl(int fd, unsigned long cmd_arg, unsigned long arg)
{
	unsigned cmd = (unsigned)cmd_arg;
	__free(file_put) struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	switch (cmd) {
	case FIOCLEX:
		return fd_set_cloexec(fd, true);
	case FIONCLEX:
		return fd_set_cloexec(fd, false);
	case FIONBIO: {
		int on;
		if (get_user(on, (int __user *)arg))
			return -EFAULT;
		guard(spinlock)(&f->lock);
		if (on)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~O_NONBLOCK;
		return 0;
	}
	case FIONREAD:
		/* Regular files answer here (size - position, as Linux); pipes,
		 * the tty and later sockets through their own ioctl. */
		if (f->inode && S_ISREG(f->inode->mode)) {
			off_t pos;
			scoped_guard(spinlock, &f->lock) {
				pos = f->pos;
			}
			int n = (int)(READ_ONCE(f->inode->size) - pos);
			return put_user(n, (int __user *)arg) ? -EFAULT : 0;
		}
		break;
	}
	if (!f->ops || !f->ops->ioctl)
		return -ENOTTY;
	return f->ops->ioctl(f, cmd, arg);
}
