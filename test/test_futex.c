/*
 * Host tests: futexes (src/usync/futex_*.c) on the real mm and uaccess,
 * the fake HAL and the fake current task.
 *
 * The fake is single-threaded, so other sleepers are made by queueing a
 * struct futex_waiter by hand (futex_queue), exactly as futex_wait does
 * before it sleeps; a sleep of the caller itself runs fake_sleep_hook.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/futex.h>
#include <ferrite/kmalloc.h>
#include <ferrite/vm.h>
#include "fake/fake.h"
#include "fake/fake_task.h"
#include "../src/usync/futex_internal.h"

struct ts64 {
	long tv_sec, tv_nsec;
};

long sys_futex(uint32_t *uaddr, int op, uint32_t val, const void *utime, uint32_t *uaddr2,
	       uint32_t val3);

static struct mm *mm;
static uintptr_t ubuf; /* 64 KiB private anonymous user memory */
static size_t kmalloc_at_start, frames_at_start;

static int group_setup(void **state)
{
	fake_mm_init(16UL << 20);
	return 0;
}

static int setup(void **state)
{
	fake_task_init();
	fake_signal_pending = false;
	fake_sleep_hook = NULL;
	kmalloc_at_start = kmalloc_live_bytes();
	frames_at_start = frames_free_count();
	mm = mm_create();
	fake_proc.mm = mm;
	ubuf = (uintptr_t)mm_mmap(mm, 0, 65536, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	return (long)ubuf > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	fake_proc.mm = NULL;
	mm_put(mm);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	assert_int_equal(frames_free_count(), frames_at_start);
	return 0;
}

static void put_word(uintptr_t addr, uint32_t v)
{
	assert_int_equal(mm_copy_out(mm, addr, &v, sizeof(v)), 0);
}

static uint32_t get_word(uintptr_t addr)
{
	uint32_t v;
	assert_int_equal(mm_copy_in(mm, &v, addr, sizeof(v)), 0);
	return v;
}

static struct futex_key pkey(uintptr_t addr)
{
	struct futex_key k;
	assert_int_equal(futex_key_get(mm, addr, false, &k), 0);
	return k;
}

static void test_hash_collision(void **state)
{
	struct futex_key a = pkey(ubuf), b;
	struct futex_waiter w;
	uintptr_t addr = ubuf + 4;

	/* Find another word that lands in the same bucket. */
	for (;; addr += 4) {
		b = pkey(addr);
		if (futex_bucket_of(&b) == futex_bucket_of(&a))
			break;
		assert_true(addr < ubuf + 65536);
	}
	assert_false(futex_key_equal(&a, &b));
	futex_queue(&w, &a, FUTEX_BITSET_MATCH_ANY);
	assert_int_equal(futex_wake_key(&b, 10, FUTEX_BITSET_MATCH_ANY), 0);
	assert_false(w.woken);
	assert_int_equal(futex_wake_key(&a, 10, FUTEX_BITSET_MATCH_ANY), 1);
	assert_true(futex_unqueue(&w));
}

static void test_wake_count_fifo(void **state)
{
	struct futex_key k = pkey(ubuf);
	struct futex_waiter w[4];

	for (int i = 0; i < 4; i++)
		futex_queue(&w[i], &k, FUTEX_BITSET_MATCH_ANY);
	assert_int_equal(futex_wake_key(&k, 2, FUTEX_BITSET_MATCH_ANY), 2);
	assert_true(w[0].woken && w[1].woken);
	assert_false(w[2].woken || w[3].woken);
	/* Linux wakes one even for nr <= 0. */
	assert_int_equal(futex_wake_key(&k, 0, FUTEX_BITSET_MATCH_ANY), 1);
	assert_true(w[2].woken);
	assert_false(w[3].woken);
	assert_false(futex_unqueue(&w[3])); /* left without a wake-up */
	assert_int_equal(futex_wake_key(&k, 5, FUTEX_BITSET_MATCH_ANY), 0);
	for (int i = 0; i < 3; i++)
		assert_true(futex_unqueue(&w[i]));
}

static void test_bitset(void **state)
{
	struct futex_key k = pkey(ubuf);
	struct futex_waiter w1, w2, w3;

	futex_queue(&w1, &k, 1);
	futex_queue(&w2, &k, 2);
	futex_queue(&w3, &k, 3);
	assert_int_equal(futex_wake_key(&k, 10, 0), -EINVAL);
	assert_int_equal(futex_wake_key(&k, 10, 2), 2);
	assert_false(w1.woken);
	assert_true(w2.woken && w3.woken);
	assert_int_equal(futex_wake_key(&k, 10, 4), 0);
	assert_int_equal(futex_wake_key(&k, 10, 5), 1);
	assert_true(futex_unqueue(&w1) && futex_unqueue(&w2) && futex_unqueue(&w3));
}

static void test_requeue(void **state)
{
	struct futex_key a = pkey(ubuf), b = pkey(ubuf + 64);
	struct futex_waiter w[4];
	uint32_t word = 7;

	for (int i = 0; i < 4; i++)
		futex_queue(&w[i], &a, FUTEX_BITSET_MATCH_ANY);
	/* CMP_REQUEUE: mismatch moves nothing. */
	assert_int_equal(futex_requeue(&a, &b, 1, 2, &word, 8), -EAGAIN);
	assert_false(w[0].woken);
	assert_int_equal(futex_requeue(&a, &b, -1, 2, NULL, 0), -EINVAL);
	/* Wake one, move two, leave one. */
	assert_int_equal(futex_requeue(&a, &b, 1, 2, &word, 7), 3);
	assert_true(w[0].woken);
	assert_true(futex_key_equal(&w[1].key, &b) && futex_key_equal(&w[2].key, &b));
	assert_ptr_equal(w[1].bucket, futex_bucket_of(&b));
	assert_true(futex_key_equal(&w[3].key, &a));
	/* Requeue onto the same key moves nothing out. */
	assert_int_equal(futex_requeue(&a, &a, 0, 5, NULL, 0), 1);
	assert_true(futex_key_equal(&w[3].key, &a));
	assert_int_equal(futex_wake_key(&b, 10, FUTEX_BITSET_MATCH_ANY), 2);
	assert_true(w[1].woken && w[2].woken && !w[3].woken);
	assert_int_equal(futex_wake_key(&a, 10, FUTEX_BITSET_MATCH_ANY), 1);
	for (int i = 0; i < 4; i++)
		assert_true(futex_unqueue(&w[i]));
}

#define OP(op, cmp, oparg, cmparg)                                                \
	(((uint32_t)(op) << 28) | ((uint32_t)(cmp) << 24) | (((oparg) & 0xfffu) << 12) | \
	 ((cmparg) & 0xfffu))

static void test_wake_op_arith(void **state)
{
	uint32_t w = 5;

	assert_int_equal(futex_op_apply(OP(FUTEX_OP_SET, FUTEX_OP_CMP_EQ, 9, 5), &w), 1);
	assert_int_equal(w, 9);
	assert_int_equal(futex_op_apply(OP(FUTEX_OP_ADD, FUTEX_OP_CMP_NE, -3, 9), &w), 0);
	assert_int_equal(w, 6); /* oparg is a signed 12-bit field */
	assert_int_equal(futex_op_apply(OP(FUTEX_OP_OR, FUTEX_OP_CMP_LT, 0x10, 7), &w), 1);
	assert_int_equal(w, 0x16);
	assert_int_equal(futex_op_apply(OP(FUTEX_OP_ANDN, FUTEX_OP_CMP_LE, 0x6, 0x16), &w), 1);
	assert_int_equal(w, 0x10);
	assert_int_equal(futex_op_apply(OP(FUTEX_OP_XOR, FUTEX_OP_CMP_GT, 0x11, 0x10), &w), 0);
	assert_int_equal(w, 0x1);
	assert_int_equal(futex_op_apply(OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, FUTEX_OP_CMP_GE, 4, 1),
					&w),
			 1);
	assert_int_equal(w, 16);
	w = (uint32_t)-2;
	assert_int_equal(futex_op_apply(OP(FUTEX_OP_ADD, FUTEX_OP_CMP_LT, 1, -1), &w), 1);
	assert_int_equal(w, (uint32_t)-1);
	assert_int_equal(futex_op_valid(OP(5, 0, 0, 0)), -ENOSYS);
	assert_int_equal(futex_op_valid(OP(0, 6, 0, 0)), -ENOSYS);
	assert_int_equal(futex_op_valid(OP(FUTEX_OP_XOR | FUTEX_OP_OPARG_SHIFT, 5, 0, 0)), 0);
}

