/*
 * Calendar time as the RTC ioctls carry it (Linux's struct rtc_time:
 * tm_mon 0..11, tm_year since 1900) and its conversion to and from
 * seconds since 1970 (proleptic Gregorian, UTC). Pure functions in
 * src/lib/rtc_lib.c.
 */
#pragma once
#include <ferrite/types.h>

struct rtc_time {
	int tm_sec;
	int tm_min;
	int tm_hour;
	int tm_mday;
	int tm_mon;
	int tm_year;
	int tm_wday;
	int tm_yday;
	int tm_isdst;
};

/* Fill every field of tm (wday, yday too; isdst 0) from secs. */
void rtc_time64_to_tm(int64_t secs, struct rtc_time *tm);
/* Seconds since 1970 of tm's date and time (wday, yday ignored). */
int64_t rtc_tm_to_time64(const struct rtc_time *tm);
/* Linux's rtc_valid_tm: 0 when every field is in range (years from 1970), else -EINVAL. */
int rtc_valid_tm(const struct rtc_time *tm);
