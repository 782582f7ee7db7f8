/*
 * The loopback interface as programs see it: SIOCGIFCONF lists lo with
 * 127.0.0.1, SIOCGIFFLAGS/SIOCGIFADDR/SIOCGIFNETMASK/SIOCGIFMTU and
 * SIOCGIFINDEX/SIOCGIFNAME agree, if_nametoindex/if_indextoname work (on
 * any socket, AF_UNIX too), SIOCSIFFLAGS brings lo up, unknown names are
 * ENODEV; getaddrinfo("localhost") resolves to a loopback address through
 * /etc/hosts and a TCP connection to it works.
 */
#include "common.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int main(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0, "socket");
	struct ifreq reqs[16];
	struct ifconf ifc = { .ifc_len = sizeof(reqs), .ifc_req = reqs };
	CHECK(ioctl(s, SIOCGIFCONF, &ifc) == 0, "SIOCGIFCONF");
	int found = 0;
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++) {
		struct sockaddr_in *a = (void *)&reqs[i].ifr_addr;
		if (!strcmp(reqs[i].ifr_name, "lo")) {
			CHECK(a->sin_family == AF_INET && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
			      "lo's address");
			found = 1;
		}
	}
	CHECK(found, "lo listed");
	struct ifconf count = { .ifc_len = 0, .ifc_buf = NULL };
	CHECK(ioctl(s, SIOCGIFCONF, &count) == 0 && count.ifc_len >= (int)sizeof(struct ifreq),
	      "SIOCGIFCONF size query: %d", count.ifc_len);

	struct ifreq r = { 0 };
	strcpy(r.ifr_name, "lo");
	CHECK(ioctl(s, SIOCGIFFLAGS, &r) == 0, "SIOCGIFFLAGS");
	CHECK((r.ifr_flags & (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)) ==
		      (IFF_UP | IFF_LOOPBACK | IFF_RUNNING), "flags %x", r.ifr_flags);
	if (geteuid() == 0)
		CHECK(ioctl(s, SIOCSIFFLAGS, &r) == 0, "SIOCSIFFLAGS (up, as it was)");
	CHECK(ioctl(s, SIOCGIFADDR, &r) == 0, "SIOCGIFADDR");
	struct sockaddr_in *a = (void *)&r.ifr_addr;
	CHECK(a->sin_family == AF_INET && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK), "address");
	CHECK(ioctl(s, SIOCGIFNETMASK, &r) == 0 && a->sin_addr.s_addr == htonl(0xff000000),
	      "netmask");
	CHECK(ioctl(s, SIOCGIFMTU, &r) == 0 && r.ifr_mtu == 65536, "mtu %d", r.ifr_mtu);
	CHECK(ioctl(s, SIOCGIFINDEX, &r) == 0 && r.ifr_ifindex >= 1, "SIOCGIFINDEX");
	int index = r.ifr_ifindex;
	memset(r.ifr_name, 0, sizeof(r.ifr_name));
	CHECK(ioctl(s, SIOCGIFNAME, &r) == 0 && !strcmp(r.ifr_name, "lo"), "SIOCGIFNAME");
	strcpy(r.ifr_name, "nosuch0");
	CHECK_ERRNO(ioctl(s, SIOCGIFFLAGS, &r), ENODEV);
	CHECK_ERRNO(ioctl(s, SIOCGIFFLAGS, launder_ptr(8)), EFAULT);
	close(s);

	CHECK(if_nametoindex("lo") == (unsigned)index, "if_nametoindex");
	CHECK(if_nametoindex("nosuch0") == 0, "if_nametoindex of nothing");
	char name[IF_NAMESIZE];
	CHECK(if_indextoname(index, name) && !strcmp(name, "lo"), "if_indextoname");
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	strcpy(r.ifr_name, "lo");
	CHECK(ioctl(u, SIOCGIFINDEX, &r) == 0 && r.ifr_ifindex == index, "on an AF_UNIX socket");
	close(u);

	/* localhost through /etc/hosts; connect to every answer. */
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int err = getaddrinfo("localhost", "7", &hints, &res);
	CHECK(err == 0, "getaddrinfo(localhost): %s", gai_strerror(err));
	int v4 = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *in = (void *)ai->ai_addr;
			CHECK(in->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && in->sin_port == htons(7),
			      "localhost is 127.0.0.1");
			v4 = 1;
		} else {
			CHECK(ai->ai_family == AF_INET6 &&
			      IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr),
			      "localhost is ::1");
		}
	}
	CHECK(v4, "an IPv4 answer");
	freeaddrinfo(res);
	return 0;
}
