/*
 * Host tests: kernel sync primitives (src/usync/mutex.c, semaphore.c,
 * rwlock.c, condvar.c) on the real wait queues and the fake current task.
 *
 * The fake is single-threaded: a sleep runs fake_sleep_hook once, which
 * plays "another thread" by switching current to other_task (or third)
 * while the first caller is asleep. A queued sleeper of a third task is
 * made by queueing its wait entry by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ferrite/condvar.h>
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/mutex.h>
#include <ferrite/rwlock.h>
#include <ferrite/semaphore.h>
#include <hal/hal_timer.h>
#include "fake/fake.h"
#include "fake/fake_task.h"

static struct task other_task, third_task;
static struct mutex m;
static struct semaphore sem;
static struct rwlock rw;
static struct condvar cv;
static struct wait_entry third_entry;
static int flag;

static void as(struct task *t) { cpu_set_current(hal_cpu_self(), t); }
static void as_me(void) { as(&fake_task); }

static int setup(void **state)
{
	fake_task_init();
	other_task.tid = 101;
	other_task.proc = &fake_proc;
	other_task.state = TASK_RUNNING;
	third_task = other_task;
	third_task.tid = 102;
	fake_signal_pending = false;
	fake_sleep_hook = NULL;
	fake_sleep_count = 0;
	fake_panic_count = 0;
	flag = 0;
	mutex_init(&m);
	sema_init(&sem, 0);
	rwlock_init(&rw);
	condvar_init(&cv);
	third_entry = (struct wait_entry)WAIT_ENTRY_INIT(third_entry);
	return 0;
}

/* Queue third_task on wq as a sleeper would (exclusive). */
static void third_sleeps_on(struct waitqueue *wq, int st)
{
	as(&third_task);
	prepare_to_wait_exclusive(wq, &third_entry, st);
	as_me();
}

static void third_leaves(struct waitqueue *wq)
{
	as(&third_task);
	finish_wait(wq, &third_entry);
	as_me();
}

/* ---------------- mutex ---------------- */

static void test_mutex_basic(void **state)
{
	assert_false(mutex_is_locked(&m));
	mutex_lock(&m);
	assert_true(mutex_is_locked(&m));
	assert_true(mutex_owned_by_current(&m));
	as(&other_task);
	assert_false(mutex_owned_by_current(&m));
	assert_false(mutex_trylock(&m));
	as_me();
	assert_false(mutex_trylock(&m)); /* not recursive */
	mutex_unlock(&m);
	assert_false(mutex_is_locked(&m));
	assert_true(mutex_trylock(&m));
	mutex_unlock(&m);
	assert_int_equal(fake_sleep_count, 0);
	assert_int_equal(fake_task.state, TASK_RUNNING);
}

static void hook_mutex_other_unlocks(void)
{
	assert_int_equal(mutex_nr_waiters(&m), 1);
	assert_int_equal(fake_task.state, TASK_UNINTERRUPTIBLE);
	as(&other_task);
	mutex_unlock(&m);
	as_me();
	/* Handed straight to the sleeper: never free in between. */
	assert_true(mutex_is_locked(&m));
	assert_true(mutex_owned_by_current(&m));
	assert_int_equal(fake_task.state, TASK_RUNNING);
	assert_int_equal(mutex_nr_waiters(&m), 0);
}

static void test_mutex_contended_handoff(void **state)
{
	as(&other_task);
	mutex_lock(&m);
	as_me();
	fake_sleep_hook = hook_mutex_other_unlocks;
	mutex_lock(&m);
	assert_int_equal(fake_sleep_count, 1);
	assert_true(mutex_owned_by_current(&m));
	assert_int_equal(mutex_nr_waiters(&m), 0);
	assert_int_equal(fake_task.state, TASK_RUNNING);
	mutex_unlock(&m);
	assert_false(mutex_is_locked(&m));
}

static void hook_fifo_second(void)
{
	/* third got the mutex first; now it releases it to us. */
	as(&third_task);
	assert_true(mutex_owned_by_current(&m));
	finish_wait(&m.wait, &third_entry);
	mutex_unlock(&m);
	as_me();
}

