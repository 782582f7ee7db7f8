/* Private to src/proc: execve's argument block (exec_args.c) and the
 * loader (exec_elf.c, exec_stack.c) that exec.c calls. */
#pragma once
#include <ferrite/types.h>
#include "proc_internal.h"

#define EXEC_ARGS_MAX (512 * 1024) /* bytes of argv + envp strings */
#define EXEC_ARGC_MAX 65536        /* argv + envp entries */

struct exec_args {
	char *buf;  /* argc argv strings, then envc envp strings, NUL ended */
	size_t len, cap;
	int argc, envc;
	char *path; /* exec_args_from_kernel only */
};

int exec_args_push(struct exec_args *a, const char *s, bool is_env);
struct exec_args *exec_args_from_user(const char __user *const __user *argv,
				      const char __user *const __user *envp);
const char *exec_args_string(const struct exec_args *a, int i);
struct exec_args *exec_args_for_script(const struct exec_args *a, const char *interp,
				       const char *optarg, const char *script);

struct file;
struct mm;

/* Load the ELF program f (its first head_len bytes in head) and, if it
 * names one, its interpreter into a new mm with its initial stack. Return 0
 * with *mm_out (new reference), the first user pc and sp; or -errno. */
int exec_load_elf(struct file *f, const void *head, size_t head_len, const struct exec_args *a,
		  const char *execfn, struct mm **mm_out, uintptr_t *entry_out, uintptr_t *sp_out);

/* What the auxiliary vector tells about the new image (0: absent). */
struct exec_auxv {
	uintptr_t phdr;  /* AT_PHDR: the program's headers in memory */
	unsigned phnum;  /* AT_PHNUM */
	uintptr_t entry; /* AT_ENTRY: the program's entry point */
	uintptr_t base;  /* AT_BASE: the interpreter's load bias */
	uintptr_t vdso;  /* AT_SYSINFO_EHDR */
};

/* Map a stack_size-byte stack below mm->stack_top and lay out argc, argv,
 * envp and the auxiliary vector; *sp_out is the first user sp. */
int exec_build_stack(struct mm *mm, const struct exec_args *a, const char *execfn,
		     const struct exec_auxv *aux, size_t stack_size, uintptr_t *sp_out);
