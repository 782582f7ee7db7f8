/*
 * The user-copy calls for host tests whose "user memory" is ordinary
 * memory (the file-system tests): every copy succeeds as a memcpy.
 * test_pipe has its own, which fault on request.
 */
#include <string.h>
#include <ferrite/errno.h>
#include <ferrite/uaccess.h>

int copy_from_user(void *dst, const void __user *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

int copy_to_user(void __user *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

int clear_user(void __user *dst, size_t n)
{
	memset(dst, 0, n);
	return 0;
}

size_t copy_to_user_upto(void __user *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return n;
}

size_t copy_from_user_upto(void *dst, const void __user *src, size_t n)
{
	memcpy(dst, src, n);
	return n;
}

long strncpy_from_user(char *dst, const char __user *src, size_t max)
{
	size_t n = strnlen(src, max);
	if (n == max)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return (long)n;
}
