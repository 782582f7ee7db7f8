/* Host tests: System V message queues (src/ipc/msg.c, msg_ctl.c, ipc_util.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/vm.h>
#include "fake/fake.h"
#include "fake/fake_task.h"
#include "../src/ipc/sysv_msg.h"

long sys_msgget(key_t key, int msgflg);
long sys_msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg);
long sys_msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg);
long sys_msgctl(int msqid, int cmd, struct msqid64_ds *buf);

static struct mm *mm;
static uintptr_t ubuf; /* 64 KiB of user memory in mm */
static size_t kmalloc_at_start;

static int group_setup(void **state)
{
	fake_mm_init(16UL << 20);
	fake_task_init();
	/* Let the registry allocate its slot table before leak baselines. */
	sys_msgctl((int)sys_msgget(IPC_PRIVATE, 0600), IPC_RMID, NULL);
	return 0;
}

static int setup(void **state)
{
	kmalloc_at_start = kmalloc_live_bytes();
	mm = mm_create();
	fake_proc.mm = mm;
	fake_proc.euid = fake_proc.uid = 0;
	fake_proc.egid = fake_proc.gid = 0;
	fake_signal_pending = false;
	fake_sleep_hook = NULL;
	ubuf = (uintptr_t)mm_mmap(mm, 0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	return (long)ubuf > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	fake_proc.mm = NULL;
	mm_put(mm);
	assert_int_equal(ipc_count_live(IPC_KIND_MSG), 0);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	return 0;
}

static long send_msg(int id, long type, const char *text, size_t len, int flg)
{
	assert_int_equal(mm_copy_out(mm, ubuf, &type, sizeof(type)), 0);
	assert_int_equal(mm_copy_out(mm, ubuf + sizeof(long), text, len), 0);
	return sys_msgsnd(id, (void *)ubuf, len, flg);
}

/* Receive into ubuf; copies the type and text back out. */
static long recv_msg(int id, size_t bufsz, long typ, int flg, long *type, char *text)
{
	long n = sys_msgrcv(id, (void *)ubuf, bufsz, typ, flg);
	if (n >= 0) {
		assert_int_equal(mm_copy_in(mm, type, ubuf, sizeof(long)), 0);
		assert_int_equal(mm_copy_in(mm, text, ubuf + sizeof(long), (size_t)n), 0);
		text[n] = 0;
	}
	return n;
}

static void rmid(int id) { assert_int_equal(sys_msgctl(id, IPC_RMID, NULL), 0); }

/* ---- pure selection ---- */

static void test_select_pure(void **state)
{
	static const long types[] = { 3, 1, 2, 1, 5 };
	struct msg_msg m[5];
	LIST_HEAD(q);

	for (int i = 0; i < 5; i++) {
		m[i].mtype = types[i];
		list_add_tail(&m[i].node, &q);
	}
	assert_ptr_equal(msg_select(&q, 0, 0), &m[0]);
	assert_ptr_equal(msg_select(&q, 2, 0), &m[2]);
	assert_ptr_equal(msg_select(&q, 1, 0), &m[1]);
	assert_ptr_equal(msg_select(&q, 3, MSG_EXCEPT), &m[1]);
	assert_ptr_equal(msg_select(&q, 1, MSG_EXCEPT), &m[0]);
	assert_ptr_equal(msg_select(&q, -5, 0), &m[1]); /* lowest type, oldest first */
	assert_ptr_equal(msg_select(&q, -1, 0), &m[1]);
	assert_null(msg_select(&q, 4, 0));
	list_del(&m[1].node);
	list_del(&m[3].node);
	assert_ptr_equal(msg_select(&q, -4, 0), &m[2]); /* types 3, 2, 5 left */
	assert_null(msg_select(&q, -1, 0));
	assert_ptr_equal(msg_select(&q, (long)(-0x7fffffffffffffffL - 1), 0), &m[2]);
	assert_true(msg_fits(0, 0, 16384, 16384));
	assert_false(msg_fits(1, 1, 16384, 16384));
	assert_false(msg_fits(0, 10, 10, 0)); /* counted messages fill it too */
}

/* ---- through the syscalls ---- */

static void test_send_receive_order(void **state)
{
	int id = (int)sys_msgget(IPC_PRIVATE, 0600);
	long type;
	char text[64];

	assert_true(id >= 0);
	assert_int_equal(send_msg(id, 5, "five", 4, 0), 0);
	assert_int_equal(send_msg(id, 2, "two", 3, 0), 0);
	assert_int_equal(send_msg(id, 7, "seven", 5, 0), 0);
	assert_int_equal(send_msg(id, 2, "two-b", 5, 0), 0);

	assert_int_equal(recv_msg(id, 64, 7, 0, &type, text), 5);
	assert_string_equal(text, "seven");
	assert_int_equal(recv_msg(id, 64, 2, MSG_EXCEPT, &type, text), 4);
	assert_string_equal(text, "five");
	assert_int_equal(recv_msg(id, 64, -10, 0, &type, text), 3);
	assert_string_equal(text, "two");
	assert_int_equal(type, 2);
	/* E2BIG leaves the message; MSG_NOERROR truncates and takes it. */
	assert_int_equal(recv_msg(id, 2, 0, 0, &type, text), -E2BIG);
	assert_int_equal(recv_msg(id, 2, 0, MSG_NOERROR, &type, text), 2);
	assert_string_equal(text, "tw");
	assert_int_equal(recv_msg(id, 64, 0, IPC_NOWAIT, &type, text), -ENOMSG);

	struct msqid64_ds ds;
	uintptr_t uds = ubuf + 8192;
	assert_int_equal(sys_msgctl(id, IPC_STAT, (void *)uds), 0);
	assert_int_equal(mm_copy_in(mm, &ds, uds, sizeof(ds)), 0);
	assert_int_equal(ds.msg_qnum, 0);
	assert_int_equal(ds.msg_qbytes, MSGMNB);
	assert_int_equal(ds.msg_lspid, 100);
	assert_int_equal(ds.msg_perm.mode, 0600);
	rmid(id);
}

static void test_bad_input(void **state)
{
	int id = (int)sys_msgget(IPC_PRIVATE, 0600);
	long type;
	char text[8];

	assert_int_equal(send_msg(id, 0, "x", 1, 0), -EINVAL); /* mtype < 1 */
	assert_int_equal(sys_msgsnd(id, (void *)ubuf, MSGMAX + 1, 0), -EINVAL);
	assert_int_equal(sys_msgsnd(id, (void *)ubuf, (size_t)-1, 0), -EINVAL);
	assert_int_equal(sys_msgsnd(-1, (void *)ubuf, 1, 0), -EINVAL);
	assert_int_equal(sys_msgsnd(id, (void *)8, 1, 0), -EFAULT);
	assert_int_equal(sys_msgsnd(id + 1, (void *)ubuf, 0, 0), -EINVAL); /* no such id */
	assert_int_equal(recv_msg(id, (size_t)-5, 0, 0, &type, text), -EINVAL);
	assert_int_equal(sys_msgctl(id, 999, NULL), -EINVAL);
	assert_int_equal(sys_msgctl(id, IPC_STAT, (void *)8), -EFAULT);
	assert_int_equal(send_msg(id, 1, "x", 1, 0), 0);
	assert_int_equal(sys_msgrcv(id, (void *)8, 8, 0, 0), -EFAULT); /* message lost */
	rmid(id);
	assert_int_equal(sys_msgctl(id, IPC_RMID, NULL), -EINVAL); /* double removal */
	assert_int_equal(sys_msgget(1234, 0), -ENOENT);
}

static void test_keys_and_id_reuse(void **state)
{
	int a = (int)sys_msgget(42, IPC_CREAT | 0644);
	assert_true(a >= 0);
	assert_int_equal(sys_msgget(42, 0), a);
	assert_int_equal(sys_msgget(42, IPC_CREAT | IPC_EXCL | 0644), -EEXIST);
	rmid(a);
	int b = (int)sys_msgget(42, IPC_CREAT | 0644);
	assert_true(b >= 0);
	assert_int_not_equal(a, b);
	assert_int_equal(a % IPCMNI, b % IPCMNI); /* same slot, new sequence */
	assert_int_equal(sys_msgsnd(a, (void *)ubuf, 0, IPC_NOWAIT), -EINVAL);
	assert_int_equal(sys_msgctl(b % IPCMNI, MSG_STAT, (void *)ubuf), b);
	rmid(b);
}

static void test_permissions(void **state)
{
	int id = (int)sys_msgget(77, IPC_CREAT | 0600); /* root's */
	long type;
	char text[8];

	fake_proc.euid = 1000;
	fake_proc.egid = 1000;
	assert_int_equal(sys_msgget(77, 0), id); /* asks for no access */
	assert_int_equal(sys_msgget(77, 0400), -EACCES);
	assert_int_equal(send_msg(id, 1, "x", 1, IPC_NOWAIT), -EACCES);
	assert_int_equal(recv_msg(id, 8, 0, IPC_NOWAIT, &type, text), -EACCES);
	assert_int_equal(sys_msgctl(id, IPC_STAT, (void *)ubuf), -EACCES);
	assert_int_equal(sys_msgctl(id, IPC_RMID, NULL), -EPERM);
	fake_proc.euid = 0;
	fake_proc.egid = 0;
	rmid(id);
}

/* ---- blocking ---- */

static int hook_id;

static void hook_rmid(void) { rmid(hook_id); }
static void hook_send(void) { assert_int_equal(send_msg(hook_id, 9, "late", 4, 0), 0); }
static void hook_receive(void)
{
	long type;
	char text[64];
	assert_int_equal(recv_msg(hook_id, 64, 0, 0, &type, text), 6);
}

static void test_blocking(void **state)
{
	int id = (int)sys_msgget(IPC_PRIVATE, 0600);
	long type;
	char text[64];
	struct msqid64_ds ds = { .msg_perm.mode = 0600, .msg_qbytes = 8 };

	hook_id = id;
	assert_int_equal(mm_copy_out(mm, ubuf + 8192, &ds, sizeof(ds)), 0);
	assert_int_equal(sys_msgctl(id, IPC_SET, (void *)(ubuf + 8192)), 0);
	assert_int_equal(send_msg(id, 1, "abcdef", 6, 0), 0);
	assert_int_equal(send_msg(id, 1, "ghi", 3, IPC_NOWAIT), -EAGAIN); /* full */
	/* A blocked sender gets room when a receiver takes the message. */
	fake_sleep_hook = hook_receive;
	assert_int_equal(send_msg(id, 1, "ghi", 3, 0), 0);
	/* A receiver waiting for type 9 gets it once sent. */
	fake_sleep_hook = hook_send;
	assert_int_equal(recv_msg(id, 64, 9, 0, &type, text), 4);
	assert_string_equal(text, "late");
	/* A signal interrupts a sleeping receiver. */
	assert_int_equal(recv_msg(id, 64, 5, 0, &type, text), -ERESTARTNOHAND);
	fake_signal_pending = false;
	/* Removal wakes a blocked sender with EIDRM. */
	fake_sleep_hook = hook_rmid;
	assert_int_equal(send_msg(id, 1, "abcdef", 6, 0), -EIDRM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_pure),
		cmocka_unit_test_setup_teardown(test_send_receive_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_and_id_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocking, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
