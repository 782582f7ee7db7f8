/*
 * Sockets' user ABI (the same numbers on riscv64 and x86_64): families,
 * types, message flags, options, control messages, struct msghdr.
 */
#pragma once
#include <ferrite/types.h>

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK 00004000 /* O_NONBLOCK */
#define SOCK_CLOEXEC 02000000  /* O_CLOEXEC */

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20 /* SO_RCVTIMEO_OLD: struct timeval of 64-bit fields */
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define SCM_MAX_FD 253 /* descriptors in one SCM_RIGHTS message, as Linux */

typedef uint16_t sa_family_t;

struct sockaddr_un {
	sa_family_t sun_family;
	char sun_path[108];
};

struct ucred {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
};

struct user_iovec {
	void __user *iov_base;
	size_t iov_len;
};

struct user_msghdr {
	void __user *msg_name;
	int msg_namelen;
	struct user_iovec __user *msg_iov;
	size_t msg_iovlen;
	void __user *msg_control;
	size_t msg_controllen;
	unsigned msg_flags;
};

struct user_mmsghdr {
	struct user_msghdr msg_hdr;
	unsigned msg_len;
};

struct cmsghdr {
	size_t cmsg_len; /* header and data, without the final padding */
	int cmsg_level;
	int cmsg_type;
};

#define CMSG_ALIGN(len) (((len) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_HDRLEN CMSG_ALIGN(sizeof(struct cmsghdr))
#define CMSG_SPACE(len) (CMSG_HDRLEN + CMSG_ALIGN(len))
#define CMSG_LEN(len) (CMSG_HDRLEN + (len))
