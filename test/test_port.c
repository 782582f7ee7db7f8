/* Host tests: message ports (src/ipc/port.c, port_msg.c, port_call.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/port.h>
#include "fake/fake.h"
#include "fake/fake_task.h"
#include "../src/ipc/port_internal.h"

/* The scheduler calls ports make, on the single fake task. */
void task_release(struct ref *r) { (void)r; } /* the fake task is never freed */
static int yield_count;
void sched_yield_to(struct task *t)
{
	(void)t;
	yield_count++;
	if (current->state != TASK_RUNNING)
		schedule();
}

static size_t kmalloc_at_start;

static int group_setup(void **state)
{
	fake_mm_init(16UL << 20);
	fake_task_init();
	return 0;
}

static int setup(void **state)
{
	kmalloc_at_start = kmalloc_live_bytes();
	fake_signal_pending = false;
	fake_sleep_hook = NULL;
	yield_count = 0;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(ports_count_live(), 0);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	return 0;
}

static struct port_msg *mk(long type, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	struct port_msg *m = port_msg_alloc(n);

	assert_non_null(m);
	m->type = type;
	memcpy(m->data, text, n);
	return m;
}

static void gone(struct port *p)
{
	port_destroy(p);
	port_put(p);
}

/* ---- queue ---- */

static void test_queue_full_empty_types(void **state)
{
	struct port *p = port_create(NULL, 0666);
	struct port_msg *m;
	char text[16];

	assert_false(IS_ERR(p));
	for (int i = 0; i < FERRITE_PORT_QUEUE_MAX; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		assert_int_equal(port_send(p, mk(1000 + i, text), FERRITE_PORT_NONBLOCK, 0), 0);
	}
	assert_int_equal(port_send(p, mk(1, "x"), FERRITE_PORT_NONBLOCK, 0), -EAGAIN);
	for (int i = 0; i < FERRITE_PORT_QUEUE_MAX; i++) {
		assert_int_equal(port_recv(p, 4096, FERRITE_PORT_NONBLOCK, 0, &m), 0);
		snprintf(text, sizeof(text), "m%d", i);
		assert_int_equal(m->type, 1000 + i);
		assert_int_equal(m->size, strlen(text));
		assert_memory_equal(m->data, text, m->size);
		assert_int_equal(m->token, 0);
		assert_int_equal(m->sender, 100);
		port_msg_free(m);
	}
	assert_int_equal(port_recv(p, 4096, FERRITE_PORT_NONBLOCK, 0, &m), -EAGAIN);
	/* Negative and huge types survive unchanged. */
	assert_int_equal(port_send(p, mk(-7, ""), 0, 0), 0);
	assert_int_equal(port_recv(p, 0, 0, 0, &m), 0);
	assert_int_equal(m->type, -7);
	assert_int_equal(m->size, 0);
	port_msg_free(m);
	gone(p);
}

static void test_msgsize(void **state)
{
	struct port *p = port_create(NULL, 0666);
	struct port_msg *m;

	assert_null(port_msg_alloc(FERRITE_PORT_MSG_MAX + 1));
	m = port_msg_alloc(FERRITE_PORT_MSG_MAX);
	assert_non_null(m);
	m->type = 5;
	assert_int_equal(port_send(p, m, 0, 0), 0);
	/* Too small a buffer: EMSGSIZE, and the message stays queued. */
	assert_int_equal(port_recv(p, 100, FERRITE_PORT_NONBLOCK, 0, &m), -EMSGSIZE);
	assert_int_equal(p->nr_msgs, 1);
	assert_int_equal(port_recv(p, FERRITE_PORT_MSG_MAX, 0, 0, &m), 0);
	assert_int_equal(m->size, FERRITE_PORT_MSG_MAX);
	port_msg_free(m);
	gone(p);
}

static void test_recv_timeout_and_signal(void **state)
{
	struct port *p = port_create(NULL, 0666);
	struct port_msg *m;

	/* The fake sleep with a deadline times out, without one a signal. */
	assert_int_equal(port_recv(p, 10, 0, 12345, &m), -ETIMEDOUT);
	assert_true(list_empty(&p->receivers));
	assert_int_equal(port_recv(p, 10, 0, 0, &m), -ERESTARTSYS);
	assert_true(list_empty(&p->receivers));
	gone(p);
}

/* ---- destroy with sleepers ---- */

static struct port *hook_port;
static unsigned long hook_token;

static void hook_destroy(void) { port_destroy(hook_port); }

