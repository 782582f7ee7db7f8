/*
 * System V message queues across fork: message types, MSG_EXCEPT,
 * IPC_NOWAIT (ENOMSG), E2BIG and MSG_NOERROR, a blocked receive woken by a
 * send from another process, and IPC_RMID waking a receiver with EIDRM.
 */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>

struct msg {
	long mtype;
	char mtext[64];
};

static void send(int q, long type, const char *text)
{
	struct msg m = { type, "" };
	strcpy(m.mtext, text);
	CHECK(msgsnd(q, &m, strlen(text) + 1, 0) == 0, "msgsnd %s", text);
}

static void recv_expect(int q, long type, int flags, long want_type, const char *want)
{
	struct msg m;
	ssize_t n = msgrcv(q, &m, sizeof(m.mtext), type, flags);
	CHECK(n == (ssize_t)strlen(want) + 1 && m.mtype == want_type && strcmp(m.mtext, want) == 0,
	      "msgrcv(type %ld) got %zd type %ld", type, n, m.mtype);
}

int main(void)
{
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	struct msg m;
	struct msqid_ds ds;
	int st;

	CHECK(q >= 0, "msgget");
	send(q, 1, "one");
	send(q, 2, "two");
	send(q, 3, "three");
	send(q, 1, "uno");
	CHECK(msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qnum == 4, "qnum 4");
	recv_expect(q, 2, 0, 2, "two");               /* exact type */
	recv_expect(q, 1, MSG_EXCEPT, 3, "three");    /* first not of type 1 */
	recv_expect(q, -2, 0, 1, "one");              /* lowest type <= 2 */
	recv_expect(q, 0, 0, 1, "uno");               /* first of any */
	CHECK_ERRNO(msgrcv(q, &m, sizeof(m.mtext), 0, IPC_NOWAIT), ENOMSG);

	/* Too long: E2BIG, or truncated with MSG_NOERROR (message consumed). */
	send(q, 5, "a rather long message");
	CHECK_ERRNO(msgrcv(q, &m, 4, 0, IPC_NOWAIT), E2BIG);
	CHECK(msgrcv(q, &m, 4, 0, IPC_NOWAIT | MSG_NOERROR) == 4 && memcmp(m.mtext, "a ra", 4) == 0,
	      "MSG_NOERROR");
	CHECK_ERRNO(msgrcv(q, &m, sizeof(m.mtext), 0, IPC_NOWAIT), ENOMSG);

	/* A child blocks in msgrcv until we send. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		struct msg r;
		ssize_t n = msgrcv(q, &r, sizeof(r.mtext), 9, 0);
		_exit(n == 5 && strcmp(r.mtext, "wake") == 0 ? 0 : 1);
	}
	usleep(100000);
	send(q, 9, "wake");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "woken receiver");

	/* The reply direction: a child sends, we block. */
	c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		usleep(100000);
		send(q, 4, "from child");
		_exit(0);
	}
	recv_expect(q, 4, 0, 4, "from child");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "sender");

	/* IPC_RMID wakes a blocked receiver with EIDRM. */
	c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		struct msg r;
		errno = 0;
		ssize_t n = msgrcv(q, &r, sizeof(r.mtext), 0, 0);
		_exit(n == -1 && errno == EIDRM ? 0 : 1);
	}
	usleep(100000);
	CHECK(msgctl(q, IPC_RMID, NULL) == 0, "RMID");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "EIDRM receiver");
	CHECK_ERRNO(msgsnd(q, &m, 1, 0), EINVAL);
	CHECK_ERRNO(msgctl(q, IPC_RMID, NULL), EINVAL);
	return 0;
}
