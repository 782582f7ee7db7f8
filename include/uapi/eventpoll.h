/*
 * epoll(7) and eventfd(2) user ABI. struct epoll_event is packed on x86_64
 * only (12 bytes there, 16 on riscv64), exactly as Linux's uapi header.
 */
#pragma once
#include <ferrite/types.h>

#define EPOLL_CLOEXEC 02000000 /* O_CLOEXEC */

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EPOLLIN 0x00000001u
#define EPOLLPRI 0x00000002u
#define EPOLLOUT 0x00000004u
#define EPOLLERR 0x00000008u
#define EPOLLHUP 0x00000010u
#define EPOLLNVAL 0x00000020u
#define EPOLLRDNORM 0x00000040u
#define EPOLLRDBAND 0x00000080u
#define EPOLLWRNORM 0x00000100u
#define EPOLLWRBAND 0x00000200u
#define EPOLLMSG 0x00000400u
#define EPOLLRDHUP 0x00002000u
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)

struct epoll_event {
	uint32_t events;
	uint64_t data;
}
#ifdef __x86_64__
__attribute__((packed))
#endif
;

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC 02000000 /* O_CLOEXEC */
#define EFD_NONBLOCK 00004000 /* O_NONBLOCK */
