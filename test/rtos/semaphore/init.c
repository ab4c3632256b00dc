/*
 * SEMAPHORE: counting and simple binary semaphores: counts, RTEMS_NO_WAIT, timeouts (measured in
 * ticks), waiters released in FIFO or priority order, flush, and delete with waiters.
 */
#include "tmacros.h"

static rtems_id sem;
static volatile int woken[8];
static volatile int woken_count;

/* Waits on `sem` forever; records the order in which the waiters come back. */
static rtems_task waiter(rtems_task_argument n)
{
  rtems_status_code status = rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT);
  woken[woken_count++] = (int)n;
  printk("  W%d (priority %d) returns %s\n", (int)n, 10 + (int)n, rtems_status_text(status));
  test_task_exit();
}

/* Starts W<n> for each of `order`, one tick apart, so they queue on `sem` in that order. */
static void queue_waiters(const int *order, int count)
{
  woken_count = 0;
  for (int i = 0; i < count; i++) {
    test_task("W   ", 10 + (rtems_task_priority)order[i], waiter, (rtems_task_argument)order[i]);
    directive_ok(rtems_task_wake_after(1));
  }
}

/* Releases `sem` once per waiter, letting each one run before the next release. */
static void release_one_by_one(int count)
{
  for (int i = 0; i < count; i++) {
    directive_ok(rtems_semaphore_release(sem));
    directive_ok(rtems_task_wake_after(1));
  }
}

static void check_timeout(rtems_interval ticks)
{
  rtems_interval before = rtems_clock_get_ticks_since_boot();
  check_status(rtems_semaphore_obtain(sem, RTEMS_WAIT, ticks), RTEMS_TIMEOUT);
  rtems_interval elapsed = rtems_clock_get_ticks_since_boot() - before;
  test_check(elapsed >= ticks && elapsed <= ticks + 1, "timeout elapsed", __LINE__);
  printk("obtain with a timeout of %u ticks returns RTEMS_TIMEOUT %u to %u ticks later: %s\n", (unsigned)ticks,
         (unsigned)ticks, (unsigned)ticks + 1, elapsed >= ticks && elapsed <= ticks + 1 ? "yes" : "no");
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  static const int arrival[3] = {3, 1, 2};
  rtems_id other = 0;
  test_begin("SEMAPHORE");
  test_set_own_priority(5);

  printk("-- counting\n");
  directive_ok(rtems_semaphore_create(TASK_NAME("CNT "), 3, RTEMS_COUNTING_SEMAPHORE | RTEMS_FIFO, 0, &sem));
  for (int i = 0; i < 3; i++) directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED);
  directive_ok(rtems_semaphore_release(sem));
  directive_ok(rtems_semaphore_release(sem));
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED);
  printk("a count of 3 satisfies three obtains; each release one more\n");
  for (int i = 0; i < 100; i++) directive_ok(rtems_semaphore_release(sem));
  for (int i = 0; i < 100; i++) directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED);
  printk("100 releases allow 100 obtains\n");

  printk("-- timeouts\n");
  check_timeout(1);
  check_timeout(5);
  check_timeout(20);

  printk("-- FIFO waiters: they queue as W3, W1, W2\n");
  queue_waiters(arrival, 3);
  release_one_by_one(3);
  check(woken[0] == 3 && woken[1] == 1 && woken[2] == 2);
  directive_ok(rtems_semaphore_delete(sem));

  printk("-- priority waiters: they queue as W3, W1, W2\n");
  directive_ok(rtems_semaphore_create(TASK_NAME("PRI "), 0, RTEMS_COUNTING_SEMAPHORE | RTEMS_PRIORITY, 0, &sem));
  queue_waiters(arrival, 3);
  release_one_by_one(3);
  check(woken[0] == 1 && woken[1] == 2 && woken[2] == 3);

  printk("-- flush\n");
  queue_waiters(arrival, 2);
  directive_ok(rtems_semaphore_flush(sem));
  directive_ok(rtems_task_wake_after(1));
  check_equal(woken_count, 2);
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED); /* a flush leaves the count alone */

  printk("-- delete with waiters\n");
  queue_waiters(arrival, 2);
  directive_ok(rtems_semaphore_delete(sem));
  directive_ok(rtems_task_wake_after(1));
  check_equal(woken_count, 2);
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_INVALID_ID);
  check_status(rtems_semaphore_release(sem), RTEMS_INVALID_ID);
  check_status(rtems_semaphore_delete(sem), RTEMS_INVALID_ID);

  printk("-- simple binary\n");
  directive_ok(rtems_semaphore_create(TASK_NAME("SBIN"), 1, RTEMS_SIMPLE_BINARY_SEMAPHORE, 0, &sem));
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED); /* no nesting */
  directive_ok(rtems_semaphore_release(sem));
  directive_ok(rtems_semaphore_release(sem)); /* the count stays at 1 */
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  check_status(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED);
  queue_waiters(arrival, 1);
  directive_ok(rtems_semaphore_release(sem)); /* any task may release it: there is no owner */
  directive_ok(rtems_task_wake_after(1));
  check_equal(woken_count, 1);
  directive_ok(rtems_semaphore_delete(sem));
  printk("a simple binary semaphore neither nests nor counts past 1\n");

  printk("-- errors\n");
  check_status(rtems_semaphore_create(0, 1, RTEMS_COUNTING_SEMAPHORE, 0, &other), RTEMS_INVALID_NAME);
  check_status(rtems_semaphore_create(TASK_NAME("BAD "), 1, RTEMS_COUNTING_SEMAPHORE, 0, NULL), RTEMS_INVALID_ADDRESS);
  check_status(rtems_semaphore_create(TASK_NAME("BAD "), 2, RTEMS_BINARY_SEMAPHORE, 0, &other), RTEMS_INVALID_NUMBER);
  rtems_id ids[RTEMS_MAXIMUM_SEMAPHORES];
  int n = 0;
  while (n < RTEMS_MAXIMUM_SEMAPHORES && rtems_semaphore_create(TASK_NAME("MANY"), 0, RTEMS_COUNTING_SEMAPHORE, 0, &ids[n]) == RTEMS_SUCCESSFUL) n++;
  check_equal(n, RTEMS_MAXIMUM_SEMAPHORES);
  check_status(rtems_semaphore_create(TASK_NAME("MANY"), 0, RTEMS_COUNTING_SEMAPHORE, 0, &other), RTEMS_TOO_MANY);
  while (n > 0) directive_ok(rtems_semaphore_delete(ids[--n]));
  printk("RTEMS_MAXIMUM_SEMAPHORES semaphores exist at most\n");
  test_end();
}
