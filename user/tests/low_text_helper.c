/*
 * Helper of low_addr: linked with its first segment at 0x1000
 * (-Wl,-Ttext-segment=0x1000, user/tests/meson.build), the address small
 * static programs of bare-metal toolchains use. Exits 42 when its code,
 * data and stack work there.
 */
#include <stdint.h>
#include <stdio.h>

static int counter = 40;

int main(void)
{
	uintptr_t text = (uintptr_t)&main, data = (uintptr_t)&counter;

	if (text >= 0x10000 || data >= 0x10000 + 0x200000) {
		printf("low_text_helper: main at %#lx, data at %#lx: not linked low\n",
		       (unsigned long)text, (unsigned long)data);
		return 1;
	}
	counter += 2;
	return counter;
}
