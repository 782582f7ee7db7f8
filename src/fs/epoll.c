/*
 * epoll instances: an interest list of (file, fd) items and a ready list.
 *
 * Each item hangs watcher entries (wait_entry.wake_fn) on the wait queues
 * its file's ->poll names. A wake-up on such a queue calls ep_wake(),
 * which puts the item on the ready list and wakes one epoll_wait sleeper:
 * the cost of a wake-up does not depend on how many files are watched.
 * epoll_wait polls only the items on the ready list, for their current
 * mask, walking the list in place without the ready-list spinlock;
 * level-triggered items that are still ready stay on it.
 *
 * Lifetime: an item borrows its file. The file's last put calls
 * eventpoll_release_file() before the file's own release, and that takes
 * every epoll's mtx before it removes the items, so whoever holds ep->mtx
 * may poll item->file. An item's watcher entries are unhooked
 * (remove_wait_entry) before the item is freed, so no ep_wake() is running
 * or will run on it.
 *
 * Locks, outermost first:
 *   ep_nest_mutex   only for EPOLL_CTL_ADD of an epoll file (loop check)
 *   ep->mtx         the interest list, the hash, every item's event
 *   target->lock    the target file's ep_links (spinlock)
 *   wq->lock        a watched wait queue; ep_wake runs under it
 *   ep->lock        linking and unlinking the ready list (irq-safe:
 *                   wake-ups come from interrupts, e.g. the tty); a
 *                   harvest walks it under ep->mtx alone
 *                   (eventpoll_harvest)
 *   ep->wait.lock, ep->poll_wq.lock
 * Nested instances take mtx outer-to-inner only (the loop check keeps the
 * graph acyclic; the poll of an epoll file only try-locks its mtx).
 */
#include <ferrite/errno.h>
#include <ferrite/eventpoll.h>
#include <ferrite/kmalloc.h>
#include <ferrite/mutex.h>
#include <ferrite/poll.h>
#include <ferrite/printk.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include <hal/hal_mmu.h>

#define EP_BUCKETS 256
#define EP_MAX_HOOKS 4 /* wait queues one file's ->poll may name */
#define EP_MAX_NESTS 4 /* as Linux */
/* Bits that stay when EPOLLONESHOT disarms an item. */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | \
			 EPOLLEXCLUSIVE)

struct eventpoll {
	struct ref ref;          /* the file's; eventpoll_release_file's while it works */
	struct mutex mtx;
	struct spinlock lock;
	struct list_head ready;  /* Lock: lock to change; mtx to walk */
	struct list_head items;  /* Lock: mtx */
	struct list_head buckets[EP_BUCKETS]; /* by fd; Lock: mtx */
	struct waitqueue wait;    /* epoll_wait sleepers (exclusive) */
	struct waitqueue poll_wq; /* poll/select/epoll of this epoll file */
	struct epoll_event report; /* the event a harvest copies out; Lock: mtx */
};

struct ep_hook {
	struct wait_entry wait; /* wake_fn = ep_wake */
	struct waitqueue *wq;
	struct epitem *item;
};

struct epitem {
	struct list_head hash_node;  /* Lock: ep->mtx */
	struct list_head ep_node;    /* ep->items; Lock: ep->mtx */
	struct list_head file_node;  /* file->ep_links; Lock: file->lock */
	struct list_head ready_node; /* on ep->ready (or ep_scan_ready's private lists)
					when queued; Lock: ep->lock to link or unlink,
					ep->mtx to walk (see eventpoll_harvest) */
	bool queued;                 /* on one of those lists; Lock: ep->lock */
	bool woken;                  /* ep_wake ran since the harvest cleared it */
	bool keep;                   /* the harvest's verdict: stays queued; Lock: ep->mtx */
	struct eventpoll *ep;
	struct file *file;           /* borrowed: see the top of this file */
	int fd;
	uint32_t events;             /* Lock: ep->mtx; ep_wake reads it */
	uint64_t data;               /* Lock: ep->mtx */
	unsigned nhooks;
	struct ep_hook hooks[EP_MAX_HOOKS];
};

static size_t eventpolls_live, epitems_live; /* atomic */
static struct mutex ep_nest_mutex = MUTEX_INIT(ep_nest_mutex);

size_t eventpolls_count_live(void)
{
	return __atomic_load_n(&eventpolls_live, __ATOMIC_RELAXED);
}

