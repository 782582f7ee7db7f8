/*
 * Network interface ioctls' user ABI (SIOCGIF*): struct ifreq, struct
 * ifconf and the interface flags, as Linux's <linux/if.h>.
 */
#pragma once
#include <ferrite/types.h>

#define IFNAMSIZ 16

#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_NOARP 0x80

#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCSIFFLAGS 0x8914
#define SIOCGIFADDR 0x8915
#define SIOCGIFDSTADDR 0x8917
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMETRIC 0x891d
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCGIFTXQLEN 0x8942

struct user_sockaddr {
	uint16_t sa_family;
	char sa_data[14];
};

/* 40 bytes on both 64-bit ABIs: the name and a 24-byte union. */
struct ifreq {
	char ifr_name[IFNAMSIZ];
	union {
		struct user_sockaddr ifr_addr;
		short ifr_flags;
		int ifr_ifindex;
		int ifr_mtu;
		int ifr_metric;
		char ifr_pad[24];
	};
};

struct ifconf {
	int ifc_len;
	union {
		char __user *ifc_buf;
		struct ifreq __user *ifc_req;
	};
};