static void test_wake_op_syscall(void **state)
{
	uint32_t *u1 = (uint32_t *)ubuf, *u2 = (uint32_t *)(ubuf + 128);
	struct futex_key a = pkey(ubuf), b = pkey(ubuf + 128);
	struct futex_waiter wa, wb;

	put_word(ubuf + 128, 1);
	futex_queue(&wa, &a, FUTEX_BITSET_MATCH_ANY);
	futex_queue(&wb, &b, FUTEX_BITSET_MATCH_ANY);
	/* *u2 += 1, old == 2? no: wake only key1. */
	assert_int_equal(sys_futex(u1, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1, u2,
				   OP(FUTEX_OP_ADD, FUTEX_OP_CMP_EQ, 1, 2)),
			 1);
	assert_int_equal(get_word(ubuf + 128), 2);
	assert_false(wb.woken);
	/* *u2 += 1, old == 2: wake key2 too. */
	assert_int_equal(sys_futex(u1, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, (void *)1, u2,
				   OP(FUTEX_OP_ADD, FUTEX_OP_CMP_EQ, 1, 2)),
			 1);
	assert_true(wb.woken);
	assert_int_equal(get_word(ubuf + 128), 3);
	assert_int_equal(sys_futex(u1, FUTEX_WAKE_OP, 1, NULL, u2, OP(7, 0, 0, 0)), -ENOSYS);
	assert_int_equal(sys_futex(u1, FUTEX_WAKE_OP, 1, NULL, (uint32_t *)8, 0), -EFAULT);
	assert_true(futex_unqueue(&wa) && futex_unqueue(&wb));
}