size_t epitems_count_live(void)
{
	return __atomic_load_n(&epitems_live, __ATOMIC_RELAXED);
}

struct waitqueue *eventpoll_waitqueue(struct eventpoll *ep)
{
	return &ep->wait;
}

bool eventpoll_maybe_ready(struct eventpoll *ep)
{
	guard_irqsave(&ep->lock);
	return !list_empty(&ep->ready);
}

static void ep_put(struct eventpoll *ep);

/* ---- ready list ---- */

/* Link it at the tail of the ready list so that a harvest walking the list
 * without ep->lock sees it whole: its links are written before the release
 * store that makes it reachable. Caller holds ep->lock. */
static void ep_ready_append(struct eventpoll *ep, struct epitem *it)
{
	struct list_head *n = &it->ready_node, *last = ep->ready.prev;

	n->next = &ep->ready;
	n->prev = last;
	ep->ready.prev = n;
	__atomic_store_n(&last->next, n, __ATOMIC_RELEASE);
}

/* Queue it at the tail unless it is queued already. */
static void ep_queue_ready(struct epitem *it)
{
	struct eventpoll *ep = it->ep;
	unsigned long flags = spin_lock_irqsave(&ep->lock);

	__atomic_store_n(&it->woken, true, __ATOMIC_RELEASE); /* see eventpoll_harvest */
	if (!it->queued) {
		it->queued = true;
		ep_ready_append(ep, it);
	}
	spin_unlock_irqrestore(&ep->lock, flags);
}

/* Wake one epoll_wait sleeper and every poller of the epoll file. */
static void ep_notify(struct eventpoll *ep)
{
	if (waitqueue_active(&ep->wait))
		wake_up_one(&ep->wait);
	if (waitqueue_active(&ep->poll_wq))
		wake_up_all(&ep->poll_wq);
}

/* A watched queue woke: the item may be ready. Runs under hook->wq->lock. */
static void ep_wake(struct wait_entry *e)
{
	struct ep_hook *h = container_of(e, struct ep_hook, wait);
	struct epitem *it = h->item;

	if (!(READ_ONCE(it->events) & ~EP_PRIVATE_BITS))
		return; /* disarmed by EPOLLONESHOT */
	ep_queue_ready(it);
	ep_notify(it->ep);
}

/* Move the whole ready list to tx. */
static void ep_take_ready(struct eventpoll *ep, struct list_head *tx)
{
	unsigned long flags = spin_lock_irqsave(&ep->lock);

	while (!list_empty(&ep->ready))
		list_move_tail(ep->ready.next, tx);
	spin_unlock_irqrestore(&ep->lock, flags);
}

/* Take the first item off tx (it can be queued again from then on). */
static struct epitem *ep_next_taken(struct eventpoll *ep, struct list_head *tx)
{
	unsigned long flags = spin_lock_irqsave(&ep->lock);
	struct epitem *it = NULL;

	if (!list_empty(tx)) {
		it = list_first_entry(tx, struct epitem, ready_node);
		list_del(&it->ready_node);
		it->queued = false;
	}
	spin_unlock_irqrestore(&ep->lock, flags);
	return it;
}

/* Put what is left on tx back at the head of the ready list, in order. */
static bool ep_return_taken(struct eventpoll *ep, struct list_head *tx)
{
	unsigned long flags = spin_lock_irqsave(&ep->lock);

	while (!list_empty(tx)) {
		struct list_head *last = tx->prev;
		list_del(last);
		list_add(last, &ep->ready);
	}
	bool more = !list_empty(&ep->ready);
	spin_unlock_irqrestore(&ep->lock, flags);
	return more;
}

/* The item's ready events now. Caller holds ep->mtx (the file is alive). */
static unsigned ep_item_poll(struct epitem *it, struct poll_table *pt)
{
	unsigned mask = it->file->ops->poll(it->file, pt);

	return mask & it->events;
}

/* The ready-list entry after pos, for a walk without ep->lock (caller
 * holds ep->mtx): pairs with the release in ep_ready_append. */
static struct list_head *ep_ready_next(struct list_head *pos)
{
	return __atomic_load_n(&pos->next, __ATOMIC_ACQUIRE);
}

/*
 * After a walk: under one round of ep->lock, take the first walked entries
 * that are done off the list (not kept, and not woken again since their
 * poll), and with rotate move the others behind the entries the walk did
 * not reach (Linux's round robin when maxevents cuts a harvest short).
 */
