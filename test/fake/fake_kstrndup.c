/*
 * kstrndup for the host tests that link the VFS (fs_vfs_host_sources):
 * the kernel's own is in src/lib/string.c, which host tests do not link
 * (its memcpy and friends would replace the C library's).
 */
#include <string.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>

char *kstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = kmalloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
