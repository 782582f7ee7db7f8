/*
 * Host tests for the kernel log ring (src/lib/klog.c): records carry the
 * syslog prefix, a full ring drops whole records from its head, READ_ALL
 * returns the newest whole records that fit, READ consumes, CLEAR hides
 * what came before; and kprintf's level prefixes reach it. The ring is a
 * single global, so the tests run in order and account for what earlier
 * ones left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/errno.h>
#include <ferrite/klog.h>
#include <ferrite/printk.h>
#include <ferrite/rtc.h>
#include "fake/fake.h"

static char buf[2 * KLOG_BUF_LEN];

/* Every record is "<d>[sssss.uuuuuu] ...\n". */
static void assert_records(const char *b, size_t n)
{
	size_t i = 0;

	assert_true(n > 0);
	assert_int_equal(b[n - 1], '\n');
	while (i < n) {
		assert_int_equal(b[i], '<');
		assert_true(b[i + 1] >= '0' && b[i + 1] <= '7');
		assert_int_equal(b[i + 2], '>');
		assert_int_equal(b[i + 3], '[');
		const char *nl = memchr(b + i, '\n', n - i);
		assert_non_null(nl);
		i = (size_t)(nl - b) + 1;
	}
}

static void test_levels(void **state)
{
	(void)state;
	klog_clear();
	kprintf(KERN_ERR "bad %d\n", 1);
	kprintf("plain ");
	kprintf("continued\n");
	size_t n = klog_read_all(buf, sizeof(buf), false);
	buf[n] = 0;
	assert_records(buf, n);
	assert_non_null(strstr(buf, "<3>["));
	assert_non_null(strstr(buf, "] bad 1\n"));
	assert_non_null(strstr(buf, "<4>["));
	assert_non_null(strstr(buf, "] plain continued\n")); /* one record */
	assert_null(strchr(buf, '\001'));
}

static void test_wrap_keeps_whole_records(void **state)
{
	char line[100];

	(void)state;
	klog_clear();
	for (int i = 0; i < 5000; i++) { /* about 5 times the ring */
		int n = snprintf(line, sizeof(line), "record %05d xxxxxxxxxxxxxxxxxxxxxxxxxx\n", i);
		klog_store(6, line, (size_t)n);
	}
	size_t n = klog_read_all(buf, sizeof(buf), false);
	assert_true(n <= KLOG_BUF_LEN);
	assert_true(n > KLOG_BUF_LEN - 200);
	assert_records(buf, n);
	buf[n] = 0;
	assert_non_null(strstr(buf, "record 04999"));
	assert_null(strstr(buf, "record 00000"));
	/* A short buffer gets the newest whole records only. */
	size_t m = klog_read_all(buf, 200, false);
	assert_true(m > 0 && m <= 200);
	assert_records(buf, m);
	buf[m] = 0;
	assert_non_null(strstr(buf, "record 04999"));
	/* Not even one record fits: nothing. */
	assert_int_equal(klog_read_all(buf, 10, false), 0);
}

static void test_read_consumes_and_clear(void **state)
{
	(void)state;
	size_t unread = klog_unread();
	assert_true(unread > 0 && unread <= KLOG_BUF_LEN);
	assert_int_equal(klog_read(buf, 5), 5);
	assert_int_equal(klog_unread(), unread - 5);
	assert_int_equal(klog_read(buf, sizeof(buf)), unread - 5);
	assert_int_equal(klog_unread(), 0);
	klog_store(6, "after\n", 6);
	assert_true(klog_unread() > 6); /* with its prefix */
	assert_true(klog_read_all(buf, sizeof(buf), true) > 0); /* READ_CLEAR */
	assert_int_equal(klog_read_all(buf, sizeof(buf), false), 0);
	klog_store(6, "new\n", 4);
	size_t n = klog_read_all(buf, sizeof(buf), false);
	buf[n] = 0;
	assert_records(buf, n);
	assert_non_null(strstr(buf, "] new\n"));
	assert_null(strstr(buf, "after"));
}

static void test_console_level(void **state)
{
	(void)state;
	assert_true(klog_console_wants(6));
	assert_false(klog_console_wants(7));
	klog_console_level(1);
	assert_false(klog_console_wants(1));
	assert_true(klog_console_wants(0));
	klog_console_level(8);
	klog_console_off();
	assert_false(klog_console_wants(6));
	klog_console_on();
	assert_true(klog_console_wants(7));
	klog_console_level(7);
}

static void test_rtc_calendar(void **state)
{
	struct rtc_time tm;

	(void)state;
	rtc_time64_to_tm(0, &tm);
	assert_int_equal(tm.tm_year, 70);
	assert_int_equal(tm.tm_mon, 0);
	assert_int_equal(tm.tm_mday, 1);
	assert_int_equal(tm.tm_wday, 4); /* Thursday */
	rtc_time64_to_tm(951782400, &tm); /* 2000-02-29 00:00:00 */
	assert_int_equal(tm.tm_year, 100);
	assert_int_equal(tm.tm_mon, 1);
	assert_int_equal(tm.tm_mday, 29);
	assert_int_equal(tm.tm_yday, 59);
	assert_int_equal(tm.tm_wday, 2);
	for (int64_t t = 0; t < 5000000000LL; t += 86400 * 37 + 3671) {
		rtc_time64_to_tm(t, &tm);
		assert_int_equal(rtc_valid_tm(&tm), 0);
		assert_int_equal(rtc_tm_to_time64(&tm), t);
	}
	tm.tm_mon = 1, tm.tm_mday = 29, tm.tm_year = 101; /* 2001 is no leap year */
	assert_int_equal(rtc_valid_tm(&tm), -EINVAL);
	tm.tm_year = 69;
	assert_int_equal(rtc_valid_tm(&tm), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_wrap_keeps_whole_records),
		cmocka_unit_test(test_read_consumes_and_clear),
		cmocka_unit_test(test_console_level),
		cmocka_unit_test(test_rtc_calendar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