static void hook_fifo_first(void)
{
	assert_int_equal(mutex_nr_waiters(&m), 2);
	as(&other_task);
	mutex_unlock(&m);
	as_me();
	/* The older waiter (third) was handed the mutex, we still sleep
	 * (so the owner word keeps its waiters bit, bit 0). */
	assert_ptr_equal((void *)((uintptr_t)m.owner & ~(uintptr_t)1), &third_task);
	assert_true((uintptr_t)m.owner & 1);
	assert_int_equal(third_task.state, TASK_RUNNING);
	assert_int_equal(fake_task.state, TASK_UNINTERRUPTIBLE);
	assert_int_equal(mutex_nr_waiters(&m), 1);
	fake_sleep_hook = hook_fifo_second;
}

static void test_mutex_fifo(void **state)
{
	as(&other_task);
	mutex_lock(&m);
	as_me();
	third_sleeps_on(&m.wait, TASK_UNINTERRUPTIBLE);
	fake_sleep_hook = hook_fifo_first;
	mutex_lock(&m);
	assert_int_equal(fake_sleep_count, 2);
	assert_true(mutex_owned_by_current(&m));
	mutex_unlock(&m);
}

static void test_mutex_interruptible_pending(void **state)
{
	as(&other_task);
	mutex_lock(&m);
	as_me();
	fake_signal_pending = true;
	assert_int_equal(mutex_lock_interruptible(&m), -EINTR);
	assert_int_equal(fake_sleep_count, 0);
	assert_int_equal(mutex_nr_waiters(&m), 0);
	assert_int_equal(fake_task.state, TASK_RUNNING);
	as(&other_task);
	assert_true(mutex_owned_by_current(&m));
	mutex_unlock(&m);
	as_me();
}

static void hook_signal_arrives(void)
{
	assert_int_equal(fake_task.state, TASK_INTERRUPTIBLE);
	fake_signal_pending = true;
}

static void test_mutex_interrupted_while_sleeping(void **state)
{
	as(&other_task);
	mutex_lock(&m);
	as_me();
	fake_sleep_hook = hook_signal_arrives;
	assert_int_equal(mutex_lock_interruptible(&m), -EINTR);
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(mutex_nr_waiters(&m), 0);
	/* The owner's unlock now finds nobody and frees the mutex. */
	as(&other_task);
	mutex_unlock(&m);
	as_me();
	assert_false(mutex_is_locked(&m));
}

static void hook_unlock_and_signal(void)
{
	as(&other_task);
	mutex_unlock(&m);
	as_me();
	fake_signal_pending = true;
}

static void test_mutex_handoff_beats_signal(void **state)
{
	as(&other_task);
	mutex_lock(&m);
	as_me();
	fake_sleep_hook = hook_unlock_and_signal;
	/* Handed the mutex and signalled: we own it, so success. */
	assert_int_equal(mutex_lock_interruptible(&m), 0);
	assert_true(mutex_owned_by_current(&m));
	mutex_unlock(&m);
}

static void test_mutex_unlock_by_non_owner(void **state)
{
	as(&other_task);
	mutex_lock(&m);
	as_me();
	expect_assert_failure(mutex_unlock(&m));
	assert_int_equal(fake_panic_count, 1);
	assert_false(mutex_owned_by_current(&m)); /* unchanged */
	as(&other_task);
	mutex_unlock(&m);
	as_me();
	/* Unlocking a free mutex is the same bug. */
	expect_assert_failure(mutex_unlock(&m));
	assert_int_equal(fake_panic_count, 2);
}

static void test_mutex_recursive(void **state)
{
	mutex_lock(&m);
	expect_assert_failure(mutex_lock(&m));
	expect_assert_failure(flag = mutex_lock_interruptible(&m));
	assert_int_equal(fake_panic_count, 2);
	assert_int_equal(mutex_nr_waiters(&m), 0);
	mutex_unlock(&m);
}

