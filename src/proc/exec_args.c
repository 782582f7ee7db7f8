/*
 * execve's argument block: argv and envp strings copied into one kernel
 * buffer (argv strings first, then envp), from user or kernel arrays.
 * Limits: EXEC_ARGS_MAX bytes of strings and EXEC_ARGC_MAX pointers (E2BIG).
 * No locking: an exec_args belongs to one exec call.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include "exec.h"

void exec_args_free(struct exec_args *a)
{
	if (!a)
		return;
	kfree(a->buf);
	kfree(a->path);
	kfree(a);
}

static struct exec_args *args_new(void)
{
	struct exec_args *a = kzalloc(sizeof(*a));
	if (!a)
		return NULL;
	a->cap = 4096;
	a->buf = kmalloc(a->cap);
	if (!a->buf) {
		kfree(a);
		return NULL;
	}
	return a;
}

static int args_reserve(struct exec_args *a, size_t need)
{
	size_t cap = a->cap;
	char *nb;

	if (a->len + need > EXEC_ARGS_MAX)
		return -E2BIG;
	if (a->len + need <= cap)
		return 0;
	while (cap < a->len + need)
		cap *= 2;
	if (cap > EXEC_ARGS_MAX)
		cap = EXEC_ARGS_MAX;
	nb = kmalloc(cap);
	if (!nb)
		return -ENOMEM;
	memcpy(nb, a->buf, a->len);
	kfree(a->buf);
	a->buf = nb;
	a->cap = cap;
	return 0;
}

int exec_args_push(struct exec_args *a, const char *s, bool is_env)
{
	size_t n = strlen(s) + 1;
	int err;

	if (a->argc + a->envc >= EXEC_ARGC_MAX)
		return -E2BIG;
	err = args_reserve(a, n);
	if (err)
		return err;
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	if (is_env)
		a->envc++;
	else
		a->argc++;
	return 0;
}

/* Copy one user string onto the end of the block. */
static int push_user_string(struct exec_args *a, const char __user *s)
{
	for (;;) {
		size_t room = a->cap - a->len;
		long n = room ? strncpy_from_user(a->buf + a->len, s, room) : -ENAMETOOLONG;
		int err;

		if (n >= 0) {
			a->len += (size_t)n + 1;
			return 0;
		}
		if (n != -ENAMETOOLONG)
			return (int)n;
		if (a->cap >= EXEC_ARGS_MAX)
			return -E2BIG;
		err = args_reserve(a, a->cap - a->len + 4096);
		if (err)
			return err;
	}
}

static int push_user_vector(struct exec_args *a, const char __user *const __user *vec, bool is_env)
{
	if (!vec)
		return 0;
	for (int i = 0;; i++) {
		const char __user *s;
		int err;

		if (get_user(s, vec + i))
			return -EFAULT;
		if (!s)
			return 0;
		if (a->argc + a->envc >= EXEC_ARGC_MAX)
			return -E2BIG;
		err = push_user_string(a, s);
		if (err)
			return err;
		if (is_env)
			a->envc++;
		else
			a->argc++;
	}
}

struct exec_args *exec_args_from_user(const char __user *const __user *argv,
				      const char __user *const __user *envp)
{
	struct exec_args *a = args_new();
	int err;

	if (!a)
		return ERR_PTR(-ENOMEM);
	err = push_user_vector(a, argv, false);
	if (!err)
		err = push_user_vector(a, envp, true);
	if (err) {
		exec_args_free(a);
		return ERR_PTR(err);
	}
	return a;
}

struct exec_args *exec_args_from_kernel(const char *path, char *const argv[], char *const envp[])
{
	struct exec_args *a = args_new();
	int err = 0;

	if (!a)
		return ERR_PTR(-ENOMEM);
	a->path = kstrdup(path);
	if (!a->path)
		err = -ENOMEM;
	for (int i = 0; !err && argv && argv[i]; i++)
		err = exec_args_push(a, argv[i], false);
	for (int i = 0; !err && envp && envp[i]; i++)
		err = exec_args_push(a, envp[i], true);
	if (err) {
		exec_args_free(a);
		return ERR_PTR(err);
	}
	return a;
}

const char *exec_args_path(const struct exec_args *a)
{
	return a->path ? a->path : "";
}

/* Return a pointer to string number i (argv first, then envp). */
const char *exec_args_string(const struct exec_args *a, int i)
{
	const char *s = a->buf;
	while (i-- > 0)
		s += strlen(s) + 1;
	return s;
}

/*
 * #! scripts: argv becomes interp [optarg] script argv[1..]. Return a new
 * block (a is left alone) or ERR_PTR.
 */
struct exec_args *exec_args_for_script(const struct exec_args *a, const char *interp,
				       const char *optarg, const char *script)
{
	struct exec_args *n = args_new();
	const char *s = a->buf;
	int err;

	if (!n)
		return ERR_PTR(-ENOMEM);
	err = exec_args_push(n, interp, false);
	if (!err && optarg)
		err = exec_args_push(n, optarg, false);
	if (!err)
		err = exec_args_push(n, script, false);
	for (int i = 0; !err && i < a->argc + a->envc; i++) {
		if (i > 0 || a->argc == 0) /* argv[0] is replaced by script */
			err = exec_args_push(n, s, i >= a->argc);
		s += strlen(s) + 1;
	}
	if (err) {
		exec_args_free(n);
		return ERR_PTR(err);
	}
	return n;
}
