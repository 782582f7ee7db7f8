/*
 * System V message queues, private to src/ipc/msg.c and its host test.
 * Lock: every field of a queue below perm is guarded by q->perm.lock.
 */
#pragma once
#include <ferrite/ipc.h>
#include <ferrite/waitqueue.h>

struct msg_msg {
	struct list_head node; /* in msg_queue.messages, oldest first */
	long mtype;
	size_t size;
	char text[];
};

struct msg_queue {
	struct kern_ipc_perm perm;
	long stime, rtime, ctime;   /* Lock: perm.lock */
	size_t cbytes, qnum, qbytes; /* Lock: perm.lock */
	pid_t lspid, lrpid;         /* Lock: perm.lock */
	struct list_head messages;  /* Lock: perm.lock */
	struct waitqueue senders;   /* sleep until the queue has room */
	struct waitqueue receivers; /* sleep until a message arrives */
};

/*
 * Pure: the message msgrcv(msgtyp, msgflg) takes from messages, or NULL.
 * msgtyp 0: the first; > 0: the first of that type (with MSG_EXCEPT: the
 * first of any other type); < 0: the first of the lowest type <= -msgtyp.
 */
struct msg_msg *msg_select(struct list_head *messages, long msgtyp, int msgflg);
/* Pure: would a message of size bytes fit a queue holding cbytes in qnum
 * messages with the limit qbytes? (Linux also counts messages against
 * qbytes, so a queue of empty messages fills up too.) */
bool msg_fits(size_t cbytes, size_t qnum, size_t qbytes, size_t size);

/* Totals over every queue, for MSG_INFO (atomic). */
extern size_t msg_total_count, msg_total_bytes;
/* Return: new reference to queue msqid after the access check (0444 read,
 * 0222 write, 0 none), or ERR_PTR(-EINVAL / -EACCES). */
struct msg_queue *msg_queue_lookup(int msqid, unsigned access);