static void test_mutex_guard(void **state)
{
	{
		guard(mutex)(&m);
		assert_true(mutex_owned_by_current(&m));
	}
	assert_false(mutex_is_locked(&m));
	for (int i = 0; i < 3; i++) {
		scoped_guard(mutex, &m)
			assert_true(mutex_is_locked(&m));
		assert_false(mutex_is_locked(&m));
	}
}

static DEFINE_MUTEX(static_mutex);

static void test_mutex_static_init(void **state)
{
	mutex_lock(&static_mutex);
	assert_true(mutex_owned_by_current(&static_mutex));
	mutex_unlock(&static_mutex);
}

/* ---------------- semaphore ---------------- */

static void test_sema_counting(void **state)
{
	sema_init(&sem, 2);
	down(&sem);
	assert_int_equal(down_trylock(&sem), 0);
	assert_int_equal(down_trylock(&sem), -EAGAIN);
	assert_int_equal(sema_count(&sem), 0);
	up(&sem);
	up(&sem);
	up(&sem);
	assert_int_equal(sema_count(&sem), 3);
	assert_int_equal(down_interruptible(&sem), 0);
	assert_int_equal(down_timeout(&sem, 1), 0);
	assert_int_equal(sema_count(&sem), 1);
	assert_int_equal(fake_sleep_count, 0);
}

static void hook_other_ups(void)
{
	assert_int_equal(sema_nr_waiters(&sem), 1);
	as(&other_task); /* any task may up */
	up(&sem);
	as_me();
	assert_int_equal(fake_task.state, TASK_RUNNING);
}

static void test_sema_down_sleeps(void **state)
{
	fake_sleep_hook = hook_other_ups;
	down(&sem);
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(sema_count(&sem), 0);
	assert_int_equal(sema_nr_waiters(&sem), 0);
}

static void test_sema_interruptible(void **state)
{
	fake_signal_pending = true;
	assert_int_equal(down_interruptible(&sem), -EINTR);
	assert_int_equal(fake_sleep_count, 0);
	/* A pending signal does not stop a down that need not sleep. */
	up(&sem);
	assert_int_equal(down_interruptible(&sem), 0);

	fake_signal_pending = false;
	fake_sleep_hook = hook_signal_arrives;
	assert_int_equal(down_interruptible(&sem), -EINTR);
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(sema_nr_waiters(&sem), 0);
	assert_int_equal(sema_count(&sem), 0);

	fake_signal_pending = false;
	fake_sleep_hook = hook_other_ups;
	assert_int_equal(down_interruptible(&sem), 0);
	assert_int_equal(sema_count(&sem), 0);
}

static void test_sema_timeout(void **state)
{
	uint64_t deadline = hal_time_ns() + 1000000;

	/* The fake times a sleep with a deadline out when nobody acts. */
	assert_int_equal(down_timeout(&sem, deadline), -ETIMEDOUT);
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(sema_nr_waiters(&sem), 0);
	assert_int_equal(sema_count(&sem), 0);
	/* Uninterruptible: a pending signal does not end it early. */
	fake_signal_pending = true;
	fake_sleep_hook = hook_other_ups;
	assert_int_equal(down_timeout(&sem, deadline), 0);
	assert_int_equal(sema_count(&sem), 0);
}

static void hook_third_waits_then_up(void)
{
	/* A unit comes while a second sleeper queues behind us. */
	third_sleeps_on(&sem.wait, TASK_UNINTERRUPTIBLE);
	assert_int_equal(sema_nr_waiters(&sem), 2);
	as(&other_task);
	up(&sem);
	as_me();
	/* Only the oldest sleeper is woken. */
	assert_int_equal(fake_task.state, TASK_RUNNING);
	assert_int_equal(third_task.state, TASK_UNINTERRUPTIBLE);
}

static void test_sema_up_wakes_one(void **state)
{
	fake_sleep_hook = hook_third_waits_then_up;
	down(&sem);
	assert_int_equal(sema_nr_waiters(&sem), 1);
	up(&sem);
	assert_int_equal(third_task.state, TASK_RUNNING);
	assert_int_equal(sema_nr_waiters(&sem), 0);
	third_leaves(&sem.wait);
}

