/*
 * System V message queues: msgget, msgsnd, msgrcv (msgctl is in
 * msg_ctl.c). A queue is a list of messages, oldest first, with byte and
 * count limits; senders sleep on q->senders while it is full, receivers on
 * q->receivers until a matching message arrives.
 *
 * Lock: q->perm.lock guards the message list and the counters. A sleeper
 * retries its operation from the wait condition (it is already on the wait
 * queue then), and every change is followed by a wake-up of the other side,
 * so no wake-up is lost. IPC_RMID marks the queue deleted and wakes both
 * sides, whose retry then returns -EIDRM. Message text is copied from user
 * space before the lock is taken and to user space after it is dropped.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include "sysv_msg.h"

#define LONG_MAX_VALUE ((long)(~0UL >> 1))
#define LONG_MIN_VALUE (-LONG_MAX_VALUE - 1)

size_t msg_total_count, msg_total_bytes;

/* ---- pure selection logic ---- */

struct msg_msg *msg_select(struct list_head *messages, long msgtyp, int msgflg)
{
	struct msg_msg *m, *best = NULL;

	list_for_each_entry(m, messages, node) {
		if (msgtyp == 0)
			return m;
		if (msgtyp > 0) {
			if ((m->mtype == msgtyp) != !!(msgflg & MSG_EXCEPT))
				return m;
			continue;
		}
		/* msgtyp < 0: lowest type <= |msgtyp|, the oldest among equals. */
		long limit = msgtyp == LONG_MIN_VALUE ? LONG_MAX_VALUE : -msgtyp;
		if (m->mtype <= limit && (!best || m->mtype < best->mtype)) {
			best = m;
			if (m->mtype == 1)
				break; /* nothing can be lower */
		}
	}
	return best;
}

bool msg_fits(size_t cbytes, size_t qnum, size_t qbytes, size_t size)
{
	return size + cbytes <= qbytes && qnum + 1 <= qbytes;
}

/* ---- objects ---- */

static void msg_queue_release(struct kern_ipc_perm *perm)
{
	struct msg_queue *q = container_of(perm, struct msg_queue, perm);
	struct msg_msg *m, *n;

	list_for_each_entry_safe(m, n, &q->messages, node) {
		__atomic_fetch_sub(&msg_total_count, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&msg_total_bytes, m->size, __ATOMIC_RELAXED);
		list_del(&m->node);
		kfree(m);
	}
	kfree(q);
}

static struct kern_ipc_perm *msg_queue_alloc(const void *params)
{
	struct msg_queue *q = kzalloc(sizeof(*q));

	(void)params;
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->qbytes = MSGMNB;
	q->ctime = ipc_now();
	list_init(&q->messages);
	waitqueue_init(&q->senders);
	waitqueue_init(&q->receivers);
	q->perm.release = msg_queue_release;
	return &q->perm;
}

static const struct ipc_ops msg_ops = {
	.alloc = msg_queue_alloc,
	.discard = msg_queue_release,
	.check_existing = NULL,
};

long sys_msgget(key_t key, int msgflg)
{
	return ipc_get(&msg_ids, key, msgflg, &msg_ops, NULL);
}

/* Return: new reference to queue msqid with access checked, or ERR_PTR. */
struct msg_queue *msg_queue_lookup(int msqid, unsigned access)
{
	struct kern_ipc_perm *perm = ipc_lookup(&msg_ids, msqid);

	if (IS_ERR(perm))
		return (struct msg_queue *)perm;
	int err = access ? ipc_perm_check(perm, access) : 0;
	if (err) {
		ipc_obj_put(perm);
		return ERR_PTR(err);
	}
	return container_of(perm, struct msg_queue, perm);
}

/* ---- send ---- */

/* Queue m (consumed on 0) if it fits. 0, -EAGAIN (full) or -EIDRM. */
static int msg_try_send(struct msg_queue *q, struct msg_msg *m)
{
	spin_lock(&q->perm.lock);
	if (q->perm.deleted) {
		spin_unlock(&q->perm.lock);
		return -EIDRM;
	}
	if (!msg_fits(q->cbytes, q->qnum, q->qbytes, m->size)) {
		spin_unlock(&q->perm.lock);
		return -EAGAIN;
	}
	list_add_tail(&m->node, &q->messages);
	q->cbytes += m->size;
	q->qnum++;
	q->lspid = ipc_current_pid();
	q->stime = ipc_now();
	/* Waiters test their condition under perm.lock after queueing: one
	 * not seen here sees the new message. */
	bool wake = waitqueue_active(&q->receivers);
	spin_unlock(&q->perm.lock);
	__atomic_fetch_add(&msg_total_count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&msg_total_bytes, m->size, __ATOMIC_RELAXED);
	if (wake)
		wake_up_all(&q->receivers);
	return 0;
}

/* User msgbuf layout for messages up to MSG_SMALL bytes, copied whole. */
#define MSG_SMALL 128
struct msg_small_buf {
	long mtype;
	char text[MSG_SMALL];
};

