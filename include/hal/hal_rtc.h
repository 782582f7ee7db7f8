/*
 * HAL: the battery-backed real-time clock, in UTC: the CMOS RTC on x86_64
 * (src/arch/x86_64/rtc.c), the goldfish RTC of the FDT on riscv64
 * (src/arch/riscv64/rtc.c). Callers may sleep; the arch serialises access.
 */
#pragma once
#include <ferrite/rtc.h>

/* Read the clock into tm (every field). 0, or -ENODEV without an RTC. */
int hal_rtc_read(struct rtc_time *tm);
/* Set the clock (tm already valid by rtc_valid_tm). 0, -ENODEV, or
 * -EINVAL when the hardware cannot hold that date. */
int hal_rtc_set(const struct rtc_time *tm);
