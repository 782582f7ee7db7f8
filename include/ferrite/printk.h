/* Kernel console output, assertions and panic. */
#pragma once
#include <ferrite/types.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Write raw bytes to the console (\n becomes \r\n), without a lock. */
void console_write_raw(const char *s, size_t n);

void panic(const char *fmt, ...) __noreturn __attribute__((format(printf, 1, 2)));
/* Seconds from a panic to the reboot; 0 halts, < 0 reboots at once
 * (panic= on the command line, /proc/sys/kernel/panic). */
extern int panic_timeout;

/* Message levels as Linux's: SOH and a digit before the text. kprintf
 * strips them; the kernel log (ferrite/klog.h) keeps them, and the console
 * shows a message only when its level is below the console level. A
 * message without one has KLOG_DEFAULT_LEVEL. */
#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"

#define pr_info(fmt, ...) kprintf(KERN_INFO "[ferrite] " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) kprintf(KERN_WARNING "[ferrite] warning: " fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) kprintf(KERN_ERR "[ferrite] error: " fmt, ##__VA_ARGS__)
/* Per-subsystem debug output: pr_debug_if(PIPE_DEBUG, "...") */
#define pr_debug_if(flag, fmt, ...)                                  \
	do {                                                         \
		if (flag)                                            \
			kprintf("[debug] " fmt, ##__VA_ARGS__);      \
	} while (0)

#define BUG_ON(cond)                                                               \
	do {                                                                       \
		if (unlikely(cond))                                                \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);   \
	} while (0)
#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)
#define WARN_ON(cond)                                                              \
	({                                                                         \
		bool __w = !!(cond);                                               \
		if (unlikely(__w))                                                 \
			pr_warn("WARN_ON(%s) at %s:%d\n", #cond, __FILE__, __LINE__); \
		__w;                                                               \
	})
#define kassert(cond) BUG_ON(!(cond))
