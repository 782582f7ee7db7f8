/*
 * Reads the flattened device tree the firmware hands over: memory nodes,
 * /chosen (bootargs, initrd), /reserved-memory and the memory reservation
 * block, the harts under /cpus, the UART, PLIC, goldfish RTC, virtio-mmio slots and the timebase. Each node's
 * properties are collected and acted on at its end, because property order
 * is not fixed. Runs once at boot; no locking.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <hal/hal_boot.h>
#include "fdt.h"
#include "riscv.h"

#define FDT_MAGIC 0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define MAX_DEPTH 16

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap;
	uint32_t version, last_comp_version, boot_cpuid_phys, size_dt_strings;
	uint32_t size_dt_struct;
};

static inline uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t read_cells(const uint8_t *p, unsigned cells)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < cells; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

uint32_t fdt_total_size(const void *blob)
{
	const struct fdt_header *h = blob;
	if (be32(&h->magic) != FDT_MAGIC)
		return 0;
	return be32(&h->totalsize);
}

/* The properties of one node that boot cares about. */
struct node {
	const char *name;
	const uint8_t *reg;
	uint32_t reg_len;
	const uint8_t *compat;
	uint32_t compat_len;
	bool is_memory;
	uint32_t irq;
	uint32_t reg_shift;
	bool disabled; /* status = "disabled" (or anything but "okay") */
	unsigned addr_cells, size_cells; /* for this node's children */
};

static bool compat_has(const struct node *n, const char *want)
{
	const char *s = (const char *)n->compat, *end = s + n->compat_len;
	while (s && s < end) {
		if (!strcmp(s, want))
			return true;
		s += strnlen(s, end - s) + 1;
	}
	return false;
}

static void add_region(struct mem_region *arr, int *nr, uint64_t base, uint64_t size)
{
	if (size && *nr < BOOT_MAX_REGIONS)
		arr[(*nr)++] = (struct mem_region){ base, size };
}

/* Act on a finished node. parent gives the cell sizes of its reg. */
static void node_done(const struct node *n, const struct node *parent, int depth,
		      bool in_reserved, struct boot_info *info, struct rv_devices *devs)
{
	unsigned ac = parent->addr_cells, sc = parent->size_cells;
	unsigned entry = 4 * (ac + sc);
	uint64_t base = 0;

	if (n->reg && entry && n->reg_len >= entry)
		base = read_cells(n->reg, ac);
	if (n->is_memory && depth == 1 && entry) {
		for (uint32_t off = 0; off + entry <= n->reg_len; off += entry)
			add_region(info->usable, &info->nr_usable, read_cells(n->reg + off, ac),
				   read_cells(n->reg + off + 4 * ac, sc));
		return;
	}
	if (in_reserved && depth == 2 && entry) {
		for (uint32_t off = 0; off + entry <= n->reg_len; off += entry)
			add_region(info->reserved, &info->nr_reserved, read_cells(n->reg + off, ac),
				   read_cells(n->reg + off + 4 * ac, sc));
		return;
	}
	/* A hart: its id is its reg (not assumed contiguous or 0-based). */
	if (depth == 2 && !strcmp(parent->name, "cpus") && !strncmp(n->name, "cpu@", 4) &&
	    n->reg && !n->disabled && devs->nr_harts < RV_MAX_HARTS) {
		devs->harts[devs->nr_harts++] = (unsigned long)base;
		return;
	}
	if (!n->compat || !n->reg)
		return;
	if (!devs->uart_base && compat_has(n, "ns16550a")) {
		devs->uart_base = base;
		devs->uart_irq = n->irq;
		devs->uart_reg_shift = n->reg_shift;
	} else if (!devs->plic_base &&
		   (compat_has(n, "riscv,plic0") || compat_has(n, "sifive,plic-1.0.0"))) {
		devs->plic_base = base;
	} else if (!devs->rtc_base && compat_has(n, "google,goldfish-rtc")) {
		devs->rtc_base = base;
	} else if (compat_has(n, "virtio,mmio") && devs->nr_virtio < RV_MAX_VIRTIO && entry) {
		devs->virtio[devs->nr_virtio++] = (struct rv_virtio_slot){
			base, read_cells(n->reg + 4 * ac, sc), n->irq };
	}
}

