/*
 * Just enough ACPI to power off and reboot: find the RSDP (multiboot2 copy,
 * else the EBDA / BIOS area scan), the FADT through the RSDT/XSDT, and the
 * S5 sleep type from the DSDT's \_S5_ package. No AML interpreter: \_S5_
 * is a plain package on QEMU's q35 and pc. Read-only after boot; the
 * power-off path runs on one CPU with interrupts off.
 */
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "x86.h"

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __packed;

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __packed;

/* FADT field offsets (ACPI spec, table 5.x "FADT format"). */
#define ACPI_DEBUG 0

#define FADT_DSDT 40
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_RESET_REG_SUP (1u << 10)

static struct rsdp rsdp_copy;
static bool have_rsdp;

void acpi_set_rsdp_hint(const void *rsdp, size_t len)
{
	memcpy(&rsdp_copy, rsdp, MIN(len, sizeof(rsdp_copy)));
	have_rsdp = true;
}

static bool checksum_ok(const void *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

static const struct rsdp *scan_rsdp(phys_addr_t start, size_t len)
{
	for (size_t off = 0; off + sizeof(struct rsdp) <= len; off += 16) {
		const struct rsdp *r = phys_to_virt(start + off);
		if (!memcmp(r->signature, "RSD PTR ", 8) && checksum_ok(r, 20))
			return r;
	}
	return NULL;
}

static const struct rsdp *find_rsdp(void)
{
	const struct rsdp *r;
	phys_addr_t ebda = (phys_addr_t)(*(const uint16_t *)phys_to_virt(0x40e)) << 4;

	if (have_rsdp)
		return &rsdp_copy;
	if (ebda && (r = scan_rsdp(ebda, 1024)))
		return r;
	return scan_rsdp(0xe0000, 0x20000);
}

static const struct sdt_header *table_at(phys_addr_t pa)
{
	/* Tables must sit inside the direct map. */
	if (!pa || pa >= DIRECT_MAP_SIZE)
		return NULL;
	return phys_to_virt(pa);
}

static const struct sdt_header *find_table(const char sig[4]);
static const struct sdt_header *find_table(const char sig[4])
{
	return acpi_find_table(sig);
}

const void *acpi_find_table(const char sig[4])
{
	const struct rsdp *r = find_rsdp();
	const struct sdt_header *root;
	size_t entry_size;

	if (!r)
		return NULL;
	if (r->revision >= 2 && r->xsdt) {
		root = table_at(r->xsdt);
		entry_size = 8;
	} else {
		root = table_at(r->rsdt);
		entry_size = 4;
	}
	if (!root)
		return NULL;
	size_t n = (root->length - sizeof(*root)) / entry_size;
	const uint8_t *entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, entries + i * entry_size, entry_size);
		const struct sdt_header *t = table_at(pa);
		if (t && !memcmp(t->signature, sig, 4))
			return t;
	}
	return NULL;
}

static uint32_t field32(const struct sdt_header *t, unsigned off)
{
	uint32_t v = 0;
	if (off + 4 <= t->length)
		memcpy(&v, (const uint8_t *)t + off, 4);
	return v;
}

/* Decode one AML integer: ZeroOp, OneOp, BytePrefix n. -1 when unknown. */
static int aml_small_int(const uint8_t **p)
{
	uint8_t op = *(*p)++;
	if (op == 0x00 || op == 0x01)
		return op;
	if (op == 0x0a)
		return *(*p)++;
	return -1;
}

/* Find "_S5_" then: PackageOp, PkgLength, NumElements, SLP_TYPa, ... */
static int s5_sleep_type(const struct sdt_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)dsdt + sizeof(*dsdt);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		p += 5;
		p += ((*p >> 6) & 3) + 1; /* PkgLength */
		p++;                      /* NumElements */
		return aml_small_int(&p);
	}
	return -1;
}

