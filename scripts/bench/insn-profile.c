/*
 * insn-profile: a QEMU TCG plugin that counts executed guest instructions
 * per translation block and writes "vaddr insns-per-exec executions" lines
 * at exit (scripts/bench/profile.sh turns them into per-symbol counts).
 *
 *   qemu-system-... -plugin insn-profile.so,out=FILE
 *
 * Debian ships QEMU's plugin loader but not its header, so the few entry
 * points used here are declared below from the documented plugin API
 * (API version 1, QEMU 7.2; later QEMUs accept version-1 plugins too).
 * Counting is an inline add per executed block: no helper call, so the
 * run stays fast. Single vCPU (-smp 1), as the benchmarks run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
struct qemu_info;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *),
				    void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

PLUGIN_EXPORT int qemu_plugin_version = 1;

/* Open-addressed table keyed by (vaddr, length): a block retranslated at
 * the same address with the same length shares its counter. */
struct block {
	uint64_t vaddr;
	uint64_t insns; /* 0: free slot */
	uint64_t execs;
};

#define TABLE_BITS 21
#define TABLE_SIZE (1u << TABLE_BITS)

static struct block *table;
static char out_path[4096] = "insn-profile.txt";

static struct block *lookup(uint64_t vaddr, uint64_t insns)
{
	uint64_t h = (vaddr ^ (insns << 48)) * 0x9e3779b97f4a7c15ull;

	for (uint32_t i = (uint32_t)(h >> (64 - TABLE_BITS));; i = (i + 1) & (TABLE_SIZE - 1)) {
		struct block *b = &table[i];
		if (!b->insns) {
			b->vaddr = vaddr;
			b->insns = insns;
			return b;
		}
		if (b->vaddr == vaddr && b->insns == insns)
			return b;
	}
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	struct block *b = lookup(qemu_plugin_tb_vaddr(tb), qemu_plugin_tb_n_insns(tb));

	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
}

static void write_profile(qemu_plugin_id_t id, void *unused)
{
	(void)id;
	(void)unused;
	FILE *f = fopen(out_path, "w");

	if (!f) {
		perror(out_path);
		return;
	}
	for (uint32_t i = 0; i < TABLE_SIZE; i++)
		if (table[i].insns && table[i].execs)
			fprintf(f, "%llx %llu %llu\n", (unsigned long long)table[i].vaddr,
				(unsigned long long)table[i].insns,
				(unsigned long long)table[i].execs);
	fclose(f);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info *info, int argc,
				      char **argv);
PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info *info, int argc,
				      char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
		} else {
			fprintf(stderr, "insn-profile: unknown argument %s (use out=FILE)\n", argv[i]);
			return -1;
		}
	}
	table = calloc(TABLE_SIZE, sizeof(*table));
	if (!table)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, write_profile, NULL);
	return 0;
}