static void ep_settle(struct eventpoll *ep, unsigned walked, bool rotate)
{
	unsigned long flags = spin_lock_irqsave(&ep->lock);
	struct list_head *pos = ep->ready.next;

	for (unsigned i = 0; i < walked; i++) {
		struct epitem *it = list_entry(pos, struct epitem, ready_node);
		pos = pos->next;
		if (!it->keep && !(it->woken && (it->events & ~EP_PRIVATE_BITS))) {
			list_del(&it->ready_node);
			it->queued = false;
		} else if (rotate) {
			list_del(&it->ready_node);
			list_add_tail(&it->ready_node, &ep->ready);
		}
	}
	spin_unlock_irqrestore(&ep->lock, flags);
}

/*
 * Report the ready items. The harvest walks the ready list in place,
 * holding ep->mtx but not ep->lock: under mtx nobody else takes entries
 * off the list (only mtx holders do), and ep_wake only appends, publishing
 * a new entry with a release store (ep_ready_append), so the walk sees
 * each entry whole or not at all. A level-triggered item still ready
 * simply stays where it is: the common steady state (event loops over
 * level-triggered descriptors) takes no spinlock at all. Entries that
 * must leave the list (edge-triggered, one-shot, no longer ready), or a
 * walk cut short by maxevents, cost one round of ep->lock (ep_settle).
 * woken is cleared (a full barrier) before each poll, so a wake-up the
 * poll may have missed has set it by the time ep_settle looks, and the
 * entry stays.
 */
long eventpoll_harvest(struct eventpoll *ep, struct epoll_event __user *out, int maxevents)
{
	struct list_head *head = &ep->ready;

	if (READ_ONCE(head->next) == head) /* racy peek: a wake-up after it is seen next time */
		return 0;
	guard(mutex)(&ep->mtx);
	struct list_head *pos = ep_ready_next(head);
	/* The caller checked that the array ends below hal_user_max (Linux's
	 * access_ok); the rest is checked once here, and is an error only when
	 * there is an event to copy. */
	bool out_ok = (uintptr_t)out >= HAL_USER_MIN;
	unsigned walked = 0;
	bool settle = false;
	long n = 0, err = 0;

	while (pos != head && n < maxevents) {
		struct epitem *it = list_entry(pos, struct epitem, ready_node);
		__atomic_store_n(&it->woken, false, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* before the poll reads state */
		unsigned mask = ep_item_poll(it, NULL);
		uint32_t events = it->events;
		bool keep = false;
		if (mask) {
			ep->report.events = mask;
			ep->report.data = it->data;
			if (!out_ok || __copy_to_user(&out[n], &ep->report, sizeof(ep->report))) {
				err = -EFAULT; /* it stays first */
				break;
			}
			n++;
			if (events & EPOLLONESHOT)
				WRITE_ONCE(it->events, events & EP_PRIVATE_BITS);
			keep = !(events & (EPOLLET | EPOLLONESHOT)); /* level: look again next time */
		}
		it->keep = keep;
		settle |= !keep;
		walked++;
		pos = ep_ready_next(pos);
	}
	bool rotate = pos != head && walked;
	if (settle || rotate)
		ep_settle(ep, walked, rotate);
	if (READ_ONCE(head->next) != head && waitqueue_active(&ep->wait))
		wake_up_one(&ep->wait); /* more for another sleeper */
	return n ? n : err;
}

/*
 * Whether any item is really ready, for the poll of the epoll file; items
 * no longer ready leave the list. Caller holds ep->mtx.
 */
static bool ep_scan_ready(struct eventpoll *ep)
{
	struct list_head tx = LIST_HEAD_INIT(tx), keep = LIST_HEAD_INIT(keep);
	struct epitem *it;

	ep_take_ready(ep, &tx);
	while ((it = ep_next_taken(ep, &tx))) {
		if (ep_item_poll(it, NULL)) {
			unsigned long flags = spin_lock_irqsave(&ep->lock);
			if (!it->queued) {
				it->queued = true;
				list_add_tail(&it->ready_node, &keep);
			}
			spin_unlock_irqrestore(&ep->lock, flags);
		}
	}
	return ep_return_taken(ep, &keep);
}

/* ---- the interest list ---- */

static struct list_head *ep_bucket(struct eventpoll *ep, int fd)
{
	return &ep->buckets[(unsigned)fd % EP_BUCKETS];
}

static struct epitem *ep_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct epitem *it;

	list_for_each_entry(it, ep_bucket(ep, fd), hash_node)
		if (it->file == f && it->fd == fd)
			return it;
	return NULL;
}