static void acpi_poweroff(void)
{
	const struct sdt_header *fadt = find_table("FACP");
	pr_debug_if(ACPI_DEBUG, "acpi: RSDP %p FADT %p\n", find_rsdp(), fadt);
	if (!fadt)
		return;
	uint64_t dsdt_pa = field32(fadt, FADT_DSDT);
	if (fadt->length >= FADT_X_DSDT + 8) {
		uint64_t x = 0;
		memcpy(&x, (const uint8_t *)fadt + FADT_X_DSDT, 8);
		if (x)
			dsdt_pa = x;
	}
	const struct sdt_header *dsdt = table_at(dsdt_pa);
	if (!dsdt)
		return;
	int slp_typ = s5_sleep_type(dsdt);
	uint16_t pm1a = field32(fadt, FADT_PM1A_CNT);
	uint16_t pm1b = field32(fadt, FADT_PM1B_CNT);
	pr_debug_if(ACPI_DEBUG, "acpi: FADT %p DSDT %lx S5 %d PM1a %x PM1b %x\n", fadt,
		    (unsigned long)dsdt_pa, slp_typ, pm1a, pm1b);
	if (slp_typ < 0 || !pm1a)
		return;

	/* Make sure ACPI mode is on (SCI_EN), as firmware may leave it off. */
	uint32_t smi_cmd = field32(fadt, FADT_SMI_CMD);
	uint8_t enable = field32(fadt, FADT_ACPI_ENABLE) & 0xff;
	if (!(inw(pm1a) & 1) && smi_cmd && enable) {
		outb(smi_cmd, enable);
		for (int i = 0; i < 1000000 && !(inw(pm1a) & 1); i++)
			__asm__ volatile("pause");
	}
	pr_debug_if(ACPI_DEBUG, "acpi: pm1a_cnt %x smi %x en %x\n", inw(pm1a), smi_cmd, enable);
	outw(pm1a, (uint16_t)((slp_typ << 10) | (1 << 13)));
	if (pm1b)
		outw(pm1b, (uint16_t)((slp_typ << 10) | (1 << 13)));
	/* QEMU acts on the request asynchronously: give it a moment. */
	uint64_t t0 = hal_time_ns();
	while (hal_time_ns() - t0 < 200000000ULL)
		__asm__ volatile("pause");
}

void hal_poweroff(void)
{
	hal_irq_disable();
	acpi_poweroff();
	/* QEMU's isa-debug-exit (tests), when present. */
	outw(0xf4, 0x00);
	pr_err("poweroff failed; halting\n");
	hal_halt();
}

/* QEMU acts on a reset request asynchronously: give it a moment before
 * trying the next way. */
static void reset_settle(void)
{
	uint64_t t0 = hal_time_ns();
	while (hal_time_ns() - t0 < 50000000ULL)
		__asm__ volatile("pause");
}

/* Reset the machine: the ACPI reset register when the FADT has one, the
 * chipset's reset control register 0xCF9 (PIIX/ICH: hard reset), the
 * keyboard controller's reset line, and at last a triple fault. */
void hal_reboot(void)
{
	hal_irq_disable();
	const struct sdt_header *fadt = find_table("FACP");
	if (fadt && fadt->length >= FADT_RESET_VALUE + 1 &&
	    (field32(fadt, FADT_FLAGS) & FADT_RESET_REG_SUP)) {
		const uint8_t *reg = (const uint8_t *)fadt + FADT_RESET_REG;
		uint8_t value = ((const uint8_t *)fadt)[FADT_RESET_VALUE];
		uint64_t addr;
		memcpy(&addr, reg + 4, 8);
		if (reg[0] == 1) { /* system I/O space */
			outb(addr, value);
			reset_settle();
		}
	}
	outb(0xcf9, 0x02); /* SYS_RST, then SYS_RST | RST_CPU starts it */
	outb(0xcf9, 0x06);
	reset_settle();
	/* Keyboard controller: pulse the reset line. */
	for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);
	reset_settle();
	/* Triple fault: an empty IDT and an exception. */
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed empty = { 0, 0 };
	__asm__ volatile("lidt %0; int3" ::"m"(empty));
	hal_halt();
}
