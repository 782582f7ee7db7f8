/*
 * User ABI of Ferrite's message ports (see docs/ports.md).
 *
 * Self-contained (no includes) so that both the kernel and user programs
 * (user/tests, user/ipctest) can include it. Identical on riscv64 and
 * x86_64 (LP64). Timeouts are `struct timespec *` (relative, CLOCK_MONOTONIC;
 * NULL waits forever).
 */
#ifndef FERRITE_UAPI_PORT_H
#define FERRITE_UAPI_PORT_H

/* Extension syscall numbers, the same on both architectures. */
#define __NR_ferrite_port_create 1000  /* (const char *name, unsigned flags) -> receive-right fd */
#define __NR_ferrite_port_connect 1001 /* (const char *name, unsigned flags) -> send-right fd */
#define __NR_ferrite_port_send 1002    /* (int fd, const struct ferrite_port_msg *m, unsigned flags) */
#define __NR_ferrite_port_recv 1003    /* (int fd, struct ferrite_port_msg *m, unsigned flags, const struct timespec *timeout) */
#define __NR_ferrite_port_call 1004    /* (int fd, const struct ferrite_port_msg *req, struct ferrite_port_msg *rep, unsigned flags, const struct timespec *timeout) */
#define __NR_ferrite_port_reply 1005   /* (int fd, unsigned long token, const struct ferrite_port_msg *rep) */
#define __NR_ferrite_port_destroy 1006 /* (int fd) */
/* reply (unless token is 0) then recv, one call: (int fd, unsigned long token,
 * const struct ferrite_port_msg *rep, struct ferrite_port_msg *m, unsigned flags,
 * const struct timespec *timeout) */
#define __NR_ferrite_port_reply_recv 1007

/* Flags. */
#define FERRITE_PORT_NONBLOCK 0x1 /* send/recv/call: -EAGAIN instead of sleeping */
#define FERRITE_PORT_CLOEXEC 0x2  /* create/connect: close the fd on execve */
/* create: who may connect to a named port, as file mode bits (the w bits:
 * connecting gives a send right) of the creator's euid/egid; 0 = 0666,
 * anyone (the default before modes existed). connect: -EACCES. */
#define FERRITE_PORT_MODE(m) (((unsigned)(m) & 0777u) << 16)
#define FERRITE_PORT_MODE_MASK (0777u << 16)

/* Limits. */
#define FERRITE_PORT_MSG_MAX 4096    /* payload bytes per message (else EMSGSIZE) */
#define FERRITE_PORT_QUEUE_MAX 64    /* queued messages per port (then EAGAIN/sleep) */
#define FERRITE_PORT_PER_PROC_MAX 64 /* live ports created per process (then ENOSPC) */
#define FERRITE_PORT_TOTAL_MAX 1024  /* live ports in the system (then ENOSPC) */
#define FERRITE_PORT_NAME_MAX 32     /* name buffer, NUL included (else ENAMETOOLONG) */

/*
 * A message header. send/call/reply read type, data and size; recv and the
 * reply of call read data and size (the buffer's capacity) and write type,
 * size, sender and token.
 */
struct ferrite_port_msg {
	long type;           /* any value, chosen by the sender */
	unsigned long data;  /* user address of the payload buffer */
	unsigned long size;  /* payload bytes (in: capacity when receiving) */
	long sender;         /* out: pid of the sending process */
	unsigned long token; /* out: one-shot reply right, 0 for a plain send */
};

#endif