static void test_sema_guard(void **state)
{
	sema_init(&sem, 1);
	{
		guard(semaphore)(&sem);
		assert_int_equal(sema_count(&sem), 0);
	}
	assert_int_equal(sema_count(&sem), 1);
}

/* ---------------- rwlock ---------------- */

static void test_rwlock_readers_share(void **state)
{
	rwlock_read_lock(&rw);
	as(&other_task);
	assert_true(rwlock_read_trylock(&rw));
	assert_false(rwlock_write_trylock(&rw));
	as_me();
	assert_int_equal(rwlock_nr_readers(&rw), 2);
	rwlock_read_unlock(&rw);
	as(&other_task);
	rwlock_read_unlock(&rw);
	as_me();
	assert_true(rwlock_write_trylock(&rw));
	assert_true(rwlock_write_owned_by_current(&rw));
	as(&other_task);
	assert_false(rwlock_read_trylock(&rw));
	assert_false(rwlock_write_trylock(&rw));
	assert_false(rwlock_write_owned_by_current(&rw));
	as_me();
	rwlock_write_unlock(&rw);
	assert_int_equal(fake_sleep_count, 0);
}

static void hook_reader_leaves(void)
{
	assert_int_equal(rwlock_nr_writers_waiting(&rw), 1);
	/* Writer preference: no new reader gets in while a writer waits. */
	as(&third_task);
	assert_false(rwlock_read_trylock(&rw));
	as(&other_task);
	rwlock_read_unlock(&rw);
	as_me();
	assert_int_equal(fake_task.state, TASK_RUNNING);
}

static void test_rwlock_writer_waits_for_readers(void **state)
{
	as(&other_task);
	rwlock_read_lock(&rw);
	as_me();
	fake_sleep_hook = hook_reader_leaves;
	rwlock_write_lock(&rw);
	assert_int_equal(fake_sleep_count, 1);
	assert_true(rwlock_write_owned_by_current(&rw));
	assert_int_equal(rwlock_nr_writers_waiting(&rw), 0);
	assert_int_equal(rwlock_nr_readers(&rw), 0);
	rwlock_write_unlock(&rw);
	as(&third_task);
	assert_true(rwlock_read_trylock(&rw));
	rwlock_read_unlock(&rw);
	as_me();
}

static void hook_writer_leaves(void)
{
	as(&other_task);
	rwlock_write_unlock(&rw);
	as_me();
}

static void test_rwlock_reader_waits_for_writer(void **state)
{
	as(&other_task);
	rwlock_write_lock(&rw);
	as_me();
	fake_sleep_hook = hook_writer_leaves;
	rwlock_read_lock(&rw);
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(rwlock_nr_readers(&rw), 1);
	rwlock_read_unlock(&rw);
}

/* third is a writer asleep on writeq, as rwlock_write_lock leaves it. */
static void third_writer_sleeps(void)
{
	rw.writers_waiting++;
	third_sleeps_on(&rw.writeq, TASK_UNINTERRUPTIBLE);
}

static void hook_third_writer_done(void)
{
	as(&third_task);
	rwlock_write_unlock(&rw); /* no writer left: readers go */
	as_me();
	assert_int_equal(fake_task.state, TASK_RUNNING);
}

static void hook_writer_hands_to_writer(void)
{
	as(&other_task);
	rwlock_write_unlock(&rw);
	as_me();
	/* The waiting writer goes first; the reader sleeps on. */
	assert_int_equal(third_task.state, TASK_RUNNING);
	assert_int_equal(fake_task.state, TASK_UNINTERRUPTIBLE);
	/* third wakes and takes the lock as its write_lock loop would. */
	as(&third_task);
	finish_wait(&rw.writeq, &third_entry);
	assert_true(rwlock_write_trylock(&rw));
	rw.writers_waiting--;
	as_me();
	fake_sleep_hook = hook_third_writer_done;
}

