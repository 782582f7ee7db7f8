/*
 * Message ports: the object, its lifetime and the name registry.
 *
 * Locking (see include/ferrite/port.h): ports_lock guards the list of live
 * (not yet destroyed) ports, their names and the limits counted on it;
 * port->lock guards the port's queue and sleepers. ports_lock is taken
 * before port->lock. A destroyed port leaves the list at once and is freed
 * on its last port_put (files still pointing at it get -EIDRM).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/port.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include "port_internal.h"

static struct spinlock ports_lock = SPINLOCK_INIT("ports");
static LIST_HEAD(ports_list);  /* live ports; Lock: ports_lock */
static unsigned ports_listed;  /* Lock: ports_lock */
static size_t ports_live;      /* allocated ports; atomic */

size_t ports_count_live(void)
{
	return __atomic_load_n(&ports_live, __ATOMIC_RELAXED);
}

/* Return: the live port named name (caller holds ports_lock), or NULL. */
static struct port *find_locked(const char *name)
{
	struct port *p;

	list_for_each_entry(p, &ports_list, all_node)
		if (p->name[0] && !strcmp(p->name, name))
			return p;
	return NULL;
}

static unsigned count_owned_locked(pid_t owner)
{
	struct port *p;
	unsigned n = 0;

	list_for_each_entry(p, &ports_list, all_node)
		n += p->owner == owner;
	return n;
}

struct port *port_create(const char *name, unsigned mode)
{
	pid_t owner = current->proc->pid;

	if (name && (!name[0] || strlen(name) >= FERRITE_PORT_NAME_MAX))
		return ERR_PTR(name[0] ? -ENAMETOOLONG : -EINVAL);
	__free(kfree) struct port *p = kzalloc(sizeof(*p));
	if (!p)
		return ERR_PTR(-ENOMEM);
	ref_init(&p->ref);
	spin_init(&p->lock, "port");
	list_init(&p->queue);
	list_init(&p->receivers);
	list_init(&p->calls);
	waitqueue_init(&p->recv_wait);
	waitqueue_init(&p->send_wait);
	p->next_token = 1;
	p->owner = owner;
	p->uid = current->proc->euid;
	p->gid = current->proc->egid;
	p->mode = mode & 0777;
	if (name)
		memcpy(p->name, name, strlen(name) + 1);

	guard(spinlock)(&ports_lock);
	if (ports_listed >= FERRITE_PORT_TOTAL_MAX ||
	    count_owned_locked(owner) >= FERRITE_PORT_PER_PROC_MAX)
		return ERR_PTR(-ENOSPC);
	if (name && find_locked(name))
		return ERR_PTR(-EEXIST);
	list_add_tail(&p->all_node, &ports_list);
	p->listed = true;
	ports_listed++;
	__atomic_add_fetch(&ports_live, 1, __ATOMIC_RELAXED);
	return take_ptr(p);
}

struct port *port_lookup(const char *name)
{
	struct port *p;

	guard(spinlock)(&ports_lock);
	p = find_locked(name);
	if (!p || !ref_get_unless_zero(&p->ref))
		return ERR_PTR(-ENOENT);
	return p;
}

void port_get(struct port *p)
{
	ref_get(&p->ref);
}

static void port_release(struct ref *r)
{
	struct port *p = container_of(r, struct port, ref);

	/* Every file is gone, so the receive right was released: dead. */
	BUG_ON(!p->dead || !list_empty(&p->queue) || !list_empty(&p->calls));
	port_msg_spares_free(p);
	kfree(p);
	__atomic_sub_fetch(&ports_live, 1, __ATOMIC_RELAXED);
}

void port_put(struct port *p)
{
	ref_put(&p->ref, port_release);
}

bool port_destroy(struct port *p)
{
	struct port_msg *m, *n;
	struct port_call *c, *cn;
	LIST_HEAD(dropped);

	scoped_guard(spinlock, &ports_lock) {
		if (p->listed) {
			list_del(&p->all_node);
			p->listed = false;
			ports_listed--;
		}
	}
	scoped_guard(spinlock, &p->lock) {
		if (p->dead)
			return false;
		p->dead = true;
		/* Callers whose request was never received: -EIDRM. */
		list_for_each_entry_safe(m, n, &p->queue, node) {
			list_del(&m->node);
			if (m->call) {
				port_call_finish_locked(p, m->call, -EIDRM, NULL);
				m->call = NULL;
			}
			list_add_tail(&m->node, &dropped);
		}
		p->nr_msgs = 0;
		/* Callers holding a received reply right: the right is dropped. */
		list_for_each_entry_safe(c, cn, &p->calls, node) {
			list_del(&c->node);
			port_call_finish_locked(p, c, -EPIPE, NULL);
		}
		port_wake_receivers_locked(p); /* blocked receivers see p->dead */
	}
	/* Pollers and blocked senders see p->dead. */
	wake_up_all(&p->recv_wait);
	wake_up_all(&p->send_wait);
	list_for_each_entry_safe(m, n, &dropped, node)
		port_msg_free(m);
	return true;
}
