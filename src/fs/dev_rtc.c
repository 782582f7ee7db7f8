/*
 * /dev/rtc0: the hardware clock of hal_rtc.h as Linux's RTC character
 * device, with the links distributions make (/dev/rtc, /dev/misc/rtc), so
 * busybox hwclock works. RTC_RD_TIME reads it, RTC_SET_TIME (root) sets it;
 * the alarm and interrupt ioctls answer EINVAL (no RTC interrupt is wired),
 * anything else ENOTTY. One opener at a time (EBUSY), as Linux.
 * Lock: rtc_busy (atomic) for the single opener; the HAL serialises the
 * hardware.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/rtc.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/uaccess.h>
#include <hal/hal_rtc.h>
#include "fs_internal.h"

/* Linux gives RTCs a dynamic major; Ferrite fixes one. */
#define RTC_MAJOR 252

#define RTC_IOC(dir, nr) (((unsigned)(dir) << 30) | ((unsigned)sizeof(struct rtc_time) << 16) | ('p' << 8) | (nr))
#define RTC_RD_TIME RTC_IOC(2, 0x09)  /* _IOR('p', 0x09, struct rtc_time) */
#define RTC_SET_TIME RTC_IOC(1, 0x0a) /* _IOW('p', 0x0a, struct rtc_time) */
#define RTC_ALM_READ RTC_IOC(2, 0x08)
#define RTC_ALM_SET RTC_IOC(1, 0x07)
/* _IO('p', 1..6): AIE/UIE/PIE on and off */
#define RTC_AIE_ON 0x7001
#define RTC_PIE_OFF 0x7006

static int rtc_busy; /* atomic */

static int rtc_open(struct inode *ino, struct file *f)
{
	(void)ino;
	(void)f;
	if (__atomic_exchange_n(&rtc_busy, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	return 0;
}

static void rtc_release(struct file *f)
{
	(void)f;
	__atomic_store_n(&rtc_busy, 0, __ATOMIC_RELEASE);
}

static bool may_set_time(void)
{
	struct task *t = current;
	return t && t->proc && READ_ONCE(t->proc->euid) == 0; /* CAP_SYS_TIME */
}

static long rtc_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	void __user *up = (void __user *)arg;
	struct rtc_time tm;
	int err;

	(void)f;
	switch (cmd) {
	case RTC_RD_TIME:
		err = hal_rtc_read(&tm);
		if (err)
			return err;
		return copy_to_user(up, &tm, sizeof(tm)) ? -EFAULT : 0;
	case RTC_SET_TIME:
		if (!may_set_time())
			return -EACCES; /* Linux's errno here */
		if (copy_from_user(&tm, up, sizeof(tm)))
			return -EFAULT;
		err = rtc_valid_tm(&tm);
		return err ? err : hal_rtc_set(&tm);
	case RTC_ALM_READ:
	case RTC_ALM_SET:
		return -EINVAL;
	default:
		if (cmd >= RTC_AIE_ON && cmd <= RTC_PIE_OFF)
			return -EINVAL; /* no RTC interrupt */
		return -ENOTTY;
	}
}

static const struct file_ops rtc_fops = {
	.open = rtc_open,
	.ioctl = rtc_ioctl,
	.release = rtc_release,
};

void rtc_dev_init(void)
{
	struct rtc_time tm;
	int err;

	if (hal_rtc_read(&tm))
		return; /* no clock: no device */
	err = chrdev_register(MKDEV(RTC_MAJOR, 0), &rtc_fops);
	if (!err)
		err = vfs_mknod_at(AT_FDCWD, "/dev/rtc0", S_IFCHR | 0600, MKDEV(RTC_MAJOR, 0));
	if (!err)
		err = vfs_symlink_at("rtc0", AT_FDCWD, "/dev/rtc");
	if (!err)
		err = vfs_mkdir_at(AT_FDCWD, "/dev/misc", 0755);
	if (!err)
		err = vfs_symlink_at("../rtc0", AT_FDCWD, "/dev/misc/rtc");
	if (err && err != -EEXIST)
		pr_warn("rtc: cannot make /dev/rtc0 (%d)\n", err);
}