static void test_destroy_wakes_receiver(void **state)
{
	struct port_msg *m;

	hook_port = port_create(NULL, 0666);
	fake_sleep_hook = hook_destroy;
	assert_int_equal(port_recv(hook_port, 10, 0, 0, &m), -EIDRM);
	assert_int_equal(fake_sleep_count > 0, 1);
	assert_int_equal(port_send(hook_port, mk(1, "a"), 0, 0), -EIDRM);
	assert_false(port_destroy(hook_port)); /* once only */
	port_put(hook_port);
}

static void test_destroy_wakes_sender(void **state)
{
	hook_port = port_create(NULL, 0666);
	for (int i = 0; i < FERRITE_PORT_QUEUE_MAX; i++)
		assert_int_equal(port_send(hook_port, mk(i, "fill"), 0, 0), 0);
	fake_sleep_hook = hook_destroy;
	assert_int_equal(port_send(hook_port, mk(1, "late"), 0, 0), -EIDRM);
	assert_int_equal(hook_port->nr_msgs, 0); /* queued messages freed */
	port_put(hook_port);
}

static void test_destroy_wakes_queued_caller(void **state)
{
	struct port_msg *r = NULL;

	hook_port = port_create(NULL, 0666);
	fake_sleep_hook = hook_destroy;
	assert_int_equal(port_call(hook_port, mk(1, "req"), 100, 0, 0, &r), -EIDRM);
	assert_null(r);
	port_put(hook_port);
}

/* The receiver takes the request, then the port dies: the right is dropped. */
static void hook_recv_then_destroy(void)
{
	struct port_msg *m;

	assert_int_equal(port_recv(hook_port, 100, FERRITE_PORT_NONBLOCK, 0, &m), 0);
	assert_int_not_equal(m->token, 0);
	port_msg_free(m);
	port_destroy(hook_port);
}

static void test_destroy_drops_reply_right(void **state)
{
	struct port_msg *r = NULL;

	hook_port = port_create(NULL, 0666);
	fake_sleep_hook = hook_recv_then_destroy;
	assert_int_equal(port_call(hook_port, mk(1, "req"), 100, 0, 0, &r), -EPIPE);
	port_put(hook_port);
}

/* ---- call / reply ---- */

static void hook_echo(void)
{
	struct port_msg *m, *rep;

	assert_int_equal(port_recv(hook_port, 100, FERRITE_PORT_NONBLOCK, 0, &m), 0);
	hook_token = m->token;
	rep = mk(m->type + 1, "pong");
	assert_int_equal(m->type, 41);
	assert_memory_equal(m->data, "ping", 4);
	port_msg_free(m);
	/* Too big for the caller: EMSGSIZE, the right stays usable. */
	assert_int_equal(port_reply(hook_port, hook_token, mk(0, "this reply is far too long")), -EMSGSIZE);
	assert_int_equal(port_reply(hook_port, hook_token, rep), 0);
	assert_int_equal(port_reply(hook_port, hook_token, mk(0, "again")), -ENOENT);
}

static void test_call_reply_one_shot(void **state)
{
	struct port_msg *r = NULL;

	hook_port = port_create(NULL, 0666);
	fake_sleep_hook = hook_echo;
	assert_int_equal(port_call(hook_port, mk(41, "ping"), 8, 0, 0, &r), 0);
	assert_non_null(r);
	assert_int_equal(r->type, 42);
	assert_memory_equal(r->data, "pong", 4);
	port_msg_free(r);
	assert_true(list_empty(&hook_port->calls));
	assert_int_equal(port_reply(hook_port, hook_token, mk(0, "late")), -ENOENT);
	assert_int_equal(port_reply(hook_port, 999, mk(0, "bogus")), -ENOENT);
	port_destroy(hook_port);
	assert_int_equal(port_reply(hook_port, 1, mk(0, "")), -EIDRM);
	port_put(hook_port);
}

static void hook_recv_only(void)
{
	struct port_msg *m;

	assert_int_equal(port_recv(hook_port, 100, FERRITE_PORT_NONBLOCK, 0, &m), 0);
	hook_token = m->token;
	port_msg_free(m);
}