static void test_rwlock_writer_preferred_on_release(void **state)
{
	as(&other_task);
	rwlock_write_lock(&rw);
	as_me();
	third_writer_sleeps();
	fake_sleep_hook = hook_writer_hands_to_writer;
	rwlock_read_lock(&rw);
	assert_int_equal(fake_sleep_count, 2);
	assert_int_equal(rwlock_nr_readers(&rw), 1);
	rwlock_read_unlock(&rw);
}

static void test_rwlock_bugs(void **state)
{
	as(&other_task);
	rwlock_write_lock(&rw);
	as_me();
	expect_assert_failure(rwlock_write_unlock(&rw));
	as(&other_task);
	expect_assert_failure(rwlock_write_lock(&rw)); /* recursive */
	rwlock_write_unlock(&rw);
	as_me();
	expect_assert_failure(rwlock_read_unlock(&rw)); /* not held */
	assert_int_equal(fake_panic_count, 3);
	/* Nothing was left locked by the failed checks. */
	assert_true(rwlock_write_trylock(&rw));
	rwlock_write_unlock(&rw);
}

static void test_rwlock_guards(void **state)
{
	{
		guard(rwlock_read)(&rw);
		assert_int_equal(rwlock_nr_readers(&rw), 1);
		as(&other_task);
		{
			guard(rwlock_read)(&rw);
			assert_int_equal(rwlock_nr_readers(&rw), 2);
		}
		as_me();
	}
	{
		guard(rwlock_write)(&rw);
		assert_true(rwlock_write_owned_by_current(&rw));
	}
	assert_int_equal(rwlock_nr_readers(&rw), 0);
	assert_true(rwlock_write_trylock(&rw));
	rwlock_write_unlock(&rw);
}

/* ---------------- condvar ---------------- */

static void hook_other_sets_flag_and_signals(void)
{
	/* condvar_wait released the mutex before sleeping. */
	assert_false(mutex_is_locked(&m));
	assert_int_equal(condvar_nr_waiters(&cv), 1);
	as(&other_task);
	mutex_lock(&m);
	flag = 1;
	condvar_signal(&cv);
	mutex_unlock(&m);
	as_me();
	assert_int_equal(condvar_nr_waiters(&cv), 0);
}

static void test_condvar_wait_signal(void **state)
{
	mutex_lock(&m);
	fake_sleep_hook = hook_other_sets_flag_and_signals;
	while (!flag)
		condvar_wait(&cv, &m);
	assert_true(mutex_owned_by_current(&m));
	assert_int_equal(fake_sleep_count, 1);
	mutex_unlock(&m);
}

static void hook_other_releases_mutex(void)
{
	assert_int_equal(mutex_nr_waiters(&m), 1);
	as(&other_task);
	mutex_unlock(&m);
	as_me();
}

static void hook_signal_with_mutex_held(void)
{
	as(&other_task);
	mutex_lock(&m);
	flag = 1;
	condvar_signal(&cv);
	as_me();
	/* We wake holding nothing and must wait for the mutex. */
	fake_sleep_hook = hook_other_releases_mutex;
}

static void test_condvar_reacquire_contended(void **state)
{
	mutex_lock(&m);
	fake_sleep_hook = hook_signal_with_mutex_held;
	while (!flag)
		condvar_wait(&cv, &m);
	assert_int_equal(fake_sleep_count, 2);
	assert_true(mutex_owned_by_current(&m));
	mutex_unlock(&m);
}

static void test_condvar_interruptible(void **state)
{
	mutex_lock(&m);
	fake_signal_pending = true;
	assert_int_equal(condvar_wait_interruptible(&cv, &m), -EINTR);
	assert_true(mutex_owned_by_current(&m));
	assert_int_equal(condvar_nr_waiters(&cv), 0);
	assert_int_equal(fake_sleep_count, 0);

	fake_signal_pending = false;
	fake_sleep_hook = hook_signal_arrives;
	assert_int_equal(condvar_wait_interruptible(&cv, &m), -EINTR);
	assert_int_equal(fake_sleep_count, 1);
	assert_true(mutex_owned_by_current(&m));
	assert_int_equal(fake_task.state, TASK_RUNNING);
	mutex_unlock(&m);
}

