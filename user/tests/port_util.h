/*
 * Helpers for the message-port guest tests (group "port") and ipctest:
 * raw syscall() wrappers for Ferrite's port calls (include/uapi/ferrite_port.h)
 * and the Ferrite-only skip. Single-threaded users; no locking.
 */
#ifndef FERRITE_USER_PORT_UTIL_H
#define FERRITE_USER_PORT_UTIL_H

#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "../../include/uapi/ferrite_port.h"

/* Ports exist only in Ferrite: elsewhere the test is skipped (77). */
static inline void port_require_ferrite(void)
{
	struct utsname u;

	if (uname(&u) || !strstr(u.release, "ferrite"))
		exit(77);
}

static inline int port_create(const char *name, unsigned flags)
{
	return (int)syscall(__NR_ferrite_port_create, name, flags);
}

static inline int port_connect(const char *name, unsigned flags)
{
	return (int)syscall(__NR_ferrite_port_connect, name, flags);
}

static inline long port_send(int fd, long type, const void *data, unsigned long size, unsigned flags)
{
	struct ferrite_port_msg m = { .type = type, .data = (unsigned long)data, .size = size };

	return syscall(__NR_ferrite_port_send, fd, &m, flags);
}

/* Receive into buf (cap bytes); the header comes back in *m. */
static inline long port_recv(int fd, struct ferrite_port_msg *m, void *buf, unsigned long cap,
			     unsigned flags, const struct timespec *timeout)
{
	memset(m, 0, sizeof(*m));
	m->data = (unsigned long)buf;
	m->size = cap;
	return syscall(__NR_ferrite_port_recv, fd, m, flags, timeout);
}

static inline long port_call(int fd, long type, const void *req, unsigned long size,
			     struct ferrite_port_msg *rep, void *buf, unsigned long cap,
			     unsigned flags, const struct timespec *timeout)
{
	struct ferrite_port_msg m = { .type = type, .data = (unsigned long)req, .size = size };

	memset(rep, 0, sizeof(*rep));
	rep->data = (unsigned long)buf;
	rep->size = cap;
	return syscall(__NR_ferrite_port_call, fd, &m, rep, flags, timeout);
}

static inline long port_reply(int fd, unsigned long token, long type, const void *data,
			      unsigned long size)
{
	struct ferrite_port_msg m = { .type = type, .data = (unsigned long)data, .size = size };

	return syscall(__NR_ferrite_port_reply, fd, token, &m);
}

/* Reply (unless token is 0) with type/data/size, then receive into buf
 * (cap bytes), the header coming back in *m. */
static inline long port_reply_recv(int fd, unsigned long token, long type, const void *data,
				   unsigned long size, struct ferrite_port_msg *m, void *buf,
				   unsigned long cap, unsigned flags, const struct timespec *timeout)
{
	struct ferrite_port_msg rep = { .type = type, .data = (unsigned long)data, .size = size };

	memset(m, 0, sizeof(*m));
	m->data = (unsigned long)buf;
	m->size = cap;
	return syscall(__NR_ferrite_port_reply_recv, fd, token, &rep, m, flags, timeout);
}

static inline long port_destroy(int fd)
{
	return syscall(__NR_ferrite_port_destroy, fd);
}

/* A simple checksum of a payload (FNV-1a). */
static inline unsigned port_sum(const void *p, size_t n)
{
	const unsigned char *c = p;
	unsigned h = 2166136261u;

	while (n--)
		h = (h ^ *c++) * 16777619u;
	return h;
}

#endif
