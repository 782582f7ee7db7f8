/*
 * The initial user stack of a new image, as the ELF ABI and Linux lay it
 * out: argc, argv[], NULL, envp[], NULL, the auxiliary vector, and near the
 * top the strings (arguments and environment, AT_EXECFN, AT_PLATFORM) and
 * AT_RANDOM's 16 bytes. The auxiliary vector is Linux's, in Linux's order.
 * Locking: the mm is private to execve until exec_commit.
 */
#include <ferrite/elf.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/random.h>
#include <ferrite/string.h>
#include <ferrite/vm.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_signal.h>
#include <uapi/time.h>
#include "exec.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ 51
#define AUXV_PAIRS 22 /* room for every entry below, AT_NULL included */

#define ELF_PLATFORM hal_elf_platform

int exec_build_stack(struct mm *mm, const struct exec_args *a, const char *execfn,
		     const struct exec_auxv *aux, size_t stack_size, uintptr_t *sp_out)
{
	uintptr_t top = mm->stack_top;
	size_t fn_len = strlen(execfn) + 1;
	size_t plat_len = ELF_PLATFORM ? strlen(ELF_PLATFORM) + 1 : 0;
	size_t strings = a->len + fn_len + plat_len + 16;
	size_t nptr = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1 + 2 * AUXV_PAIRS;
	size_t gap = mm_layout_stack_offset();
	uintptr_t str_base, sp, p_fn, p_plat, p_rand;
	size_t total;
	long r;

	if (strings + nptr * 8 + gap + 64 > stack_size / 4)
		return -E2BIG;
	/* NOREPLACE: a program image reaching up here fails the exec rather
	 * than losing pages to the stack. */
	r = mm_mmap(mm, top - stack_size, stack_size, PROT_READ | PROT_WRITE,
		    MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (r < 0)
		return r == -EEXIST ? -ENOMEM : (int)r;

	str_base = ALIGN_DOWN(top - strings, 16);
	sp = ALIGN_DOWN(str_base - gap - nptr * 8, 16);
	total = top - sp;
	__free(kfree) char *img_buf = kzalloc(total);
	if (!img_buf)
		return -ENOMEM;

	/* Strings: argv/envp block, execfn, platform, random bytes. */
	char *s = img_buf + (str_base - sp);
	memcpy(s, a->buf, a->len);
	p_fn = str_base + a->len;
	memcpy(s + a->len, execfn, fn_len);
	p_plat = p_fn + fn_len;
	if (plat_len)
		memcpy(s + a->len + fn_len, ELF_PLATFORM, plat_len);
	p_rand = p_plat + plat_len;
	random_bytes(s + a->len + fn_len + plat_len, 16);

	uint64_t *w = (uint64_t *)img_buf;
	uintptr_t str = str_base;
	*w++ = (uint64_t)a->argc;
	for (int i = 0; i < a->argc + a->envc; i++) {
		if (i == a->argc)
			*w++ = 0;
		*w++ = str;
		str += strlen(img_buf + (str - sp)) + 1;
	}
	if (a->envc == 0)
		*w++ = 0;
	*w++ = 0;
#define AUX(k, v) (*w++ = (k), *w++ = (uint64_t)(v))
	struct process *p = current->proc;
	/* Linux's order: ARCH_DLINFO first, then create_elf_tables'. */
	if (aux->vdso)
		AUX(AT_SYSINFO_EHDR, aux->vdso);
	AUX(AT_MINSIGSTKSZ, hal_signal_min_stack());
	AUX(AT_HWCAP, hal_elf_hwcap());
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_CLKTCK, USER_HZ);
	AUX(AT_PHDR, aux->phdr);
	AUX(AT_PHENT, sizeof(struct elf64_phdr));
	AUX(AT_PHNUM, aux->phnum);
	AUX(AT_BASE, aux->base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, aux->entry);
	AUX(AT_UID, p->uid);
	AUX(AT_EUID, p->euid);
	AUX(AT_GID, p->gid);
	AUX(AT_EGID, p->egid);
	AUX(AT_SECURE, 0); /* no set-id programs yet */
	AUX(AT_RANDOM, p_rand);
	AUX(AT_EXECFN, p_fn);
	if (plat_len)
		AUX(AT_PLATFORM, p_plat);
	AUX(AT_NULL, 0);
#undef AUX
	kassert((uintptr_t)((char *)w - img_buf) <= str_base - gap - sp);

	if (mm_copy_out(mm, sp, img_buf, total))
		return -EFAULT;
	mm->arg_start = str_base;
	mm->arg_end = str_base + (uintptr_t)(exec_args_string(a, a->argc) - a->buf);
	*sp_out = sp;
	return 0;
}
