/*
 * System V shared memory, private to src/ipc/shm*.c and the host test.
 *
 * A segment owns a vm_object (its pages); every attachment maps that
 * object and holds a reference to the segment. shm_nattch counts the
 * attachments. IPC_RMID with attachments left sets SHM_DEST and makes the
 * key private; the last detach then unlists the segment, and the last
 * reference frees it (and drops the object; mappings hold their own).
 * Lock order: shm_attach_lock -> ipc_ids lock -> segment perm.lock.
 */
#pragma once
#include <ferrite/ipc.h>

struct vm_object;

struct shm_segment {
	struct kern_ipc_perm perm;
	struct vm_object *obj;       /* owned reference */
	size_t size;                 /* bytes asked for at shmget */
	long atime, dtime, ctime;    /* Lock: perm.lock */
	pid_t cpid, lpid;            /* Lock: perm.lock */
	unsigned long nattch;        /* Lock: perm.lock */
};

/* Return: new reference to segment shmid after the access check (0 for
 * none), or ERR_PTR(-EINVAL / -EACCES). */
struct shm_segment *shm_lookup(int shmid, unsigned access);
/* Lower shm_nattch for one attachment that went away and drop the
 * attachment's reference (consumed); destroys a SHM_DEST segment at 0. */
void shm_detach_account(struct shm_segment *seg /* consumed */);
/* Total pages in all segments (SHM_INFO, atomic). */
extern size_t shm_total_pages;
/* Number of segments freed so far (tests: freed exactly once). */
extern size_t shm_segments_freed;
