/*
 * Freestanding string and memory routines. memcpy/memset are the hot ones
 * (fresh frames, COW pages, kernel buffers): rep movs/stos on x86_64,
 * unrolled word loops elsewhere. No locking: pure functions of their arguments.
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
 * Portable (little-endian, 64-bit): bytes until the destination is word
 * aligned, then whole words, sixteen per iteration, and the tail bytes.
 * A source misaligned against the destination is read as aligned words
 * merged by shifts; each of those loads stays inside the aligned word
 * holding a byte that is copied, so it touches no memory the copy does not.
 * The loops are written out by hand; loop distribution is off so the
 * compiler cannot turn them back into calls to memcpy/memset.
 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || __SIZEOF_LONG__ != 8
#error "the portable memcpy/memset assume a little-endian 64-bit target"
#endif
#define WORD sizeof(unsigned long)
#define NO_LOOP_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Copy words from s to d (both aligned). */
static NO_LOOP_CALLS void copy_words(unsigned long *d, const unsigned long *s, size_t words)
{
	const unsigned long *end = s + (words & ~15UL);

	for (; s != end; s += 16, d += 16) {
		unsigned long w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
		unsigned long w4 = s[4], w5 = s[5], w6 = s[6], w7 = s[7];
		d[0] = w0, d[1] = w1, d[2] = w2, d[3] = w3;
		d[4] = w4, d[5] = w5, d[6] = w6, d[7] = w7;
		w0 = s[8], w1 = s[9], w2 = s[10], w3 = s[11];
		w4 = s[12], w5 = s[13], w6 = s[14], w7 = s[15];
		d[8] = w0, d[9] = w1, d[10] = w2, d[11] = w3;
		d[12] = w4, d[13] = w5, d[14] = w6, d[15] = w7;
	}
	for (size_t i = 0; i < (words & 15); i++)
		d[i] = s[i];
}

/* Copy words to d (aligned) from s, which is not word aligned: aligned
 * loads merged by shifts. */
static NO_LOOP_CALLS void copy_words_shifted(unsigned long *d, const char *s, size_t words)
{
	unsigned shr = ((uintptr_t)s & (WORD - 1)) * 8, shl = 64 - shr;
	const unsigned long *sw = (const unsigned long *)((uintptr_t)s & ~(WORD - 1));
	unsigned long lo = *sw++;

	for (; words >= 4; words -= 4, sw += 4, d += 4) {
		unsigned long a = sw[0], b = sw[1], c = sw[2], e = sw[3];
		d[0] = (lo >> shr) | (a << shl);
		d[1] = (a >> shr) | (b << shl);
		d[2] = (b >> shr) | (c << shl);
		d[3] = (c >> shr) | (e << shl);
		lo = e;
	}
	for (; words; words--, sw++, d++) {
		unsigned long hi = *sw;
		*d = (lo >> shr) | (hi << shl);
		lo = hi;
	}
}

void *memcpy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (n >= 2 * WORD) {
		for (; !IS_ALIGNED((uintptr_t)d, WORD); n--)
			*d++ = *s++;
		size_t words = n / WORD;
		if (IS_ALIGNED((uintptr_t)s, WORD))
			copy_words((unsigned long *)d, (const unsigned long *)s, words);
		else
			copy_words_shifted((unsigned long *)d, s, words);
		d += words * WORD;
		s += words * WORD;
		n &= WORD - 1;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

/* Store v into words aligned words at d. */
static NO_LOOP_CALLS void set_words(unsigned long *d, unsigned long v, size_t words)
{
	unsigned long *end = d + (words & ~15UL);

	for (; d != end; d += 16) {
		d[0] = v, d[1] = v, d[2] = v, d[3] = v;
		d[4] = v, d[5] = v, d[6] = v, d[7] = v;
		d[8] = v, d[9] = v, d[10] = v, d[11] = v;
		d[12] = v, d[13] = v, d[14] = v, d[15] = v;
	}
	for (size_t i = 0; i < (words & 15); i++)
		d[i] = v;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	if (n >= 2 * WORD) {
		for (; !IS_ALIGNED((uintptr_t)d, WORD); n--)
			*d++ = (unsigned char)c;
		set_words((unsigned long *)d, (unsigned char)c * 0x0101010101010101UL, n / WORD);
		d += n & ~(WORD - 1);
		n &= WORD - 1;
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
