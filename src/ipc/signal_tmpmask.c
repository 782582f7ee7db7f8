/*
 * The temporary signal mask of ppoll, pselect6 and epoll_pwait(2): the
 * mask given by the call is in force while it waits. When the wait ends
 * for a signal, the old mask comes back only after that signal's handler
 * frame is built (the frame saves it, so the handler runs under the
 * temporary mask and sigreturn restores the old one), as rt_sigsuspend
 * does; otherwise it comes back before the call returns.
 *
 * Lock: blocked, saved_mask and restore_mask are written under
 * proc->lock (senders read blocked under it); only the thread itself
 * writes them.
 */
#include <ferrite/errno.h>
#include <ferrite/signal.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/user_return.h>

long sigmask_begin_temporary(const sigset_t __user *umask, size_t size)
{
	struct task *self = current;
	sigset_t set;

	if (!umask)
		return 0;
	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, umask, sizeof(set)))
		return -EFAULT;
	guard_irqsave(&self->proc->lock);
	self->saved_mask = self->blocked;
	self->restore_mask = true;
	self->blocked.sig[0] = set.sig[0] & ~SIG_UNBLOCKABLE;
	task_set_work(self); /* restore_mask */
	return 1;
}

void sigmask_end_temporary(long ret)
{
	struct task *self = current;

	if ((ret == -EINTR || ret == -ERESTARTNOHAND || ret == -ERESTARTSYS) &&
	    signal_pending_current())
		return; /* the handler frame takes the old mask along */
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->proc->lock, 0 })) {
		self->blocked = self->saved_mask;
		self->restore_mask = false;
	}
	signal_mask_changed(self);
}
