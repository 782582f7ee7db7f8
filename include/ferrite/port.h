/*
 * Message ports: Ferrite's native IPC (src/ipc/port*.c, docs/ports.md).
 *
 * A port has one receive right (the file returned by port creation: the
 * creator receives and replies) and any number of send rights (files from
 * connect, or the receive right itself). It holds a bounded FIFO of typed
 * messages. `call` sends a message carrying a one-shot reply right and
 * sleeps until `reply` uses it, or until the right is dropped (-EPIPE) or
 * the port is destroyed before the message was received (-EIDRM).
 *
 * Ownership: struct port is refcounted (every port file holds one). The
 * port is destroyed (port_destroy) when its receive-right file is released
 * or on explicit destroy; it is freed on the last port_put.
 *
 * Locking: ports_lock (port.c) guards the list of live ports and
 * their names; port->lock guards the queue, the blocked receivers, the
 * received calls and `dead`. Order: ports_lock -> port->lock -> wait queue
 * locks -> run queue locks. No user memory is touched under either lock.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <ferrite/waitqueue.h>
#include <ferrite/errno.h>
#include <ferrite/cleanup.h>
#include <ferrite/kmalloc.h>
#include <uapi/ferrite_port.h>

struct task;
struct file;

struct port {
	struct ref ref;
	struct spinlock lock;
	bool dead;                  /* destroyed: every operation -EIDRM; Lock: lock */
	struct list_head queue;     /* struct port_msg, oldest first; Lock: lock */
	unsigned nr_msgs;           /* Lock: lock */
	struct list_head receivers; /* struct port_rcv of blocked receivers; Lock: lock */
	struct list_head calls;     /* received calls awaiting reply; Lock: lock */
	unsigned long next_token;   /* Lock: lock */
	struct waitqueue recv_wait; /* receivers and pollers (POLLIN) */
	struct waitqueue send_wait; /* senders waiting for room (POLLOUT) */
	pid_t owner;                /* creating process */
	uid_t uid;                  /* creator's euid (connect permission) */
	gid_t gid;                  /* creator's egid */
	unsigned mode;              /* 0..0777: the w bits allow connect */
	struct list_head all_node;  /* live ports; Lock: ports_lock */
	bool listed;                /* on the live list; Lock: ports_lock */
	char name[FERRITE_PORT_NAME_MAX]; /* "" = anonymous; Lock: ports_lock */
#define PORT_MSG_SPARES 4
	struct port_msg *spare[PORT_MSG_SPARES]; /* free small messages; Lock: lock */
	unsigned nr_spare;                       /* Lock: lock */
};

/* One message (header + payload), owned by whoever holds it. */
struct port_msg {
	struct list_head node;  /* in port->queue */
	long type;
	size_t size;
	pid_t sender;
	struct port_call *call; /* waiting caller while queued, else NULL */
	unsigned long token;    /* reply right once received (0: plain send) */
	bool small;             /* from the small-message cache (port_msg.c) */
	bool on_stack;          /* in a struct port_msg_buf: never freed */
	char data[] __attribute__((aligned(8))); /* small ones copy by words */
};

/*
 * A small message on a kernel stack, no allocation: a sender's staging
 * copy, or the inbox a blocked receiver or caller offers, into which a
 * small message is copied when it is handed over (port_msg.c).
 */
#define PORT_MSG_SMALL 64
struct port_msg_buf {
	struct port_msg msg;
	char room[PORT_MSG_SMALL];
};

/* A caller waiting in port_call (lives on the caller's kernel stack). */
enum { PORT_CALL_QUEUED, PORT_CALL_RECEIVED, PORT_CALL_DONE };
struct port_call {
	struct task *caller;     /* sleeps until DONE (port_call.c) */
	struct list_head node;   /* in port->calls while RECEIVED; Lock: port->lock */
	struct port_msg *msg;    /* the request while QUEUED; Lock: port->lock */
	unsigned long token;     /* Lock: port->lock */
	int state;               /* PORT_CALL_*; Lock: port->lock */
	int error;               /* when DONE: 0, -EPIPE or -EIDRM */
	size_t reply_cap;        /* largest reply the caller accepts */
	struct port_msg *reply;  /* when DONE with 0 */
	struct port_msg_buf *inbox; /* for a small reply, or NULL */
};

