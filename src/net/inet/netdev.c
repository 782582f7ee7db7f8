/*
 * Network devices and their ioctls. Devices register once and live
 * forever; the list only grows (netdev_lock guards it). The loopback
 * device `lo` (index 1, 127.0.0.1/8 and ::1) is the first: its xmit hands
 * the packet straight back to ip_rcv(), synchronously, in the sender's
 * context. The SIOCGIF* ioctls answer from any socket, as on Linux.
 */
#include <ferrite/errno.h>
#include <ferrite/net.h>
#include <ferrite/socket.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <uapi/if.h>
#include <uapi/socket.h>
#include "inet_internal.h"

static struct spinlock netdev_lock = SPINLOCK_INIT("netdev");
static struct list_head netdevs = LIST_HEAD_INIT(netdevs); /* Lock: netdev_lock */
static int netdev_next_index = 1;                           /* Lock: netdev_lock */


static int loopback_xmit(struct net_device *dev, struct pkb *p)
{
	__atomic_add_fetch(&dev->tx_packets, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&dev->tx_bytes, p->len, __ATOMIC_RELAXED);
	ip_rcv(dev, p);
	return 0;
}

struct net_device loopback_dev = {
	.name = "lo",
	.flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING,
	.mtu = 65536,
	.addr4 = 0x0100007f, /* 127.0.0.1 in network order (little-endian CPUs) */
	.mask4 = 0x000000ff, /* 255.0.0.0 */
	.xmit = loopback_xmit,
};

void netdev_register(struct net_device *dev)
{
	guard(spinlock)(&netdev_lock);
	dev->index = netdev_next_index++;
	list_add_tail(&dev->node, &netdevs);
}

void inet_init(void)
{
	netdev_register(&loopback_dev); /* the first device: index 1 */
}

void inet_start_threads(void)
{
	tcp_init();
}

struct net_device *netdev_by_index(int index)
{
	struct net_device *d;

	guard(spinlock)(&netdev_lock);
	list_for_each_entry(d, &netdevs, node)
		if (d->index == index)
			return d;
	return NULL;
}

struct net_device *netdev_by_name(const char *name)
{
	struct net_device *d;

	guard(spinlock)(&netdev_lock);
	list_for_each_entry(d, &netdevs, node)
		if (!strncmp(d->name, name, IFNAMSIZ))
			return d;
	return NULL;
}

static void put_addr4(struct user_sockaddr *sa, uint32_t addr)
{
	memset(sa, 0, sizeof(*sa));
	sa->sa_family = AF_INET;
	memcpy(sa->sa_data + 2, &addr, 4); /* sockaddr_in: port, then address */
}

/* SIOCGIFCONF: an ifreq with the IPv4 address of each device that has one. */
static long netdev_ifconf(struct ifconf __user *uifc)
{
	struct ifconf ifc;
	struct net_device *d;
	int used = 0;

	if (copy_from_user(&ifc, uifc, sizeof(ifc)))
		return -EFAULT;
	for (int index = 1;; index++) {
		scoped_guard(spinlock, &netdev_lock) {
			d = NULL;
			struct net_device *it;
			list_for_each_entry(it, &netdevs, node)
				if (it->index == index)
					d = it;
		}
		if (!d)
			break;
		if (!d->addr4)
			continue;
		if (ifc.ifc_buf) {
			if (ifc.ifc_len - used < (int)sizeof(struct ifreq))
				break;
			struct ifreq r = { 0 };
			memcpy(r.ifr_name, d->name, IFNAMSIZ);
			put_addr4(&r.ifr_addr, d->addr4);
			if (copy_to_user(ifc.ifc_buf + used, &r, sizeof(r)))
				return -EFAULT;
		}
		used += (int)sizeof(struct ifreq);
	}
	return put_user(used, &uifc->ifc_len) ? -EFAULT : 0;
}

long netdev_ioctl(unsigned cmd, unsigned long arg)
{
	struct ifreq r;
	struct ifreq __user *ur = (struct ifreq __user *)arg;

	switch (cmd) {
	case SIOCGIFCONF:
		return netdev_ifconf((struct ifconf __user *)arg);
	case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCSIFFLAGS: case SIOCGIFADDR:
	case SIOCGIFDSTADDR: case SIOCGIFBRDADDR: case SIOCGIFNETMASK: case SIOCGIFMETRIC:
	case SIOCGIFMTU: case SIOCGIFHWADDR: case SIOCGIFINDEX: case SIOCGIFTXQLEN:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&r, ur, sizeof(r)))
		return -EFAULT;
	r.ifr_name[IFNAMSIZ - 1] = '\0';
	struct net_device *d = cmd == SIOCGIFNAME ? netdev_by_index(r.ifr_ifindex)
						  : netdev_by_name(r.ifr_name);
	if (!d)
		return -ENODEV;
	switch (cmd) {
	case SIOCGIFNAME:
		memcpy(r.ifr_name, d->name, IFNAMSIZ);
		break;
	case SIOCGIFFLAGS:
		r.ifr_flags = (short)READ_ONCE(d->flags);
		break;
	case SIOCSIFFLAGS:
		if (current->proc->euid != 0)
			return -EPERM;
		/* Only UP can change; RUNNING follows it (a loopback has no carrier). */
		WRITE_ONCE(d->flags, (d->flags & ~(IFF_UP | IFF_RUNNING)) |
					     ((r.ifr_flags & IFF_UP) ? IFF_UP | IFF_RUNNING : 0));
		return 0;
	case SIOCGIFADDR:
	case SIOCGIFDSTADDR:
		if (!d->addr4)
			return -EADDRNOTAVAIL;
		put_addr4(&r.ifr_addr, d->addr4);
		break;
	case SIOCGIFBRDADDR:
		put_addr4(&r.ifr_addr, 0);
		break;
	case SIOCGIFNETMASK:
		if (!d->addr4)
			return -EADDRNOTAVAIL;
		put_addr4(&r.ifr_addr, d->mask4);
		break;
	case SIOCGIFMETRIC:
		r.ifr_metric = 0;
		break;
	case SIOCGIFMTU:
		r.ifr_mtu = (int)d->mtu;
		break;
	case SIOCGIFHWADDR:
		memset(&r.ifr_addr, 0, sizeof(r.ifr_addr));
		r.ifr_addr.sa_family = 772; /* ARPHRD_LOOPBACK */
		break;
	case SIOCGIFINDEX:
		r.ifr_ifindex = d->index;
		break;
	case SIOCGIFTXQLEN:
		r.ifr_ifindex = 1000;
		break;
	}
	return copy_to_user(ur, &r, sizeof(r)) ? -EFAULT : 0;
}
