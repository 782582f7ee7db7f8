/* CRC-32C (Castagnoli), as ext4 and jbd2 use it. */
#pragma once
#include <ferrite/types.h>

/*
 * Continue a CRC-32C over len bytes from crc. Like Linux's crc32c(): no
 * inversion on the way in or out, so crc32c(~0, ...) is what ext4 stores
 * and the standard check value is ~crc32c(~0, "123456789", 9) = 0xe3069283.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
