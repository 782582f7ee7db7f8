/*
 * Multiboot (1 and 2) information -> struct boot_info: memory map, command
 * line, the first module as the initrd, and the reserved ranges (first MiB,
 * kernel image, modules, the info block itself). Runs once at boot before
 * any allocator exists; nothing to lock. Only RAM inside the boot direct
 * map (DIRECT_MAP_MAX) is reported usable.
 */
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define MB1_BOOTLOADER_MAGIC 0x2badb002
#define MB2_BOOTLOADER_MAGIC 0x36d76289

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __packed;

struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mb1_mmap_entry {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
} __packed;

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_mmap_entry {
	uint64_t base, length;
	uint32_t type, reserved;
};

static void add_reserved(struct boot_info *info, phys_addr_t base, uint64_t size)
{
	if (!size)
		return;
	if (info->nr_reserved == BOOT_MAX_REGIONS) {
		pr_warn("boot: too many reserved regions\n");
		return;
	}
	info->reserved[info->nr_reserved].base = ALIGN_DOWN(base, PAGE_SIZE);
	info->reserved[info->nr_reserved].size =
		ALIGN_UP(base + size, PAGE_SIZE) - ALIGN_DOWN(base, PAGE_SIZE);
	info->nr_reserved++;
}

static void add_usable(struct boot_info *info, uint64_t base, uint64_t len, uint32_t type)
{
	uint64_t end = base + len;

	if (type != 1)
		return;
	if (end > DIRECT_MAP_MAX)
		end = DIRECT_MAP_MAX;
	base = ALIGN_UP(base, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (base >= end)
		return;
	if (info->nr_usable == BOOT_MAX_REGIONS) {
		pr_warn("boot: too many memory regions\n");
		return;
	}
	info->usable[info->nr_usable].base = base;
	info->usable[info->nr_usable].size = end - base;
	info->nr_usable++;
}

static void set_cmdline(struct boot_info *info, phys_addr_t pa)
{
	strlcpy(info->cmdline, phys_to_virt(pa), sizeof(info->cmdline));
}

static void drop_first_word(char *s)
{
	char *p = s;

	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	memmove(s, p, strlen(p) + 1);
}

static void add_module(struct boot_info *info, phys_addr_t start, phys_addr_t end)
{
	if (end <= start)
		return;
	add_reserved(info, start, end - start);
	if (!info->initrd_start) {
		info->initrd_start = start;
		info->initrd_end = end;
	}
}

static void parse_mb1(phys_addr_t mbi, struct boot_info *info)
{
	const struct mb1_info *mb = phys_to_virt(mbi);

	add_reserved(info, mbi, sizeof(*mb));
	if (mb->flags & (1 << 2)) {
		set_cmdline(info, mb->cmdline);
		add_reserved(info, mb->cmdline, strlen(info->cmdline) + 1);
		/* QEMU's -kernel passes "KERNEL-FILE -append-text": drop the name. */
		if ((mb->flags & (1 << 9)) &&
		    !strncmp(phys_to_virt(mb->boot_loader_name), "qemu", 4))
			drop_first_word(info->cmdline);
	}
	if (mb->flags & (1 << 3)) {
		const struct mb1_module *mods = phys_to_virt(mb->mods_addr);
		add_reserved(info, mb->mods_addr, mb->mods_count * sizeof(*mods));
		for (uint32_t i = 0; i < mb->mods_count; i++)
			add_module(info, mods[i].mod_start, mods[i].mod_end);
	}
	if (mb->flags & (1 << 6)) {
		uintptr_t p = (uintptr_t)phys_to_virt(mb->mmap_addr);
		uintptr_t end = p + mb->mmap_length;
		add_reserved(info, mb->mmap_addr, mb->mmap_length);
		while (p < end) {
			const struct mb1_mmap_entry *e = (const void *)p;
			add_usable(info, e->base, e->length, e->type);
			p += e->size + 4;
		}
	} else if (mb->flags & (1 << 0)) {
		add_usable(info, 0x100000, (uint64_t)mb->mem_upper << 10, 1);
	}
}

static void parse_mb2(phys_addr_t mbi, struct boot_info *info)
{
	uint32_t total = *(const uint32_t *)phys_to_virt(mbi);
	uintptr_t p = (uintptr_t)phys_to_virt(mbi) + 8;
	uintptr_t end = (uintptr_t)phys_to_virt(mbi) + total;

	add_reserved(info, mbi, total);
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *tag = (const void *)p;
		if (tag->type == 0)
			break;
		switch (tag->type) {
		case 1: /* command line */
			strlcpy(info->cmdline, (const char *)(tag + 1), sizeof(info->cmdline));
			break;
		case 3: { /* module */
			const uint32_t *m = (const uint32_t *)(tag + 1);
			add_module(info, m[0], m[1]);
			break;
		}
		case 6: { /* memory map */
			const uint32_t *h = (const uint32_t *)(tag + 1);
			uint32_t entry_size = h[0];
			uintptr_t e = p + 16;
			if (entry_size < sizeof(struct mb2_mmap_entry))
				break;
			for (; e + entry_size <= p + tag->size; e += entry_size) {
				const struct mb2_mmap_entry *m = (const void *)e;
				add_usable(info, m->base, m->length, m->type);
			}
			break;
		}
		case 14: /* ACPI 1.0 RSDP */
		case 15: /* ACPI 2.0 RSDP */
			acpi_set_rsdp_hint(tag + 1, tag->size - sizeof(*tag));
			break;
		}
		p += ALIGN_UP(tag->size, 8);
	}
}

void multiboot_parse(uint32_t magic, phys_addr_t mbi, struct boot_info *info)
{
	memset(info, 0, sizeof(*info));
	add_reserved(info, 0, 0x100000); /* real-mode area, BIOS, EBDA */
	add_reserved(info, kimage_to_phys(__kernel_start),
		     (uintptr_t)__kernel_end - (uintptr_t)__kernel_start);

	if (magic == MB1_BOOTLOADER_MAGIC)
		parse_mb1(mbi, info);
	else if (magic == MB2_BOOTLOADER_MAGIC)
		parse_mb2(mbi, info);
	else
		panic("boot: unknown boot loader magic %x", magic);
	if (!info->nr_usable)
		panic("boot: the boot loader gave no memory map");
}
