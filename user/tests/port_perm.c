/*
 * Port permissions (needs Ferrite; exits 77 elsewhere): a named port
 * created with FERRITE_PORT_MODE(m) lets only those whose euid/egid the w
 * bits of m allow connect (a send right); others get EACCES, root passes.
 * Without a mode a port is open to all (0666), as before modes existed.
 */
#include "common.h"
#include <sys/syscall.h>
#include "../../include/uapi/ferrite_port.h"

static long port_create(const char *name, unsigned flags)
{
	return syscall(__NR_ferrite_port_create, name, flags);
}

static long port_connect(const char *name)
{
	return syscall(__NR_ferrite_port_connect, name, 0);
}

static char priv[32], grp[32], open_[32];

static void as_user(void *arg)
{
	(void)arg;
	CHECK(syscall(SYS_setgroups, 0, NULL) == 0, "setgroups");
	CHECK(syscall(SYS_setresgid, 4242, 4242, 4242) == 0, "setresgid");
	CHECK(syscall(SYS_setresuid, 65534, 65534, 65534) == 0, "setresuid");
	CHECK_ERRNO(port_connect(priv), EACCES);
	long fd = port_connect(grp);
	CHECK(fd >= 0, "the group's w bit lets a member connect");
	close((int)fd);
	fd = port_connect(open_);
	CHECK(fd >= 0, "a port without a mode is open to all");
	close((int)fd);
	CHECK_ERRNO(port_connect("no-such-port"), ENOENT);
}

int main(void)
{
	if (port_create(NULL, 0) < 0 && errno == ENOSYS)
		return 77;
	if (geteuid() != 0)
		return 77;
	snprintf(priv, sizeof(priv), "pp-priv-%d", (int)getpid());
	snprintf(grp, sizeof(grp), "pp-grp-%d", (int)getpid());
	snprintf(open_, sizeof(open_), "pp-open-%d", (int)getpid());
	long a = port_create(priv, FERRITE_PORT_MODE(0600));
	CHECK(a >= 0, "create 0600");
	CHECK(setegid(4242) == 0, "setegid");
	long b = port_create(grp, FERRITE_PORT_MODE(0620));
	CHECK(setegid(0) == 0, "setegid back");
	CHECK(b >= 0, "create 0620");
	long c = port_create(open_, 0);
	CHECK(c >= 0, "create without a mode");
	CHECK_ERRNO(port_create("pp-bad", FERRITE_PORT_MODE(0600) | 0x80), EINVAL);
	long fd = port_connect(priv);
	CHECK(fd >= 0, "root connects to a 0600 port");
	close((int)fd);
	int st = run_in_child(as_user, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged child: status 0x%x", st);
	close((int)a), close((int)b), close((int)c);
	return 0;
}