/* poll_table callback of EPOLL_CTL_ADD: hang a watcher on wq. */
struct ep_queue {
	struct poll_table pt;
	struct epitem *item;
};

static void ep_queue_proc(struct poll_table *pt, struct waitqueue *wq)
{
	struct epitem *it = container_of(pt, struct ep_queue, pt)->item;

	if (it->nhooks == EP_MAX_HOOKS) {
		pr_warn("epoll: a file named more than %d wait queues\n", EP_MAX_HOOKS);
		return;
	}
	struct ep_hook *h = &it->hooks[it->nhooks++];
	h->wait = (struct wait_entry)WAIT_ENTRY_INIT(h->wait);
	h->wait.wake_fn = ep_wake;
	h->wait.exclusive = !!(it->events & EPOLLEXCLUSIVE);
	h->wq = wq;
	h->item = it;
	add_wait_entry(wq, &h->wait);
}

/* Unhook, unlink and free it. Caller holds ep->mtx. */
static void ep_remove(struct eventpoll *ep, struct epitem *it)
{
	for (unsigned i = 0; i < it->nhooks; i++)
		remove_wait_entry(it->hooks[i].wq, &it->hooks[i].wait);
	scoped_guard(spinlock, &it->file->lock)
		list_del(&it->file_node);
	unsigned long flags = spin_lock_irqsave(&ep->lock);
	if (it->queued)
		list_del(&it->ready_node);
	spin_unlock_irqrestore(&ep->lock, flags);
	list_del(&it->hash_node);
	list_del(&it->ep_node);
	kfree(it);
	__atomic_sub_fetch(&epitems_live, 1, __ATOMIC_RELAXED);
}

static long ep_insert(struct eventpoll *ep, struct file *f, int fd, const struct epoll_event *ev)
{
	struct epitem *it = kzalloc(sizeof(*it));

	if (!it)
		return -ENOMEM;
	__atomic_add_fetch(&epitems_live, 1, __ATOMIC_RELAXED);
	list_init(&it->ready_node);
	it->ep = ep;
	it->file = f;
	it->fd = fd;
	it->events = ev->events;
	it->data = ev->data;
	list_add_tail(&it->hash_node, ep_bucket(ep, fd));
	list_add_tail(&it->ep_node, &ep->items);
	scoped_guard(spinlock, &f->lock)
		list_add_tail(&it->file_node, &f->ep_links);
	/* Hook the queues and look at the state once: a wake-up from here on
	 * queues the item, so nothing between the two is missed. */
	struct ep_queue q = { .pt = { .queue_proc = ep_queue_proc }, .item = it };
	if (ep_item_poll(it, &q.pt)) {
		ep_queue_ready(it);
		ep_notify(ep);
	}
	return 0;
}

static long ep_modify(struct eventpoll *ep, struct epitem *it, const struct epoll_event *ev)
{
	WRITE_ONCE(it->events, ev->events);
	it->data = ev->data;
	if (ep_item_poll(it, NULL)) {
		ep_queue_ready(it);
		ep_notify(ep);
	}
	return 0;
}

/*
 * Would watching target from ep make a cycle, or a chain deeper than
 * EP_MAX_NESTS? Caller holds ep_nest_mutex (no other such check or
 * insertion runs); each instance's mtx is taken outer-to-inner.
 */
static bool ep_loops(struct eventpoll *ep, struct eventpoll *target, int depth)
{
	if (target == ep || depth > EP_MAX_NESTS)
		return true;
	guard(mutex)(&target->mtx);
	struct epitem *it;
	list_for_each_entry(it, &target->items, ep_node) {
		struct eventpoll *inner = eventpoll_of(it->file);
		if (inner && ep_loops(ep, inner, depth + 1))
			return true;
	}
	return false;
}

