/*
 * Buffer descriptors: one read/write path for user and kernel memory, so
 * kernel_read() and read(2) share the file system code. No locks.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>

int iobuf_copy_to(const struct iobuf *b, size_t at, const void *src, size_t n)
{
	if (at > b->len || n > b->len - at)
		return -EFAULT;
	if (b->user)
		return copy_to_user(b->ptr + at, src, n) ? -EFAULT : 0;
	memcpy(b->ptr + at, src, n);
	return 0;
}

int iobuf_copy_from(void *dst, const struct iobuf *b, size_t at, size_t n)
{
	if (at > b->len || n > b->len - at)
		return -EFAULT;
	if (b->user)
		return copy_from_user(dst, b->ptr + at, n) ? -EFAULT : 0;
	memcpy(dst, b->ptr + at, n);
	return 0;
}

int iobuf_zero(const struct iobuf *b, size_t at, size_t n)
{
	if (at > b->len || n > b->len - at)
		return -EFAULT;
	if (b->user)
		return clear_user(b->ptr + at, n) ? -EFAULT : 0;
	memset(b->ptr + at, 0, n);
	return 0;
}

size_t iobuf_copy_to_upto(const struct iobuf *b, size_t at, const void *src, size_t n)
{
	if (at > b->len || n > b->len - at)
		return 0;
	if (b->user)
		return copy_to_user_upto(b->ptr + at, src, n);
	memcpy(b->ptr + at, src, n);
	return n;
}

size_t iobuf_copy_from_upto(void *dst, const struct iobuf *b, size_t at, size_t n)
{
	if (at > b->len || n > b->len - at)
		return 0;
	if (b->user)
		return copy_from_user_upto(dst, b->ptr + at, n);
	memcpy(dst, b->ptr + at, n);
	return n;
}
