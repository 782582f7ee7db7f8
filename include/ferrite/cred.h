/*
 * Credentials: Linux's discretionary access control ids of a process.
 *
 * A process has real, effective, saved and file-system user and group ids
 * and a list of supplementary groups (struct process, src/proc/cred.c).
 * Ferrite keeps them per process, which is what glibc makes Linux's
 * per-thread credentials look like. "root" means id 0 acting as every
 * capability: euid 0 for the set*id calls, kill and IPC; fsuid 0 for file
 * access (Linux drops the file capabilities with a non-zero fsuid).
 *
 * Lock: p->lock guards the ids and the p->groups pointer. A group list is
 * immutable once published (setgroups installs a new one), so it is read
 * under p->lock or with a reference of one's own.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/ref.h>

#define NGROUPS_MAX 65536

struct process;

struct group_info {
	struct ref ref;
	int ngroups;
	gid_t gid[]; /* sorted ascending */
};

void group_info_get(struct group_info *gi);
void group_info_put(struct group_info *gi);

/* The ids one access check acts with: the file-system ids for ordinary
 * file access, the real ids for access(2) without AT_EACCESS. */
struct cred {
	uid_t uid;
	gid_t gid;
};

/* Current's fsuid/fsgid (root for a kernel thread). */
struct cred cred_fs(void);
/* Current's real uid/gid (access(2)). */
struct cred cred_real(void);
/* Is gid c->gid or one of current's supplementary groups? */
bool cred_in_group(const struct cred *c, gid_t gid);
/* Current's fsuid is 0 (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN...). */
bool cred_fs_root(void);
/* Current's euid is 0 (CAP_SETUID, CAP_KILL, CAP_SYS_ADMIN...). */
bool cred_euid_root(void);

/* File checks of current act with *c (borrowed, e.g. on the caller's
 * stack) until cred_override_fs(NULL). */
void cred_override_fs(const struct cred *c);

/* Copy the credentials of parent to child (fork/clone). */
void cred_copy(struct process *child, struct process *parent);
/* Drop what cred_copy took (process release). */
void cred_release(struct process *p);
/* execve's transition: saved ids follow the effective ones, the
 * file-system ids too (Linux without set-id bits). */
void cred_exec(struct process *p);
