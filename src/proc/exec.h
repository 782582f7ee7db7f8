/* Private to src/proc: execve's argument block (exec_args.c, exec.c). */
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