static void test_call_timeout_withdraws(void **state)
{
	struct port *p = port_create(NULL, 0666);
	struct port_msg *r = NULL, *m;

	/* Never received: the request leaves the queue again. */
	assert_int_equal(port_call(p, mk(1, "req"), 100, 0, 1, &r), -ETIMEDOUT);
	assert_int_equal(p->nr_msgs, 0);
	assert_true(list_empty(&p->queue));
	gone(p);

	/* Received but not answered in time: the right dies with the call. */
	hook_port = port_create(NULL, 0666);
	fake_sleep_hook = hook_recv_only;
	assert_int_equal(port_call(hook_port, mk(1, "req"), 100, 0, 1, &r), -ETIMEDOUT);
	assert_true(list_empty(&hook_port->calls));
	assert_int_equal(port_reply(hook_port, hook_token, mk(0, "late")), -ENOENT);
	assert_int_equal(port_send(hook_port, mk(2, "x"), 0, 0), 0);
	assert_int_equal(port_recv(hook_port, 100, 0, 0, &m), 0);
	assert_int_equal(m->type, 2);
	port_msg_free(m);
	gone(hook_port);
}

/* Fast path: a sender hands its message straight to a blocked receiver. */
static void test_handoff_to_blocked_receiver(void **state)
{
	struct port *p = port_create(NULL, 0666);
	struct port_rcv r = { .task = current, .cap = 16, .msg = NULL };
	struct port_msg *big = port_msg_alloc(32);

	list_add_tail(&r.node, &p->receivers);
	big->type = 1;
	/* Bigger than the receiver's buffer: queued instead. */
	assert_int_equal(port_send(p, big, 0, 0), 0);
	assert_null(r.msg);
	assert_int_equal(p->nr_msgs, 1);
	assert_int_equal(port_recv(p, 64, 0, 0, &big), 0);
	port_msg_free(big);
	assert_int_equal(port_send(p, mk(9, "hand"), 0, 0), 0);
	assert_non_null(r.msg);
	assert_int_equal(r.msg->type, 9);
	assert_int_equal(p->nr_msgs, 0);
	assert_true(list_empty(&p->receivers));
	port_msg_free(r.msg);
	gone(p);
}

/* ---- refcounts, registry, limits ---- */

static void test_refcount_once(void **state)
{
	struct port *p = port_create("svc", 0666);
	struct port *q;

	assert_int_equal(ports_count_live(), 1);
	q = port_lookup("svc");
	assert_ptr_equal(p, q);
	port_get(p);
	assert_true(port_destroy(p));
	assert_ptr_equal(port_lookup("svc"), ERR_PTR(-ENOENT));
	port_put(q);
	port_put(p);
	assert_int_equal(ports_count_live(), 1);
	port_put(p); /* the last one frees it, exactly once */
	assert_int_equal(ports_count_live(), 0);
}

static void test_names_and_limits(void **state)
{
	struct port *ports[FERRITE_PORT_PER_PROC_MAX];
	struct port *p;
	char name[FERRITE_PORT_NAME_MAX + 1];

	p = port_create("echo", 0666);
	assert_ptr_equal(port_create("echo", 0666), ERR_PTR(-EEXIST));
	assert_ptr_equal(port_lookup("nope"), ERR_PTR(-ENOENT));
	assert_ptr_equal(port_create("", 0666), ERR_PTR(-EINVAL));
	memset(name, 'n', FERRITE_PORT_NAME_MAX);
	name[FERRITE_PORT_NAME_MAX] = 0;
	assert_ptr_equal(port_create(name, 0666), ERR_PTR(-ENAMETOOLONG));
	name[FERRITE_PORT_NAME_MAX - 1] = 0; /* 31 characters fit */
	ports[0] = port_create(name, 0666);
	assert_false(IS_ERR(ports[0]));
	for (int i = 1; i < FERRITE_PORT_PER_PROC_MAX - 1; i++) {
		ports[i] = port_create(NULL, 0666);
		assert_false(IS_ERR(ports[i]));
	}
	assert_ptr_equal(port_create(NULL, 0666), ERR_PTR(-ENOSPC));
	/* Another process has its own allowance. */
	fake_proc.pid = 101;
	ports[FERRITE_PORT_PER_PROC_MAX - 1] = port_create(NULL, 0666);
	assert_false(IS_ERR(ports[FERRITE_PORT_PER_PROC_MAX - 1]));
	fake_proc.pid = 100;
	gone(p);
	p = port_create("echo", 0666); /* a destroyed port frees its name and slot */
	assert_false(IS_ERR(p));
	gone(p);
	for (int i = 0; i < FERRITE_PORT_PER_PROC_MAX; i++)
		gone(ports[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_full_empty_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msgsize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recv_timeout_and_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_wakes_receiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_wakes_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_wakes_queued_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_drops_reply_right, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_reply_one_shot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout_withdraws, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handoff_to_blocked_receiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refcount_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_limits, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