static long ep_ctl_locked(struct eventpoll *ep, int op, struct file *target, int fd,
			  const struct epoll_event *ev)
{
	guard(mutex)(&ep->mtx);
	struct epitem *it = ep_find(ep, target, fd);

	switch (op) {
	case EPOLL_CTL_ADD:
		return it ? -EEXIST : ep_insert(ep, target, fd, ev);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (it->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		return ep_modify(ep, it, ev);
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		ep_remove(ep, it);
		return 0;
	}
	return -EINVAL;
}

long eventpoll_ctl(struct eventpoll *ep, int op, struct file *target, int fd,
		   const struct epoll_event *uev)
{
	struct epoll_event ev = { 0 };

	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if (!target->ops || !target->ops->poll)
		return -EPERM; /* regular files and directories: always ready */
	if (op != EPOLL_CTL_DEL) {
		ev = *uev;
		ev.events &= ~EPOLLWAKEUP; /* needs CAP_BLOCK_SUSPEND; Linux drops it */
		ev.events |= EPOLLERR | EPOLLHUP;
		if (ev.events & EPOLLEXCLUSIVE) {
			if (op == EPOLL_CTL_MOD || (ev.events & ~EP_EXCLUSIVE_OK) ||
			    eventpoll_of(target))
				return -EINVAL;
		}
	}
	struct eventpoll *inner = eventpoll_of(target);
	if (inner == ep)
		return -EINVAL;
	if (op != EPOLL_CTL_ADD || !inner)
		return ep_ctl_locked(ep, op, target, fd, &ev);
	guard(mutex)(&ep_nest_mutex);
	if (ep_loops(ep, inner, 1))
		return -ELOOP;
	return ep_ctl_locked(ep, op, target, fd, &ev);
}

/* ---- files going away ---- */

void eventpoll_release_file(struct file *f)
{
	for (;;) {
		struct eventpoll *ep;
		scoped_guard(spinlock, &f->lock) {
			if (list_empty(&f->ep_links))
				return;
			ep = list_first_entry(&f->ep_links, struct epitem, file_node)->ep;
			ref_get(&ep->ref); /* its items are linked: not yet released */
		}
		scoped_guard(mutex, &ep->mtx) {
			for (;;) {
				struct epitem *it, *found = NULL;
				scoped_guard(spinlock, &f->lock) {
					list_for_each_entry(it, &f->ep_links, file_node)
						if (it->ep == ep) {
							found = it;
							break;
						}
				}
				if (!found)
					break;
				ep_remove(ep, found);
			}
		}
		ep_put(ep);
	}
}

static void ep_free(struct ref *r)
{
	kfree(container_of(r, struct eventpoll, ref));
	__atomic_sub_fetch(&eventpolls_live, 1, __ATOMIC_RELAXED);
}

static void ep_put(struct eventpoll *ep)
{
	ref_put(&ep->ref, ep_free);
}

static void eventpoll_file_release(struct file *f)
{
	struct eventpoll *ep = f->private;

	scoped_guard(mutex, &ep->mtx) {
		while (!list_empty(&ep->items))
			ep_remove(ep, list_first_entry(&ep->items, struct epitem, ep_node));
	}
	f->private = NULL;
	ep_put(ep);
}

static unsigned eventpoll_file_poll(struct file *f, struct poll_table *pt)
{
	struct eventpoll *ep = f->private;

	poll_wait(&ep->poll_wq, pt);
	/* Only try: the poller may be an outer epoll's harvest (outer->mtx
	 * held), or poll() with the task already marked sleeping. */
	if (!mutex_trylock(&ep->mtx))
		return eventpoll_maybe_ready(ep) ? POLLIN | POLLRDNORM : 0;
	bool ready = ep_scan_ready(ep);
	mutex_unlock(&ep->mtx);
	return ready ? POLLIN | POLLRDNORM : 0;
}

const struct file_ops eventpoll_fops = {
	.anon_name = "[eventpoll]",
	.poll = eventpoll_file_poll,
	.release = eventpoll_file_release,
};

struct file *eventpoll_create(int flags)
{
	struct eventpoll *ep = kzalloc(sizeof(*ep));

	if (!ep)
		return ERR_PTR(-ENOMEM);
	ref_init(&ep->ref);
	mutex_init(&ep->mtx);
	spin_init(&ep->lock, "eventpoll");
	list_init(&ep->ready);
	list_init(&ep->items);
	for (unsigned i = 0; i < EP_BUCKETS; i++)
		list_init(&ep->buckets[i]);
	waitqueue_init(&ep->wait);
	waitqueue_init(&ep->poll_wq);
	__atomic_add_fetch(&eventpolls_live, 1, __ATOMIC_RELAXED);
	struct file *f = file_alloc(NULL, &eventpoll_fops, O_RDWR | (flags & O_CLOEXEC));
	if (IS_ERR(f)) {
		ep_put(ep);
		return f;
	}
	f->private = ep;
	return f;
}