/* ---- objects and registry (port.c) ---- */
/* Return: a new port (refcount 1) owned by the current process, registered
 * under name when name is not NULL; or ERR_PTR(-ENOSPC/-EEXIST/-ENOMEM). */
struct port *port_create(const char *name, unsigned mode /* 0..0777, who may connect */);
/* Return: new reference to the live port named name, or ERR_PTR(-ENOENT). */
struct port *port_lookup(const char *name);
void port_get(struct port *p);
void port_put(struct port *p);
DEFINE_FREE(port_put, struct port *, if (!IS_ERR_OR_NULL(_T)) port_put(_T))
/* Mark dead, unregister, wake every sleeper with its error. Return: true
 * for the call that destroyed it, false when it already was dead. */
bool port_destroy(struct port *p);
/* Number of allocated ports (leak checks). */
size_t ports_count_live(void);

/* ---- messages (port_msg.c); flags are FERRITE_PORT_*; deadline_ns is
 * monotonic (0: none). Messages passed in are consumed in every case. ---- */
/* Return: a message with room for size payload bytes, or NULL. */
struct port_msg *port_msg_alloc(size_t size);
/* Free m (a message on a stack is left alone). Inline: most messages of a
 * call or reply are on a stack. */
static inline void port_msg_free(struct port_msg *m)
{
	if (!m->on_stack)
		kfree(m);
}
/* port_msg_free_in for a message on the heap. */
void port_msg_recycle(struct port *p, struct port_msg *m);
/* Free m, keeping a small one as one of p's spares (p alive). */
static inline void port_msg_free_in(struct port *p, struct port_msg *m)
{
	if (!m->on_stack)
		port_msg_recycle(p, m);
}
/* Free p's spare messages (p is being freed, or dead and drained). */
void port_msg_spares_free(struct port *p);
DEFINE_FREE(port_msg_free, struct port_msg *, if (_T) port_msg_free(_T))
long port_send(struct port *p, struct port_msg *m, unsigned flags, uint64_t deadline_ns);
/* Receive a message of at most cap bytes into *out (-EMSGSIZE leaves a
 * larger one queued). A call message comes with m->token set. */
long port_recv(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
	       struct port_msg **out);
/* Send req and wait for the reply (at most reply_cap bytes) into *reply. */
long port_call(struct port *p, struct port_msg *req, size_t reply_cap, unsigned flags,
	       uint64_t deadline_ns, struct port_msg **reply);
/* port_call, a small reply landing in inbox (then *reply points there). */
long port_call_into(struct port *p, struct port_msg *req, size_t reply_cap, unsigned flags,
		    uint64_t deadline_ns, struct port_msg_buf *inbox, struct port_msg **reply);
/* Use the reply right token: 0, -ENOENT (unknown or used), -EMSGSIZE
 * (larger than the caller accepts; the right stays valid), -EIDRM. */
long port_reply(struct port *p, unsigned long token, struct port_msg *m);
/* Reply with m on token (none when token is 0; m may then be NULL), then
 * receive like port_recv, a small message landing in inbox. A reply error
 * (as port_reply's) is returned before anything is received; a signal
 * after the reply gives -EINTR, never a restart. */
long port_reply_recv(struct port *p, unsigned long token, struct port_msg *m, size_t cap,
		     unsigned flags, uint64_t deadline_ns, struct port_msg_buf *inbox,
		     struct port_msg **out);
/* Drop the reply right token without replying (the caller gets -EPIPE). */
void port_drop_reply(struct port *p, unsigned long token);

/* ---- files (port_file.c) ---- */
/* Install a file for p (reference consumed): the receive right when recv,
 * else a send right. Return: fd or -errno. */
int port_fd_install(struct port *p, bool recv, unsigned flags);
/* The port behind an fd: port_from_fd (src/ipc/port_internal.h). */
