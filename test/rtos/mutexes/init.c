/*
 * MUTEXES: priority inheritance beyond one mutex and one waiter. It is transitive (H waits for M, which
 * waits for L: L runs at H's priority); a waiter that times out takes its priority back from the
 * holder, and so does a waiter that is deleted; a holder of two mutexes keeps the priority of the
 * waiters on the one it still holds when it releases the other first, and drops to its own priority when
 * it holds none. Flushing an inheritance mutex is not defined.
 */
#include "tmacros.h"

#define ATTRIBUTES (RTEMS_BINARY_SEMAPHORE | RTEMS_PRIORITY | RTEMS_INHERIT_PRIORITY)

static rtems_id mutex_a, mutex_b, low_id, medium_id;

static void wait_for_go(void)
{
  rtems_event_set out;
  directive_ok(rtems_event_receive(RTEMS_EVENT_0, RTEMS_EVENT_ANY, RTEMS_NO_TIMEOUT, &out));
}

/* ---- transitive: H -> B (held by M) -> A (held by L) ---------------------------------------------- */

static rtems_task chain_low(rtems_task_argument unused)
{
  (void)unused;
  directive_ok(rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(1, "L (30) holds A and waits for Init's go");
  wait_for_go();
  step(6, "L runs at %u and releases A", (unsigned)test_priority_of(RTEMS_SELF));
  directive_ok(rtems_semaphore_release(mutex_a));
  step(10, "L is back at %u", (unsigned)test_priority_of(RTEMS_SELF));
  test_task_exit();
}

static rtems_task chain_medium(rtems_task_argument unused)
{
  (void)unused;
  directive_ok(rtems_semaphore_obtain(mutex_b, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(2, "M (20) holds B and wants A");
  directive_ok(rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(7, "M obtained A at %u, releases A and B", (unsigned)test_priority_of(RTEMS_SELF));
  directive_ok(rtems_semaphore_release(mutex_a));
  directive_ok(rtems_semaphore_release(mutex_b));
  step(9, "M is back at %u", (unsigned)test_priority_of(RTEMS_SELF));
  test_task_exit();
}

static rtems_task chain_high(rtems_task_argument unused)
{
  (void)unused;
  step(3, "H (10) wants B");
  directive_ok(rtems_semaphore_obtain(mutex_b, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(8, "H obtained B");
  directive_ok(rtems_semaphore_release(mutex_b));
  test_task_exit();
}

/* ---- a waiter that times out ---------------------------------------------------------------------- */

static rtems_task timeout_low(rtems_task_argument unused)
{
  (void)unused;
  directive_ok(rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(12, "L holds A and waits for Init's go");
  wait_for_go();
  directive_ok(rtems_semaphore_release(mutex_a));
  step(17, "L released A");
  test_task_exit();
}

static rtems_task timeout_high(rtems_task_argument unused)
{
  (void)unused;
  step(13, "H wants A for at most 3 ticks");
  check_status(rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, 3), RTEMS_TIMEOUT);
  step(15, "H timed out");
  test_task_exit();
}

/* ---- two mutexes, released in the order they were obtained ------------------------------------- */

static rtems_task pair_low(rtems_task_argument unused)
{
  (void)unused;
  directive_ok(rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  directive_ok(rtems_semaphore_obtain(mutex_b, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(18, "L holds A and B and waits for Init's go");
  wait_for_go();
  step(22, "L runs at %u and releases A first", (unsigned)test_priority_of(RTEMS_SELF));
  directive_ok(rtems_semaphore_release(mutex_a));
  step(23, "L still holds B, wanted by H2: it stays at %u", (unsigned)test_priority_of(RTEMS_SELF));
  directive_ok(rtems_semaphore_release(mutex_b));
  step(26, "L holds nothing and is back at %u", (unsigned)test_priority_of(RTEMS_SELF));
  test_task_exit();
}

static rtems_task pair_waiter(rtems_task_argument which)
{
  rtems_id mutex = which == 1 ? mutex_a : mutex_b;
  step(which == 1 ? 19 : 20, "H%d (%d) wants %c", (int)which, which == 1 ? 20 : 10, which == 1 ? 'A' : 'B');
  directive_ok(rtems_semaphore_obtain(mutex, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(which == 1 ? 25 : 24, "H%d obtained %c", (int)which, which == 1 ? 'A' : 'B');
  directive_ok(rtems_semaphore_release(mutex));
  test_task_exit();
}

/* ---- a waiter that is deleted ---------------------------------------------------------------------- */

static rtems_task holding(rtems_task_argument unused)
{
  (void)unused;
  directive_ok(rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  wait_for_go();
  directive_ok(rtems_semaphore_release(mutex_a));
  test_task_exit();
}

static rtems_task doomed_waiter(rtems_task_argument unused)
{
  (void)unused;
  (void)rtems_semaphore_obtain(mutex_a, RTEMS_WAIT, RTEMS_NO_TIMEOUT);
  check(false); /* deleted while it waits */
  test_task_exit();
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("MUTEXES");
  directive_ok(rtems_semaphore_create(TASK_NAME("A   "), 1, ATTRIBUTES, 0, &mutex_a));
  directive_ok(rtems_semaphore_create(TASK_NAME("B   "), 1, ATTRIBUTES, 0, &mutex_b));
  test_set_own_priority(100);

  printk("-- transitive inheritance\n");
  low_id = test_task("L   ", 30, chain_low, 0);
  medium_id = test_task("M   ", 20, chain_medium, 0);
  test_task("H   ", 10, chain_high, 0);
  step(4, "Init sees M at %u and L at %u", (unsigned)test_priority_of(medium_id), (unsigned)test_priority_of(low_id));
  check_equal(test_priority_of(medium_id), 10);
  check_equal(test_priority_of(low_id), 10);
  step(5, "Init sends L the go");
  directive_ok(rtems_event_send(low_id, RTEMS_EVENT_0));
  step(11, "Init runs when H, M and L are done");

  printk("-- a waiter that times out\n");
  low_id = test_task("L   ", 30, timeout_low, 0);
  test_task("H   ", 10, timeout_high, 0);
  step(14, "Init sees L at %u and sleeps 5 ticks", (unsigned)test_priority_of(low_id));
  check_equal(test_priority_of(low_id), 10);
  directive_ok(rtems_task_wake_after(5));
  step(16, "Init sees L back at %u and sends it the go", (unsigned)test_priority_of(low_id));
  check_equal(test_priority_of(low_id), 30);
  directive_ok(rtems_event_send(low_id, RTEMS_EVENT_0)); /* L (30) runs to its end before Init (100) */

  printk("-- two mutexes\n");
  low_id = test_task("L   ", 30, pair_low, 0);
  test_task("H1  ", 20, pair_waiter, 1);
  test_task("H2  ", 10, pair_waiter, 2);
  step(21, "Init sees L at %u and sends it the go", (unsigned)test_priority_of(low_id));
  check_equal(test_priority_of(low_id), 10);
  directive_ok(rtems_event_send(low_id, RTEMS_EVENT_0));
  step(27, "Init runs when every task is done");

  printk("-- a waiter that is deleted\n");
  low_id = test_task("L   ", 30, holding, 0);
  rtems_id waiter = test_task("W   ", 10, doomed_waiter, 0);
  check_equal(test_priority_of(low_id), 10);
  check_status(rtems_semaphore_flush(mutex_a), RTEMS_NOT_DEFINED);
  directive_ok(rtems_task_delete(waiter));
  check_equal(test_priority_of(low_id), 30);
  printk("L held A at 10 while W waited, and is back at %u once W is deleted\n", (unsigned)test_priority_of(low_id));
  directive_ok(rtems_event_send(low_id, RTEMS_EVENT_0));

  directive_ok(rtems_semaphore_delete(mutex_a));
  directive_ok(rtems_semaphore_delete(mutex_b));
  test_end();
}
