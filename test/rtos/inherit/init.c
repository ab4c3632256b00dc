/*
 * INHERIT: mutexes (binary semaphores). Priority inheritance resolves the classic inversion: while H
 * waits for a mutex that L holds, L runs at H's priority, so M (between the two) cannot keep H waiting.
 * Priority ceiling: the holder runs at the ceiling from the moment it obtains the mutex, and a task more
 * important than the ceiling may not obtain it. Also ownership, nesting, and deleting a held mutex.
 */
#include "tmacros.h"

#define LOW 30
#define MEDIUM 20
#define HIGH 10
#define CEILING 5

static rtems_id mutex;
static rtems_id ceiling;

static rtems_task high_task(rtems_task_argument unused)
{
  (void)unused;
  step(3, "H (priority %d) wants the mutex", HIGH);
  directive_ok(rtems_semaphore_obtain(mutex, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(7, "H obtained the mutex");
  directive_ok(rtems_semaphore_release(mutex));
  test_task_exit();
}

static rtems_task medium_task(rtems_task_argument unused)
{
  (void)unused;
  step(8, "M (priority %d) runs only after H", MEDIUM);
  test_task_exit();
}

static rtems_task low_task(rtems_task_argument unused)
{
  (void)unused;
  step(1, "L (priority %d) runs", LOW);
  directive_ok(rtems_semaphore_obtain(mutex, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(2, "L obtained the mutex and starts H");
  rtems_id h = test_task("H   ", HIGH, high_task, 0);
  step(4, "L runs at H's priority while H waits: %u", (unsigned)test_priority_of(RTEMS_SELF));
  check(h != 0);
  step(5, "L starts M: M does not preempt L");
  test_task("M   ", MEDIUM, medium_task, 0);
  step(6, "L releases the mutex");
  directive_ok(rtems_semaphore_release(mutex));
  step(9, "L is back at priority %u", (unsigned)test_priority_of(RTEMS_SELF));
  test_task_exit();
}

static rtems_task ceiling_high(rtems_task_argument unused)
{
  (void)unused;
  step(14, "H2 (priority %d) runs once L2 releases the ceiling mutex", HIGH);
  directive_ok(rtems_semaphore_obtain(ceiling, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  check_equal(test_priority_of(RTEMS_SELF), CEILING);
  directive_ok(rtems_semaphore_release(ceiling));
  check_equal(test_priority_of(RTEMS_SELF), HIGH);
  test_task_exit();
}

static rtems_task ceiling_low(rtems_task_argument unused)
{
  (void)unused;
  step(11, "L2 (priority %d) obtains the ceiling mutex", LOW);
  directive_ok(rtems_semaphore_obtain(ceiling, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(12, "L2 runs at the ceiling, %u, and starts H2: H2 does not preempt L2", (unsigned)test_priority_of(RTEMS_SELF));
  test_task("H2  ", HIGH, ceiling_high, 0);
  step(13, "L2 releases the ceiling mutex");
  directive_ok(rtems_semaphore_release(ceiling));
  step(15, "L2 is back at priority %u", (unsigned)test_priority_of(RTEMS_SELF));
  test_task_exit();
}

static rtems_task too_important(rtems_task_argument unused)
{
  (void)unused;
  check_status(rtems_semaphore_obtain(ceiling, RTEMS_WAIT, RTEMS_NO_TIMEOUT), RTEMS_INVALID_PRIORITY);
  printk("a task more important than the ceiling cannot obtain the mutex\n");
  test_task_exit();
}

static rtems_task not_owner(rtems_task_argument unused)
{
  (void)unused;
  check_status(rtems_semaphore_release(mutex), RTEMS_NOT_OWNER_OF_RESOURCE);
  check_status(rtems_semaphore_obtain(mutex, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED);
  printk("another task can neither release nor take the held mutex\n");
  test_task_exit();
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("INHERIT");

  printk("-- priority inheritance\n");
  directive_ok(rtems_semaphore_create(TASK_NAME("MTX "), 1, RTEMS_BINARY_SEMAPHORE | RTEMS_PRIORITY | RTEMS_INHERIT_PRIORITY, 0, &mutex));
  test_task("L   ", LOW, low_task, 0);
  test_set_own_priority(100);
  step(10, "Init runs when L, M and H are done");

  printk("-- priority ceiling\n");
  directive_ok(rtems_semaphore_create(TASK_NAME("CEIL"), 1, RTEMS_BINARY_SEMAPHORE | RTEMS_PRIORITY | RTEMS_PRIORITY_CEILING, CEILING, &ceiling));
  test_task("L2  ", LOW, ceiling_low, 0);
  step(16, "Init runs when L2 and H2 are done");
  test_task("TOP ", CEILING - 2, too_important, 0);

  printk("-- ownership and nesting\n");
  directive_ok(rtems_semaphore_obtain(mutex, RTEMS_NO_WAIT, 0));
  directive_ok(rtems_semaphore_obtain(mutex, RTEMS_NO_WAIT, 0)); /* the owner nests */
  test_task("NOWN", 50, not_owner, 0);
  directive_ok(rtems_semaphore_release(mutex));
  test_task("NOWN", 50, not_owner, 0); /* still held: one release per obtain */
  check_status(rtems_semaphore_delete(mutex), RTEMS_RESOURCE_IN_USE);
  directive_ok(rtems_semaphore_release(mutex));
  check_status(rtems_semaphore_release(mutex), RTEMS_NOT_OWNER_OF_RESOURCE);
  directive_ok(rtems_semaphore_delete(mutex));
  check_status(rtems_semaphore_obtain(mutex, RTEMS_NO_WAIT, 0), RTEMS_INVALID_ID);
  printk("the owner nests, releases once per obtain, and cannot delete the mutex while holding it\n");
  test_end();
}