long sys_msgsnd(int msqid, const void __user *msgp, size_t msgsz, int msgflg)
{
	long mtype;

	if ((long)msgsz < 0 || msgsz > MSGMAX || msqid < 0)
		return -EINVAL;
	/* A small message is read in one copy (type and text together); if
	 * that faults, the two-step path below gives the exact error. */
	struct msg_small_buf sb;
	bool have = msgsz <= MSG_SMALL && !copy_from_user(&sb, msgp, sizeof(long) + msgsz);
	if (have)
		mtype = sb.mtype;
	else if (get_user(mtype, (const long __user *)msgp))
		return -EFAULT;
	if (mtype < 1)
		return -EINVAL;
	__free(kfree) struct msg_msg *m = kmalloc(sizeof(*m) + msgsz);
	if (!m)
		return -ENOMEM;
	list_init(&m->node);
	m->mtype = mtype;
	m->size = msgsz;
	if (have)
		memcpy(m->text, sb.text, msgsz);
	else if (copy_from_user(m->text, (const char __user *)msgp + sizeof(long), msgsz))
		return -EFAULT;

	struct msg_queue *q = msg_queue_lookup(msqid, 0222);
	if (IS_ERR(q))
		return PTR_ERR(q);
	long ret = msg_try_send(q, m);
	if (ret == -EAGAIN && !(msgflg & IPC_NOWAIT)) {
		long err = wait_event_interruptible(&q->senders, (ret = msg_try_send(q, m)) != -EAGAIN);
		if (err)
			ret = -ERESTARTNOHAND;
	}
	if (ret == 0)
		(void)take_ptr(m); /* now owned by the queue */
	ipc_obj_put(&q->perm);
	return ret;
}

/* ---- receive ---- */

struct msg_recv_args {
	long msgtyp;
	int msgflg;
	size_t bufsz;
};

/* Take the message a wants. Return it (now the caller's), or ERR_PTR of
 * -ENOMSG (none yet), -E2BIG or -EIDRM. With MSG_COPY the message stays
 * and a copy is returned; msgtyp is then its position. */
static struct msg_msg *msg_try_receive(struct msg_queue *q, const struct msg_recv_args *a)
{
	struct msg_msg *m = NULL, *copy = NULL;

	if (a->msgflg & MSG_COPY) {
		/* Allocate before locking: the largest message that can be queued. */
		copy = kmalloc(sizeof(*copy) + MIN(a->bufsz, (size_t)MSGMAX));
		if (!copy)
			return ERR_PTR(-ENOMEM);
	}
	spin_lock(&q->perm.lock);
	if (q->perm.deleted) {
		spin_unlock(&q->perm.lock);
		kfree(copy);
		return ERR_PTR(-EIDRM);
	}
	if (a->msgflg & MSG_COPY) {
		long i = 0;
		struct msg_msg *w;
		list_for_each_entry(w, &q->messages, node)
			if (i++ == a->msgtyp) {
				m = w;
				break;
			}
	} else {
		m = msg_select(&q->messages, a->msgtyp, a->msgflg);
	}
	if (!m) {
		spin_unlock(&q->perm.lock);
		kfree(copy);
		return ERR_PTR(-ENOMSG);
	}
	if (m->size > a->bufsz && !(a->msgflg & MSG_NOERROR)) {
		spin_unlock(&q->perm.lock);
		kfree(copy);
		return ERR_PTR(-E2BIG);
	}
	if (copy) {
		list_init(&copy->node);
		copy->mtype = m->mtype;
		copy->size = MIN(m->size, a->bufsz);
		memcpy(copy->text, m->text, copy->size);
		spin_unlock(&q->perm.lock);
		return copy;
	}
	list_del(&m->node);
	q->cbytes -= m->size;
	q->qnum--;
	q->lrpid = ipc_current_pid();
	q->rtime = ipc_now();
	bool wake = waitqueue_active(&q->senders); /* as in msg_try_send */
	spin_unlock(&q->perm.lock);
	__atomic_fetch_sub(&msg_total_count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&msg_total_bytes, m->size, __ATOMIC_RELAXED);
	if (wake)
		wake_up_all(&q->senders);
	return m;
}

long sys_msgrcv(int msqid, void __user *msgp, size_t msgsz, long msgtyp, int msgflg)
{
	struct msg_recv_args a = { msgtyp, msgflg, msgsz };

	if (msqid < 0 || (long)msgsz < 0)
		return -EINVAL;
	if ((msgflg & MSG_COPY) && ((msgflg & MSG_EXCEPT) || !(msgflg & IPC_NOWAIT)))
		return -EINVAL;
	if ((msgflg & MSG_COPY) && msgtyp < 0)
		return -ENOMSG;

	struct msg_queue *q = msg_queue_lookup(msqid, 0444);
	if (IS_ERR(q))
		return PTR_ERR(q);
	struct msg_msg *m = msg_try_receive(q, &a);
	if (m == ERR_PTR(-ENOMSG) && !(msgflg & IPC_NOWAIT)) {
		long err = wait_event_interruptible(&q->receivers,
						    (m = msg_try_receive(q, &a)) != ERR_PTR(-ENOMSG));
		if (err)
			m = ERR_PTR(-ERESTARTNOHAND); /* m held no message */
	}
	ipc_obj_put(&q->perm);
	if (IS_ERR(m))
		return PTR_ERR(m);

	__free(kfree) struct msg_msg *owned = m;
	size_t n = MIN(owned->size, msgsz);
	if (n <= MSG_SMALL) {
		/* Type and text in one copy. */
		struct msg_small_buf sb;

		sb.mtype = owned->mtype;
		memcpy(sb.text, owned->text, n);
		if (copy_to_user(msgp, &sb, sizeof(long) + n))
			return -EFAULT; /* the message is lost, as on Linux */
		return (long)n;
	}
	if (put_user(owned->mtype, (long __user *)msgp) ||
	    copy_to_user((char __user *)msgp + sizeof(long), owned->text, n))
		return -EFAULT; /* the message is lost, as on Linux */
	return (long)n;
}