static void chosen_prop(const char *pname, const uint8_t *val, uint32_t len,
			struct boot_info *info)
{
	if (!strcmp(pname, "bootargs")) {
		size_t n = MIN((size_t)len, sizeof(info->cmdline) - 1);
		memcpy(info->cmdline, val, n);
		info->cmdline[n] = '\0';
	} else if (!strcmp(pname, "linux,initrd-start") && (len == 4 || len == 8)) {
		info->initrd_start = read_cells(val, len / 4);
	} else if (!strcmp(pname, "linux,initrd-end") && (len == 4 || len == 8)) {
		info->initrd_end = read_cells(val, len / 4);
	}
}

int fdt_parse(const void *blob, struct boot_info *info, struct rv_devices *devs)
{
	const struct fdt_header *h = blob;
	uint32_t total = fdt_total_size(blob);

	if (!total)
		return -EINVAL;
	const uint8_t *base = blob;
	const uint8_t *p = base + be32(&h->off_dt_struct);
	const uint8_t *end = p + be32(&h->size_dt_struct);
	const char *strings = (const char *)base + be32(&h->off_dt_strings);

	/* The memory reservation block: (address, size) pairs ending in 0, 0. */
	for (const uint8_t *r = base + be32(&h->off_mem_rsvmap); r + 16 <= base + total; r += 16) {
		uint64_t a = read_cells(r, 2), s = read_cells(r + 8, 2);
		if (!a && !s)
			break;
		add_region(info->reserved, &info->nr_reserved, a, s);
	}

	struct node stack[MAX_DEPTH];
	int depth = -1;
	int reserved_depth = -1; /* depth of /reserved-memory while inside it */

	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			p += ALIGN_UP(strnlen(name, end - p) + 1, 4);
			if (++depth >= MAX_DEPTH)
				return -EINVAL;
			stack[depth] = (struct node){ .name = name, .addr_cells = 2, .size_cells = 1 };
			if (depth == 1 && !strncmp(name, "memory", 6) && (name[6] == '@' || !name[6]))
				stack[depth].is_memory = true;
			if (depth == 1 && !strcmp(name, "reserved-memory"))
				reserved_depth = depth;
		} else if (tok == FDT_END_NODE) {
			if (depth < 0)
				return -EINVAL;
			if (depth > 0)
				node_done(&stack[depth], &stack[depth - 1], depth,
					  reserved_depth >= 0 && depth > reserved_depth, info, devs);
			if (depth == reserved_depth)
				reserved_depth = -1;
			depth--;
		} else if (tok == FDT_PROP) {
			if (p + 8 > end || depth < 0)
				return -EINVAL;
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *val = p + 8;
			p = val + ALIGN_UP(len, 4);
			if (p > end)
				return -EINVAL;
			const char *pname = strings + nameoff;
			struct node *n = &stack[depth];
			if (!strcmp(pname, "#address-cells") && len == 4)
				n->addr_cells = be32(val);
			else if (!strcmp(pname, "#size-cells") && len == 4)
				n->size_cells = be32(val);
			else if (!strcmp(pname, "reg"))
				n->reg = val, n->reg_len = len;
			else if (!strcmp(pname, "compatible"))
				n->compat = val, n->compat_len = len;
			else if (!strcmp(pname, "device_type") && !strcmp((const char *)val, "memory"))
				n->is_memory = true;
			else if (!strcmp(pname, "interrupts") && len >= 4)
				n->irq = be32(val);
			else if (!strcmp(pname, "status"))
				n->disabled = strcmp((const char *)val, "okay") && strcmp((const char *)val, "ok");
			else if (!strcmp(pname, "reg-shift") && len == 4)
				n->reg_shift = be32(val);
			else if (depth == 1 && !strcmp(n->name, "cpus") &&
				 !strcmp(pname, "timebase-frequency") && (len == 4 || len == 8))
				devs->timebase_hz = read_cells(val, len / 4);
			else if (depth == 2 && !strcmp(stack[1].name, "cpus") &&
				 !strncmp(n->name, "cpu@", 4) &&
				 (!strcmp(pname, "riscv,isa") ||
				  !strcmp(pname, "riscv,isa-extensions")))
				rv_isa_note((const char *)val, len, pname[9] == '-');
			else if (depth == 1 && !strcmp(n->name, "chosen"))
				chosen_prop(pname, val, len, info);
		} else if (tok == FDT_NOP) {
			continue;
		} else if (tok == FDT_END) {
			break;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}
