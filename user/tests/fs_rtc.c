/*
 * Issue 8 item 15: busybox hwclock failed, there was no RTC device.
 * /dev/rtc0 (and the /dev/rtc, /dev/misc/rtc links) answers RTC_RD_TIME
 * from the hardware clock (goldfish on riscv64, CMOS on x86_64), in UTC,
 * close to CLOCK_REALTIME (which boots from it); RTC_SET_TIME sets it;
 * alarms give EINVAL and strangers ENOTTY; one opener at a time. On Linux
 * without an RTC (or without access to it) the test skips; the host's
 * clock is never set.
 */
#include "common.h"
#include <fcntl.h>
#include <linux/rtc.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

static int in_ferrite(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
}

static time_t rtc_seconds(const struct rtc_time *rt)
{
	struct tm tm = { .tm_sec = rt->tm_sec, .tm_min = rt->tm_min, .tm_hour = rt->tm_hour,
			 .tm_mday = rt->tm_mday, .tm_mon = rt->tm_mon, .tm_year = rt->tm_year };
	return timegm(&tm);
}

static void read_rtc(int fd, struct rtc_time *rt)
{
	memset(rt, 0x55, sizeof(*rt));
	CHECK(ioctl(fd, RTC_RD_TIME, rt) == 0, "RTC_RD_TIME");
	CHECK(rt->tm_sec >= 0 && rt->tm_sec < 60 && rt->tm_min >= 0 && rt->tm_min < 60 &&
	      rt->tm_hour >= 0 && rt->tm_hour < 24 && rt->tm_mday >= 1 && rt->tm_mday <= 31 &&
	      rt->tm_mon >= 0 && rt->tm_mon < 12 && rt->tm_year >= 120,
	      "fields %d-%d-%d %d:%d:%d", rt->tm_year, rt->tm_mon, rt->tm_mday, rt->tm_hour,
	      rt->tm_min, rt->tm_sec);
	struct tm check;
	time_t t = rtc_seconds(rt);
	gmtime_r(&t, &check);
	CHECK(rt->tm_wday == check.tm_wday && rt->tm_yday == check.tm_yday,
	      "wday %d/%d yday %d/%d", rt->tm_wday, check.tm_wday, rt->tm_yday, check.tm_yday);
}

static int run_hwclock(char *out, size_t cap)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execl("/bin/busybox", "hwclock", "-r", "-u", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while (got < cap - 1 && (r = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(p[0]);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	return status;
}

int main(void)
{
	int fd = open("/dev/rtc0", O_RDONLY);

	if (fd < 0 && !in_ferrite())
		return 77; /* no RTC here (or no access to it) */
	CHECK(fd >= 0, "open /dev/rtc0");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode), "/dev/rtc0 is a char device");
	struct rtc_time rt;
	read_rtc(fd, &rt);
	time_t now = time(NULL), rtc = rtc_seconds(&rt);
	/* Ferrite's clock starts from the RTC; a Linux host may have drifted. */
	long slack = in_ferrite() ? 5 : 86400;
	CHECK(labs((long)(rtc - now)) <= slack, "RTC %ld vs time() %ld", (long)rtc, (long)now);
	CHECK_ERRNO(ioctl(fd, RTC_RD_TIME, launder_ptr(8)), EFAULT);
	if (!under_qemu_user())
		CHECK_ERRNO(ioctl(fd, 0x12345678, &rt), ENOTTY);
	if (!in_ferrite()) {
		close(fd);
		return 0; /* never set a host's clock */
	}
	CHECK_ERRNO(open("/dev/rtc0", O_RDONLY), EBUSY);
	CHECK_ERRNO(ioctl(fd, RTC_AIE_ON, 0), EINVAL);
	CHECK_ERRNO(ioctl(fd, RTC_ALM_READ, &rt), EINVAL);
	/* Set an hour ahead, read it back, put it back. */
	struct rtc_time later = rt;
	time_t ahead = rtc + 3600;
	struct tm g;
	gmtime_r(&ahead, &g);
	later.tm_sec = g.tm_sec, later.tm_min = g.tm_min, later.tm_hour = g.tm_hour;
	later.tm_mday = g.tm_mday, later.tm_mon = g.tm_mon, later.tm_year = g.tm_year;
	CHECK(ioctl(fd, RTC_SET_TIME, &later) == 0, "RTC_SET_TIME");
	struct rtc_time back;
	read_rtc(fd, &back);
	long moved = (long)(rtc_seconds(&back) - rtc);
	CHECK(moved >= 3599 && moved <= 3605, "set an hour ahead: moved %ld s", moved);
	struct rtc_time bad = later;
	bad.tm_mon = 12;
	CHECK_ERRNO(ioctl(fd, RTC_SET_TIME, &bad), EINVAL);
	bad = later;
	bad.tm_mday = 31, bad.tm_mon = 1; /* 31 February */
	CHECK_ERRNO(ioctl(fd, RTC_SET_TIME, &bad), EINVAL);
	CHECK_ERRNO(ioctl(fd, RTC_SET_TIME, launder_ptr(8)), EFAULT);
	now = time(NULL);
	gmtime_r(&now, &g);
	struct rtc_time restore = { .tm_sec = g.tm_sec, .tm_min = g.tm_min, .tm_hour = g.tm_hour,
				    .tm_mday = g.tm_mday, .tm_mon = g.tm_mon, .tm_year = g.tm_year };
	CHECK(ioctl(fd, RTC_SET_TIME, &restore) == 0, "RTC_SET_TIME back");
	CHECK(close(fd) == 0, "close");

	/* The links distributions make, and busybox hwclock through them. */
	char target[64];
	ssize_t n = readlink("/dev/rtc", target, sizeof(target) - 1);
	CHECK(n > 0, "readlink /dev/rtc");
	CHECK(stat("/dev/rtc", &st) == 0 && S_ISCHR(st.st_mode), "/dev/rtc");
	CHECK(stat("/dev/misc/rtc", &st) == 0 && S_ISCHR(st.st_mode), "/dev/misc/rtc");
	char out[256];
	int status = run_hwclock(out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "busybox hwclock -r: 0x%x: %s", status,
	      out);
	char year[16];
	snprintf(year, sizeof(year), "%d", g.tm_year + 1900);
	CHECK(strstr(out, year), "hwclock printed the year: %s", out);
	return 0;
}
