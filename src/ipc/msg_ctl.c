/*
 * msgctl: IPC_STAT, MSG_STAT(_ANY), IPC_SET, IPC_RMID, IPC_INFO, MSG_INFO.
 * Lock: a queue's fields are read and written under q->perm.lock; user
 * copies happen with no lock held.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include "sysv_msg.h"

static void msg_fill_ds(struct msg_queue *q, struct msqid64_ds *ds)
{
	memset(ds, 0, sizeof(*ds));
	guard(spinlock)(&q->perm.lock);
	ipc_perm_to_user(&q->perm, &ds->msg_perm);
	ds->msg_stime = q->stime;
	ds->msg_rtime = q->rtime;
	ds->msg_ctime = q->ctime;
	ds->msg_cbytes = q->cbytes;
	ds->msg_qnum = q->qnum;
	ds->msg_qbytes = q->qbytes;
	ds->msg_lspid = q->lspid;
	ds->msg_lrpid = q->lrpid;
}

static long msg_info(int cmd, struct msginfo __user *buf)
{
	struct msginfo info = {
		.msgpool = MSGPOOL, .msgmap = MSGMAP, .msgmax = MSGMAX,
		.msgmnb = MSGMNB, .msgmni = MSGMNI, .msgssz = MSGSSZ,
		.msgtql = MSGTQL, .msgseg = MSGSEG,
	};

	if (cmd == MSG_INFO) {
		info.msgpool = ipc_in_use(&msg_ids);
		info.msgmap = (int)__atomic_load_n(&msg_total_count, __ATOMIC_RELAXED);
		info.msgtql = (int)__atomic_load_n(&msg_total_bytes, __ATOMIC_RELAXED);
	}
	if (copy_to_user(buf, &info, sizeof(info)))
		return -EFAULT;
	return ipc_max_idx(&msg_ids);
}

static long msg_stat(int msqid, int cmd, struct msqid64_ds __user *buf)
{
	struct kern_ipc_perm *perm;
	struct msqid64_ds ds;
	long ret = 0;

	perm = ipc_stat_lookup(&msg_ids, msqid, cmd != IPC_STAT, cmd == MSG_STAT_ANY, &ret);
	if (IS_ERR(perm))
		return PTR_ERR(perm);
	msg_fill_ds(container_of(perm, struct msg_queue, perm), &ds);
	ipc_obj_put(perm);
	if (copy_to_user(buf, &ds, sizeof(ds)))
		return -EFAULT;
	return ret;
}

static long msg_set(struct msg_queue *q, const struct msqid64_ds *ds)
{
	if (ds->msg_qbytes > MSGMNB && ipc_current_euid() != 0)
		return -EPERM;
	if ((long)ds->msg_qbytes < 0 || ds->msg_qbytes > (unsigned long)0x7fffffff)
		return -EINVAL;
	scoped_guard(spinlock, &q->perm.lock) {
		ipc_perm_set(&q->perm, &ds->msg_perm);
		q->qbytes = ds->msg_qbytes;
		q->ctime = ipc_now();
	}
	wake_up_all(&q->senders); /* the queue may have room now */
	return 0;
}

static long msg_rmid(struct msg_queue *q)
{
	ipc_rmid(&msg_ids, &q->perm);
	wake_up_all(&q->senders);
	wake_up_all(&q->receivers);
	return 0;
}

long sys_msgctl(int msqid, int cmd, struct msqid64_ds __user *buf)
{
	struct msqid64_ds ds;

	if (msqid < 0 || cmd < 0)
		return -EINVAL;
	cmd &= ~IPC_64;
	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO:
		return msg_info(cmd, (struct msginfo __user *)buf);
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		return msg_stat(msqid, cmd, buf);
	case IPC_SET:
		if (copy_from_user(&ds, buf, sizeof(ds)))
			return -EFAULT;
		break;
	case IPC_RMID:
		break;
	default:
		return -EINVAL;
	}

	struct msg_queue *q = msg_queue_lookup(msqid, 0);
	if (IS_ERR(q))
		return PTR_ERR(q);
	long ret = ipc_owner_check(&q->perm);
	if (!ret)
		ret = cmd == IPC_SET ? msg_set(q, &ds) : msg_rmid(q);
	ipc_obj_put(&q->perm);
	return ret;
}
