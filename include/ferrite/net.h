/*
 * The internet protocol layer's shared pieces (src/net/inet/): addresses,
 * packet buffers and the device interface under IP.
 *
 * A packet buffer (struct pkb) has exactly one owner at a time: whoever
 * built it until it is handed to ip_output() or a device's xmit (which
 * consume it), then the receiving protocol, which frees it or moves it to
 * a socket's receive queue (the queue owns it until a reader frees it).
 * The network and transport headers travel parsed, in struct pkb_hdr: a
 * device that puts packets on a wire (virtio-net, later) serialises them
 * in its xmit and parses what it receives before calling ip_rcv(); the
 * loopback device hands the buffer over as it is and needs no checksums.
 */
#pragma once
#include <ferrite/list.h>
#include <ferrite/types.h>

/* An IPv6 address; IPv4 addresses are kept IPv4-mapped (::ffff:a.b.c.d). */
struct inet_addr {
	union {
		uint8_t b[16];
		uint32_t w[4]; /* network order */
	};
};

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10 };

struct pkb_hdr {
	uint8_t proto;          /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	struct inet_addr saddr, daddr;
	uint16_t sport, dport;  /* host order */
	/* TCP */
	uint32_t seq, ack, wnd;
	uint8_t flags;
	/* ICMP port unreachable: the protocol of the datagram it answers
	 * (whose addresses and ports the fields above carry, reversed). */
	uint8_t icmp_proto;
};

struct net_device;

struct pkb {
	struct list_head node;  /* on one queue at a time; Lock: the queue's */
	struct net_device *dev; /* the device it arrived on (borrowed) */
	struct pkb_hdr h;
	size_t len;             /* payload bytes in data */
	size_t off;             /* bytes a stream reader has consumed */
	char *data;             /* inline_data, or its own allocation when large */
	char inline_data[];
};

/* Return: a new buffer for len payload bytes (header zeroed), or NULL.
 * A large payload gets an allocation of its own, so 64 KiB of data takes
 * 64 KiB of memory, not the next power of two. */
struct pkb *pkb_alloc(size_t len);
void pkb_free(struct pkb *p);
size_t pkbs_count_live(void);

/* A network device. Registered once, never freed. */
struct net_device {
	struct list_head node;  /* on the device list; Lock: netdev_lock */
	char name[16];
	int index;
	unsigned flags;         /* IFF_*; written by SIOCSIFFLAGS */
	unsigned mtu;
	uint32_t addr4, mask4;  /* its IPv4 address and netmask, network order */
	/* Send p (consumed); 0 or -errno. */
	int (*xmit)(struct net_device *dev, struct pkb *p);
	uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes; /* atomic */
};

void netdev_register(struct net_device *dev);
/* The device with this index or name, or NULL. */
struct net_device *netdev_by_index(int index);
struct net_device *netdev_by_name(const char *name);
/* The loopback device: the first registered. */
extern struct net_device loopback_dev;

/* IP: route p by its destination and send it (p consumed); 0 or -errno
 * (-ENETUNREACH when no device reaches the destination). */
int ip_output(struct pkb *p);
/* A device received p (consumed): hand it to its protocol. */
void ip_rcv(struct net_device *dev, struct pkb *p);

/* The SIOCGIF* / SIOCSIF* ioctls, from any socket; -ENOTTY if not one. */
long netdev_ioctl(unsigned cmd, unsigned long arg);
