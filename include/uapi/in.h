/*
 * Internet sockets' user ABI (the same on riscv64 and x86_64): protocol
 * numbers, sockaddr_in/sockaddr_in6, IP/IPv6/TCP option names, struct
 * linger. Addresses and ports in these structs are in network order.
 */
#pragma once
#include <ferrite/types.h>

#define IPPROTO_IP 0
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_ICMPV6 58

struct sockaddr_in {
	uint16_t sin_family;
	uint16_t sin_port;
	uint32_t sin_addr;
	uint8_t sin_zero[8];
};

struct sockaddr_in6 {
	uint16_t sin6_family;
	uint16_t sin6_port;
	uint32_t sin6_flowinfo;
	uint8_t sin6_addr[16];
	uint32_t sin6_scope_id;
};
#define SIN6_LEN_RFC2133 24 /* without sin6_scope_id: Linux accepts it */

struct linger {
	int l_onoff;
	int l_linger;
};

/* IPPROTO_TCP */
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_QUICKACK 12
/* IPPROTO_IP */
#define IP_TOS 1
#define IP_TTL 2
#define IP_RECVERR 11
/* IPPROTO_IPV6 */
#define IPV6_UNICAST_HOPS 16
#define IPV6_V6ONLY 26