static struct futex_key hook_key;
static void hook_wake(void) { futex_wake_key(&hook_key, 1, FUTEX_BITSET_MATCH_ANY); }

static void test_wait_paths(void **state)
{
	uint32_t *u = (uint32_t *)ubuf;
	struct ts64 ts[2] = { { 0, 1000 }, { 0, 1000000000 } };
	void *rel = (void *)(ubuf + 0x800), *bad = (void *)(ubuf + 0x810);

	assert_int_equal(mm_copy_out(mm, ubuf + 0x800, ts, sizeof(ts)), 0);
	put_word(ubuf, 3);
	assert_int_equal(sys_futex(u, FUTEX_WAIT, 4, NULL, NULL, 0), -EAGAIN);
	assert_int_equal(sys_futex(u, FUTEX_WAIT, 3, rel, NULL, 0), -ETIMEDOUT);
	assert_int_equal(sys_futex(u, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 3, rel, NULL,
				   FUTEX_BITSET_MATCH_ANY),
			 -ETIMEDOUT); /* absolute, long past */
	assert_int_equal(sys_futex(u, FUTEX_WAIT, 3, bad, NULL, 0), -EINVAL);
	assert_int_equal(sys_futex(u, FUTEX_WAIT, 3, (void *)8, NULL, 0), -EFAULT);
	assert_int_equal(sys_futex(u, FUTEX_WAIT_BITSET, 3, NULL, NULL, 0), -EINVAL);
	/* No deadline, nobody wakes: the fake raises a signal. */
	assert_int_equal(sys_futex(u, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 3, NULL, NULL, 0), -ERESTARTSYS);
	fake_signal_pending = false;
	/* Woken while asleep. */
	hook_key = pkey(ubuf);
	fake_sleep_hook = hook_wake;
	assert_int_equal(sys_futex(u, FUTEX_WAIT, 3, NULL, NULL, 0), 0);
	assert_int_equal(sys_futex(u, FUTEX_WAKE, 1, NULL, NULL, 0), 0); /* nobody left */
	/* Argument checks. */
	assert_int_equal(sys_futex((uint32_t *)(ubuf + 2), FUTEX_WAKE, 1, NULL, NULL, 0), -EINVAL);
	assert_int_equal(sys_futex(u, 99, 1, NULL, NULL, 0), -ENOSYS);
	assert_int_equal(sys_futex(u, FUTEX_LOCK_PI, 0, NULL, NULL, 0), -ENOSYS);
	assert_int_equal(sys_futex(u, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), -ENOSYS);
	assert_int_equal(sys_futex((uint32_t *)8, FUTEX_WAIT, 0, NULL, NULL, 0), -EFAULT);
	assert_int_equal(sys_futex((uint32_t *)8, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0),
			 0);
}

static void test_cmp_requeue_syscall(void **state)
{
	uint32_t *u1 = (uint32_t *)ubuf, *u2 = (uint32_t *)(ubuf + 256);
	struct futex_key a = pkey(ubuf), b = pkey(ubuf + 256);
	struct futex_waiter w[3];

	put_word(ubuf, 10);
	for (int i = 0; i < 3; i++)
		futex_queue(&w[i], &a, FUTEX_BITSET_MATCH_ANY);
	assert_int_equal(sys_futex(u1, FUTEX_CMP_REQUEUE, 1, (void *)5, u2, 11), -EAGAIN);
	assert_int_equal(sys_futex(u1, FUTEX_CMP_REQUEUE, 1, (void *)5, u2, 10), 3);
	assert_true(w[0].woken && !w[1].woken);
	assert_true(futex_key_equal(&w[1].key, &b) && futex_key_equal(&w[2].key, &b));
	assert_int_equal(sys_futex(u2, FUTEX_REQUEUE, 0, (void *)1, u1, 0), 1);
	assert_true(futex_key_equal(&w[1].key, &a)); /* FIFO: the first one moved */
	assert_true(futex_key_equal(&w[2].key, &b));
	assert_int_equal(sys_futex(u2, FUTEX_REQUEUE, 0, (void *)5, u1, 0), 1);
	assert_true(futex_key_equal(&w[2].key, &a));
	assert_int_equal(sys_futex(u1, FUTEX_WAKE, 5, NULL, NULL, 0), 2);
	for (int i = 0; i < 3; i++)
		assert_true(futex_unqueue(&w[i]));
}

