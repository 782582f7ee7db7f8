/*
 * Ports: destroy while others wait. A caller whose request was not yet
 * received gets EIDRM when the owner destroys the port; a caller whose
 * request was received gets EPIPE when the receiver exits without
 * replying; a blocked sender and a blocked receiver get EIDRM. Ferrite only.
 */
#include "common.h"
#include "port_util.h"

/* Fork a child that runs fn(port) and exits with its result. */
static pid_t spawn(int (*fn)(int), int port)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(fn(port));
	return pid;
}

static int expect_status(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + (status & 0x7f);
}

/* Child: call and report the errno (0 on success). */
static int caller(int port)
{
	struct ferrite_port_msg m;
	char buf[16];

	if (port_call(port, 1, "req", 3, &m, buf, sizeof(buf), 0, NULL) >= 0)
		return 0;
	return errno;
}

static int sender_fill(int port)
{
	for (int i = 0; i <= FERRITE_PORT_QUEUE_MAX; i++)
		if (port_send(port, 1, "x", 1, 0))
			return errno;
	return 0;
}

int main(void)
{
	struct ferrite_port_msg m;
	char buf[16];
	int port, conn;
	pid_t pid;

	port_require_ferrite();

	/* 1. Request still queued when the port is destroyed: EIDRM. */
	port = port_create("test.destroy", 0);
	CHECK(port >= 0, "port_create");
	conn = port_connect("test.destroy", 0);
	pid = spawn(caller, conn);
	usleep(100 * 1000);
	CHECK(port_destroy(port) == 0, "destroy");
	CHECK(expect_status(pid) == EIDRM, "queued caller: want EIDRM");
	close(port);
	close(conn);

	/* 2. Request received, receiver exits without replying: EPIPE. */
	port = port_create("test.destroy", 0); /* the name is free again */
	CHECK(port >= 0, "port_create again");
	conn = port_connect("test.destroy", 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(port);
		_exit(caller(conn));
	}
	CHECK(port_recv(port, &m, buf, sizeof(buf), 0, NULL) == 3 && m.token, "recv request");
	close(port); /* the last receive right: the reply right is dropped */
	CHECK(expect_status(pid) == EPIPE, "received caller: want EPIPE");
	close(conn);

	/* 3. A sender blocked on a full port: EIDRM. */
	port = port_create(NULL, 0);
	pid = spawn(sender_fill, port);
	usleep(100 * 1000);
	CHECK(port_destroy(port) == 0, "destroy full");
	CHECK(expect_status(pid) == EIDRM, "blocked sender: want EIDRM");
	close(port);

	/* 4. A receiver blocked in recv: EIDRM (a second thread of control is
	 * the child sharing the receive right through fork). */
	port = port_create(NULL, 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (port_recv(port, &m, buf, sizeof(buf), 0, NULL) >= 0)
			_exit(0);
		_exit(errno);
	}
	usleep(100 * 1000);
	CHECK(port_destroy(port) == 0, "destroy with receiver");
	CHECK(expect_status(pid) == EIDRM, "blocked receiver: want EIDRM");
	close(port);
	return 0;
}
