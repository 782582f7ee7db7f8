/*
 * UMIP (x86_64, docs/reliability.md "Self-protection"): with CR4.UMIP on
 * (protect.c), SGDT, SIDT, SLDT, SMSW and STR in user mode raise #GP, so a
 * program cannot read the kernel's descriptor-table addresses (a KASLR
 * leak). The task gets SIGSEGV (trap.c, as any #GP); Linux instead
 * emulates SGDT, SIDT and SMSW with dummy values for old programs (Wine)
 * and gives SIGSEGV for SLDT and STR; Ferrite emulates none. Here only the
 * report: x86_umip_report() decodes the faulting instruction and says
 * which one and which task, as Linux's "umip:" lines, at most
 * UMIP_BURST reports per UMIP_INTERVAL_NS (a program looping on SGDT must
 * not flood the console). Lock: none: the window's counters are racy on
 * purpose; a lost update prints one report more or fewer.
 */
#include <ferrite/printk.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_protect.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include "x86.h"

#define UMIP_BURST 10
#define UMIP_INTERVAL_NS (5 * 1000000000ULL)
#define INSN_MAX 8 /* prefixes, 0F, opcode, ModRM */

static uint64_t window_start_ns;
static unsigned window_reports;

/* The UMIP instruction at code, or NULL: 0F 01 /0 SGDT and /1 SIDT (memory
 * operand only), 0F 01 /4 SMSW, 0F 00 /0 SLDT and /1 STR. */
static const char *umip_insn(const uint8_t *code, unsigned len)
{
	unsigned i = 0;

	/* Operand-size, address-size, segment, rep and REX prefixes. */
	while (i < len && (code[i] == 0x66 || code[i] == 0x67 || code[i] == 0xf2 ||
			   code[i] == 0xf3 || code[i] == 0x2e || code[i] == 0x36 ||
			   code[i] == 0x3e || code[i] == 0x26 || code[i] == 0x64 ||
			   code[i] == 0x65 || (code[i] & 0xf0) == 0x40))
		i++;
	if (i + 3 > len || code[i] != 0x0f)
		return NULL;
	uint8_t op = code[i + 1], modrm = code[i + 2];
	unsigned reg = (modrm >> 3) & 7, mod = modrm >> 6;
	if (op == 0x01 && mod != 3 && reg == 0)
		return "SGDT";
	if (op == 0x01 && mod != 3 && reg == 1)
		return "SIDT";
	if (op == 0x01 && reg == 4)
		return "SMSW";
	if (op == 0x00 && reg == 0)
		return "SLDT";
	if (op == 0x00 && reg == 1)
		return "STR";
	return NULL;
}

/* A user #GP (interrupts on): if UMIP stopped one of its instructions,
 * report it (rate-limited). The task gets its SIGSEGV from the caller. */
void x86_umip_report(const struct trap_frame *tf)
{
	uint8_t code[INSN_MAX];
	unsigned len = 0;
	struct task *t = current;

	if (!(hal_protections() & HAL_PROTECT_UMIP) || !t || !t->proc)
		return;
	/* Byte by byte: the instruction may end just before an unmapped page. */
	while (len < INSN_MAX &&
	       !copy_from_user(&code[len], (const void __user *)(uintptr_t)(tf->rip + len), 1))
		len++;
	const char *insn = umip_insn(code, len);
	if (!insn)
		return;
	uint64_t now = hal_time_ns();
	if (now - READ_ONCE(window_start_ns) > UMIP_INTERVAL_NS) {
		WRITE_ONCE(window_start_ns, now);
		WRITE_ONCE(window_reports, 0);
	}
	unsigned n = READ_ONCE(window_reports);
	WRITE_ONCE(window_reports, n + 1);
	if (n < UMIP_BURST)
		pr_warn("umip: %s[%d] ip:%lx sp:%lx: %s instruction cannot be used by applications "
			"(SIGSEGV)\n",
			t->proc->comm, t->proc->pid, tf->rip, tf->rsp, insn);
	else if (n == UMIP_BURST)
		pr_warn("umip: further reports suppressed for up to %llu s\n",
			UMIP_INTERVAL_NS / 1000000000ULL);
}
