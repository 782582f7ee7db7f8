/*
 * init for the large-initramfs boot test (scripts/mkbigrd.py): read every
 * file listed in /bigrd/MANIFEST ("crc32 size path" lines) and compare its
 * size and CRC-32; print BIGRD_OK or BIGRD_FAIL, then power off.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

static uint32_t crc_table[256];

static uint32_t crc32_update(uint32_t c, const unsigned char *p, size_t n)
{
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

static int check_file(const char *path, unsigned long want_crc, long long want_size)
{
	static unsigned char buf[65536];
	uint32_t c = 0xffffffffu;
	long long size = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("bigrd: %s: cannot open\n", path);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		c = crc32_update(c, buf, (size_t)n);
		size += n;
	}
	close(fd);
	c ^= 0xffffffffu;
	if (n < 0 || size != want_size || c != want_crc) {
		printf("bigrd: %s: size %lld crc %08x, want %lld %08lx\n", path, size, c, want_size,
		       want_crc);
		return -1;
	}
	return 0;
}

int main(void)
{
	char path[4096];
	unsigned long crc;
	long long size, bytes = 0;
	int files = 0, bad = 0;
	FILE *m;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t v = i;
		for (int k = 0; k < 8; k++)
			v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
		crc_table[i] = v;
	}
	m = fopen("/bigrd/MANIFEST", "r");
	if (!m) {
		printf("bigrd: no manifest\n");
		bad++;
	}
	while (m && fscanf(m, "%lx %lld %4095s", &crc, &size, path) == 3) {
		files++;
		bytes += size;
		if (check_file(path, crc, size))
			bad++;
	}
	if (files < 10)
		bad++;
	printf("bigrd: %d files, %lld bytes checked, %d bad\n", files, bytes, bad);
	printf(bad ? "BIGRD_FAIL\n" : "BIGRD_OK\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
