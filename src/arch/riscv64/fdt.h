/* Minimal flattened device tree reader for boot (private to riscv64). */
#pragma once
#include <ferrite/types.h>

struct boot_info;
struct rv_devices;

/* Return: total size of the blob, or 0 when it is not a valid FDT. */
uint32_t fdt_total_size(const void *blob);
/* Fill info (RAM, reserved ranges, cmdline, initrd) and devs from blob.
 * Return 0 or -EINVAL on a malformed blob. */
int fdt_parse(const void *blob, struct boot_info *info, struct rv_devices *devs);