static void test_shared_keys(void **state)
{
	struct vm_object *obj = vm_object_create(2);
	struct mm *mm2 = mm_create();
	struct futex_key k1, k2, p1, p2;
	struct futex_waiter w;
	long a1, a2;

	a1 = mm_map_object(mm, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, obj, 0);
	a2 = mm_map_object(mm2, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, obj, 1);
	assert_true(a1 > 0 && a2 > 0);
	assert_int_equal(futex_key_get(mm, a1 + 4096 + 8, true, &k1), 0);
	assert_int_equal(futex_key_get(mm2, a2 + 8, true, &k2), 0);
	assert_true(k1.shared && futex_key_equal(&k1, &k2));
	/* Private ops on the same words are keyed by (mm, address). */
	assert_int_equal(futex_key_get(mm, a1 + 4096 + 8, false, &p1), 0);
	assert_int_equal(futex_key_get(mm2, a2 + 8, false, &p2), 0);
	assert_false(futex_key_equal(&p1, &p2));
	/* A waiter of mm2 is woken through mm's mapping. */
	futex_queue(&w, &k2, FUTEX_BITSET_MATCH_ANY);
	futex_key_put(&k2);
	assert_int_equal(futex_wake(mm, a1 + 4096 + 8, 1, FUTEX_BITSET_MATCH_ANY), 1);
	assert_true(futex_unqueue(&w));
	futex_key_put(&k1);
	/* A shared op on unmapped memory faults. */
	assert_int_equal(futex_key_get(mm, 8, true, &k1), -EFAULT);
	mm_put(mm2);
	vm_object_put(obj);
}

static void test_robust_list(void **state)
{
	/* Layout in ubuf: head at 0, entries at 0x100, 0x200, 0x300; the
	 * futex word sits 8 bytes after each entry. */
	uintptr_t head = ubuf, e1 = ubuf + 0x100, e2 = ubuf + 0x200, e3 = ubuf + 0x300;
	uintptr_t hv[3] = { e1, 8, e3 };
	struct futex_key k1 = pkey(e1 + 8);
	struct futex_waiter w;
	uint32_t tid = (uint32_t)fake_task.tid;

	assert_int_equal(mm_copy_out(mm, head, hv, sizeof(hv)), 0);
	assert_int_equal(mm_copy_out(mm, e1, &e2, sizeof(e2)), 0);
	assert_int_equal(mm_copy_out(mm, e2, &head, sizeof(head)), 0);
	put_word(e1 + 8, tid | FUTEX_WAITERS);
	put_word(e2 + 8, 555); /* someone else's */
	put_word(e3 + 8, tid); /* the pending op */
	futex_queue(&w, &k1, FUTEX_BITSET_MATCH_ANY);
	fake_task.robust_list = head;
	futex_exit_robust_list(&fake_task);
	assert_int_equal(fake_task.robust_list, 0);
	assert_int_equal(get_word(e1 + 8), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	assert_true(w.woken);
	assert_true(futex_unqueue(&w));
	assert_int_equal(get_word(e2 + 8), 555);
	assert_int_equal(get_word(e3 + 8), FUTEX_OWNER_DIED);

	/* A cycle that never returns to the head, and a bad pointer: both end. */
	assert_int_equal(mm_copy_out(mm, e1, &e1, sizeof(e1)), 0);
	put_word(e1 + 8, tid);
	hv[2] = 0;
	assert_int_equal(mm_copy_out(mm, head, hv, sizeof(hv)), 0);
	fake_task.robust_list = head;
	futex_exit_robust_list(&fake_task);
	assert_int_equal(get_word(e1 + 8), FUTEX_OWNER_DIED);
	hv[0] = 0x10;
	assert_int_equal(mm_copy_out(mm, head, hv, sizeof(hv)), 0);
	fake_task.robust_list = head;
	futex_exit_robust_list(&fake_task);
	fake_task.robust_list = 8;
	futex_exit_robust_list(&fake_task);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hash_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_count_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bitset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_op_arith, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_op_syscall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmp_requeue_syscall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_robust_list, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
