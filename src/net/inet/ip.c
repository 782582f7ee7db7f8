/*
 * IP: addresses (IPv4 kept IPv4-mapped inside IPv6 ones), routing (the
 * only routes are the loopback ones: 127.0.0.0/8 and ::1 through `lo`),
 * input demultiplexing to TCP/UDP, and the one ICMP message we need:
 * port unreachable, which makes a connected UDP socket's next call fail
 * with ECONNREFUSED. No locks here; devices and protocols have theirs.
 */
#include <ferrite/string.h>
#include <uapi/if.h>
#include "inet_internal.h"

static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool inet_addr_is_v4(const struct inet_addr *a)
{
	return !memcmp(a->b, v4_prefix, sizeof(v4_prefix));
}

bool inet_addr_is_any(const struct inet_addr *a)
{
	return (!a->w[0] && !a->w[1] && (!a->w[2] || inet_addr_is_v4(a))) && !a->w[3];
}

bool inet_addr_is_loopback(const struct inet_addr *a)
{
	if (inet_addr_is_v4(a))
		return a->b[12] == 127;
	static const uint8_t one[16] = { [15] = 1 };
	return !memcmp(a->b, one, 16);
}

void inet_addr_from_v4(struct inet_addr *a, uint32_t be_addr)
{
	memcpy(a->b, v4_prefix, sizeof(v4_prefix));
	a->w[3] = be_addr;
}

static uint16_t be16(uint16_t v)
{
	return (uint16_t)((v >> 8) | (v << 8));
}

int inet_addr_in(const struct inet_sock *s, const void *uaddr, int len, struct inet_addr *addr,
		 uint16_t *port, bool for_bind)
{
	uint16_t family;

	if (len < (int)sizeof(family))
		return -EINVAL;
	memcpy(&family, uaddr, sizeof(family));
	if (s->sock.family == AF_INET) {
		struct sockaddr_in sin;
		if (len < (int)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, uaddr, sizeof(sin));
		/* Linux: bind takes AF_UNSPEC with INADDR_ANY for old programs. */
		if (family != AF_INET && !(for_bind && family == AF_UNSPEC && !sin.sin_addr))
			return -EAFNOSUPPORT;
		inet_addr_from_v4(addr, sin.sin_addr);
		*port = be16(sin.sin_port);
		return 0;
	}
	struct sockaddr_in6 sin6 = { 0 };
	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	memcpy(&sin6, uaddr, MIN((size_t)len, sizeof(sin6)));
	if (family != AF_INET6)
		return for_bind ? -EINVAL : -EAFNOSUPPORT;
	memcpy(addr->b, sin6.sin6_addr, 16);
	*port = be16(sin6.sin6_port);
	if (inet_addr_is_v4(addr) && s->v6only)
		return for_bind ? -EINVAL : -ENETUNREACH;
	return 0;
}

int inet_addr_out(const struct inet_sock *s, const struct inet_addr *addr, uint16_t port,
		  void *out)
{
	if (s->sock.family == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = be16(port),
					   .sin_addr = addr->w[3] };
		memcpy(out, &sin, sizeof(sin));
		return sizeof(sin);
	}
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = be16(port) };
	memcpy(sin6.sin6_addr, addr->b, 16);
	memcpy(out, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

void inet_any_to_loopback(struct inet_addr *a)
{
	if (!inet_addr_is_any(a))
		return;
	if (inet_addr_is_v4(a))
		inet_addr_from_v4(a, loopback_dev.addr4);
	else
		a->b[15] = 1;
}

int inet_pick_source(const struct inet_addr *dst, struct inet_addr *src)
{
	if (!inet_addr_is_loopback(dst))
		return -ENETUNREACH; /* no route but the loopback ones */
	if (inet_addr_is_v4(dst))
		inet_addr_from_v4(src, loopback_dev.addr4);
	else
		*src = *dst;
	return 0;
}

/* The device that reaches daddr, or NULL. */
static struct net_device *ip_route(const struct inet_addr *daddr)
{
	if (!inet_addr_is_loopback(daddr))
		return NULL;
	struct net_device *lo = netdev_by_index(1);
	return lo && (READ_ONCE(lo->flags) & IFF_UP) ? lo : NULL;
}

int ip_output(struct pkb *p)
{
	struct net_device *dev = ip_route(&p->h.daddr);

	if (!dev) {
		pkb_free(p);
		return -ENETUNREACH;
	}
	return dev->xmit(dev, p);
}

void ip_rcv(struct net_device *dev, struct pkb *p)
{
	p->dev = dev;
	__atomic_add_fetch(&dev->rx_packets, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&dev->rx_bytes, p->len, __ATOMIC_RELAXED);
	switch (p->h.proto) {
	case IPPROTO_TCP:
		tcp_rcv(p);
		return;
	case IPPROTO_UDP:
		udp_rcv(p);
		return;
	case IPPROTO_ICMP:
		if (p->h.icmp_proto == IPPROTO_UDP) {
			udp_err(p);
			return;
		}
		break;
	}
	pkb_free(p);
}

void icmp_send_unreach(const struct pkb *orig)
{
	struct pkb *p = pkb_alloc(0);

	if (!p)
		return;
	/* Addressed back to the sender; the answered datagram's addresses
	 * and ports ride along as they were (saddr/sport: the sender). */
	p->h = orig->h;
	p->h.proto = IPPROTO_ICMP;
	p->h.icmp_proto = orig->h.proto;
	p->h.daddr = orig->h.saddr;
	p->h.saddr = orig->h.daddr;
	p->h.sport = orig->h.sport;
	p->h.dport = orig->h.dport;
	ip_output(p);
}
