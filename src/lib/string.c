/*
 * Freestanding string and memory routines. memcpy/memset are the hot ones
 * (user copies, pipe rings): rep movs/stos on x86_64, unrolled word loops
 * elsewhere. No locking: pure functions of their arguments.
 */
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>

#if defined(__x86_64__) && !defined(FERRITE_HOST)
/*
 * x86_64: rep movsq/stosq for the 8-byte words, rep movsb/stosb for the
 * tail. Unaligned words are fine on x86; DF is clear in the kernel (the
 * entry code does cld, SYSCALL's FMASK clears it).
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n >> 3, tail = n & 7;

	asm volatile("rep movsq\n\t"
		     "movq %[tail], %%rcx\n\t"
		     "rep movsb"
		     : "+D"(d), "+S"(src), "+c"(words)
		     : [tail] "r"(tail)
		     : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t words = n >> 3, tail = n & 7;
	unsigned long v = (unsigned char)c * 0x0101010101010101UL;

	asm volatile("rep stosq\n\t"
		     "movq %[tail], %%rcx\n\t"
		     "rep stosb"
		     : "+D"(d), "+c"(words)
		     : "a"(v), [tail] "r"(tail)
		     : "memory");
	return dst;
}
#else
/*
 * Portable: bytes until the destination is word aligned, then (when the
 * source is aligned the same way) eight words per iteration, single words,
 * and the tail bytes. Mutually misaligned buffers are copied bytewise.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (n >= 2 * sizeof(long) && IS_ALIGNED((uintptr_t)d ^ (uintptr_t)s, sizeof(long))) {
		for (; !IS_ALIGNED((uintptr_t)d, sizeof(long)); n--)
			*d++ = *s++;
		unsigned long *dw = (unsigned long *)d;
		const unsigned long *sw = (const unsigned long *)s;
		for (; n >= 8 * sizeof(long); n -= 8 * sizeof(long), dw += 8, sw += 8) {
			unsigned long a = sw[0], b = sw[1], c = sw[2], e = sw[3];
			unsigned long f = sw[4], g = sw[5], h = sw[6], i = sw[7];
			dw[0] = a, dw[1] = b, dw[2] = c, dw[3] = e;
			dw[4] = f, dw[5] = g, dw[6] = h, dw[7] = i;
		}
		for (; n >= sizeof(long); n -= sizeof(long))
			*dw++ = *sw++;
		d = (char *)dw;
		s = (const char *)sw;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	if (n >= 2 * sizeof(long)) {
		unsigned long v = (unsigned char)c;
		v |= v << 8;
		v |= v << 16;
		v |= v << 32;
		for (; !IS_ALIGNED((uintptr_t)d, sizeof(long)); n--)
			*d++ = (unsigned char)c;
		unsigned long *dw = (unsigned long *)d;
		for (; n >= 8 * sizeof(long); n -= 8 * sizeof(long), dw += 8) {
			dw[0] = v, dw[1] = v, dw[2] = v, dw[3] = v;
			dw[4] = v, dw[5] = v, dw[6] = v, dw[7] = v;
		}
		for (; n >= sizeof(long); n -= sizeof(long))
			*dw++ = v;
		d = (unsigned char *)dw;
	}
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}
#endif

void *memmove(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

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

char *kstrdup(const char *s)
{
	return kstrndup(s, strlen(s));
}
