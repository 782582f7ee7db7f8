/*
 * Event descriptors: epoll instances (src/fs/epoll.c, system calls in
 * src/fs/sys_epoll.c), event counters (src/ipc/eventfd.c) and timers
 * (src/ipc/timerfd.c).
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/vfs.h>
#include <uapi/eventpoll.h>

struct eventpoll;

/* Return: a new epoll file (refcount 1) or ERR_PTR. */
struct file *eventpoll_create(int flags /* O_CLOEXEC only */);
extern const struct file_ops eventpoll_fops;
/* The instance behind an epoll file, or NULL for any other file. */
static inline struct eventpoll *eventpoll_of(struct file *f)
{
	return f->ops == &eventpoll_fops ? f->private : NULL;
}
/*
 * epoll_ctl on ep for (target, fd). ev is NULL for EPOLL_CTL_DEL.
 * Return: 0 or -errno (EEXIST, ENOENT, EINVAL, EPERM, ELOOP, ENOMEM).
 */
long eventpoll_ctl(struct eventpoll *ep, int op, struct file *target, int fd,
		   const struct epoll_event *ev);
/*
 * Move up to maxevents ready events into the user's array out, which the
 * caller has checked ends below hal_user_max (Linux's access_ok). Return the
 * number moved, 0 when none is ready, or -EFAULT when out faulted before
 * anything was moved.
 */
long eventpoll_harvest(struct eventpoll *ep, struct epoll_event __user *out, int maxevents);
/* The queue epoll_wait sleeps on, and whether anything may be ready. */
struct waitqueue *eventpoll_waitqueue(struct eventpoll *ep);
bool eventpoll_maybe_ready(struct eventpoll *ep);

/* The last reference to f is going: drop it from every epoll watching it. */
void eventpoll_release_file(struct file *f);
/* Counts for leak checks. */
size_t eventpolls_count_live(void);
size_t epitems_count_live(void);
size_t eventfds_count_live(void);
size_t timerfds_count_live(void);
/* CLOCK_REALTIME was set: absolute realtime timerfds follow it. */
void timerfd_clock_was_set(void);
