/*
 * The kernel log: every console message is also kept in a 64 KiB ring
 * (Linux's log_buf), read back by syslog(2)/klogctl (busybox dmesg).
 * Records are stored as syslog(2) returns them: "<level>[seconds.micros] text\n".
 */
#pragma once
#include <ferrite/types.h>

#define KLOG_BUF_LEN (64 * 1024)
#define KLOG_DEFAULT_LEVEL 4 /* a message without a level (Linux: KERN_WARNING) */

/* Append text (a message or part of a line) of level. Any context. */
void klog_store(int level, const char *s, size_t n);
/* True when a message of level goes to the console (level < console level). */
bool klog_console_wants(int level);
/* panic: every later message reaches the console and skips the ring
 * (whose lock the panicking CPU may hold). */
void klog_console_verbose(void);

/* Readers (src/fs/sys_syslog.c). Each copies into dst (kernel memory). */
/* The newest whole records that fit in cap, from the last clear on;
 * clear: then clear. Return the bytes copied. */
size_t klog_read_all(char *dst, size_t cap, bool clear);
/* Consume up to cap unread bytes (SYSLOG_ACTION_READ). */
size_t klog_read(char *dst, size_t cap);
size_t klog_unread(void);
void klog_clear(void);
/* SYSLOG_ACTION_CONSOLE_LEVEL (1..8), _OFF and _ON. */
void klog_console_level(int level);
void klog_console_off(void);
void klog_console_on(void);