static void hook_signal_and_condvar_signal(void)
{
	fake_signal_pending = true;
	condvar_signal(&cv);
}

static void test_condvar_wakeup_beats_signal(void **state)
{
	mutex_lock(&m);
	fake_sleep_hook = hook_signal_and_condvar_signal;
	/* The wake-up was ours: report it, do not swallow it as -EINTR. */
	assert_int_equal(condvar_wait_interruptible(&cv, &m), 0);
	assert_true(mutex_owned_by_current(&m));
	mutex_unlock(&m);
}

static void test_condvar_timeout(void **state)
{
	mutex_lock(&m);
	assert_int_equal(condvar_wait_timeout(&cv, &m, hal_time_ns() + 1000000), -ETIMEDOUT);
	assert_true(mutex_owned_by_current(&m));
	assert_int_equal(condvar_nr_waiters(&cv), 0);
	assert_int_equal(fake_sleep_count, 1);
	fake_sleep_hook = hook_other_sets_flag_and_signals;
	mutex_unlock(&m);
	mutex_lock(&m);
	assert_int_equal(condvar_wait_timeout(&cv, &m, hal_time_ns() + 1000000), 0);
	assert_int_equal(flag, 1);
	mutex_unlock(&m);
}

static void hook_third_joins_then_signal(void)
{
	third_sleeps_on(&cv.wait, TASK_INTERRUPTIBLE);
	assert_int_equal(condvar_nr_waiters(&cv), 2);
	condvar_signal(&cv);
	/* Oldest first, and only one. */
	assert_int_equal(fake_task.state, TASK_RUNNING);
	assert_int_equal(third_task.state, TASK_INTERRUPTIBLE);
	assert_int_equal(condvar_nr_waiters(&cv), 1);
}

static void test_condvar_signal_one_broadcast_all(void **state)
{
	mutex_lock(&m);
	fake_sleep_hook = hook_third_joins_then_signal;
	condvar_wait(&cv, &m);
	assert_true(mutex_owned_by_current(&m));
	condvar_broadcast(&cv);
	assert_int_equal(third_task.state, TASK_RUNNING);
	assert_int_equal(condvar_nr_waiters(&cv), 0);
	third_leaves(&cv.wait);
	condvar_signal(&cv); /* nobody waits: a no-op */
	mutex_unlock(&m);
}

static void test_condvar_needs_mutex(void **state)
{
	expect_assert_failure(condvar_wait(&cv, &m));
	as(&other_task);
	mutex_lock(&m);
	as_me();
	expect_assert_failure(condvar_wait(&cv, &m));
	assert_int_equal(fake_panic_count, 2);
	assert_int_equal(condvar_nr_waiters(&cv), 0);
	as(&other_task);
	mutex_unlock(&m);
	as_me();
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mutex_basic),
		T(test_mutex_contended_handoff),
		T(test_mutex_fifo),
		T(test_mutex_interruptible_pending),
		T(test_mutex_interrupted_while_sleeping),
		T(test_mutex_handoff_beats_signal),
		T(test_mutex_unlock_by_non_owner),
		T(test_mutex_recursive),
		T(test_mutex_guard),
		T(test_mutex_static_init),
		T(test_sema_counting),
		T(test_sema_down_sleeps),
		T(test_sema_interruptible),
		T(test_sema_timeout),
		T(test_sema_up_wakes_one),
		T(test_sema_guard),
		T(test_rwlock_readers_share),
		T(test_rwlock_writer_waits_for_readers),
		T(test_rwlock_reader_waits_for_writer),
		T(test_rwlock_writer_preferred_on_release),
		T(test_rwlock_bugs),
		T(test_rwlock_guards),
		T(test_condvar_wait_signal),
		T(test_condvar_reacquire_contended),
		T(test_condvar_interruptible),
		T(test_condvar_wakeup_beats_signal),
		T(test_condvar_timeout),
		T(test_condvar_signal_one_broadcast_all),
		T(test_condvar_needs_mutex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
