/*
 * TASKS: the task manager's directives and their error codes: create, start, ident, self, suspend,
 * resume, is_suspended, set_priority, delete (of a ready task, a blocked task, and itself) and mode.
 */
/* 1 ms ticks: the interrupt-level check busy-waits three tick lengths, emulated instruction by instruction. */
#define CONFIGURE_MICROSECONDS_PER_TICK 1000
#define CONFIGURE_INIT
#include <rtems/confdefs.h>

#include "tmacros.h"

static volatile int worker_runs;
static rtems_id sem;

static rtems_task worker(rtems_task_argument unused)
{
  (void)unused;
  for (;;) {
    worker_runs++;
    directive_ok(rtems_task_wake_after(RTEMS_YIELD_PROCESSOR));
  }
}

static rtems_task blocked(rtems_task_argument unused)
{
  (void)unused;
  (void)rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT);
  check(false); /* deleted while it waits */
  test_task_exit();
}

static rtems_task self_deleting(rtems_task_argument arg)
{
  check_equal(arg, 0x1234);
  printk("the task given 0x%x deletes itself\n", (unsigned)arg);
  rtems_task_delete(RTEMS_SELF);
  check(false);
  test_end();
}

static rtems_task mode_task(rtems_task_argument unused)
{
  (void)unused;
  rtems_mode mode = 0;
  directive_ok(rtems_task_mode(RTEMS_DEFAULT_MODES, 0, &mode)); /* an empty mask only reads the mode */
  check_equal(mode & RTEMS_PREEMPT_MASK, RTEMS_NO_PREEMPT);
  check_equal(mode & RTEMS_TIMESLICE_MASK, RTEMS_TIMESLICE);
  printk("a task created with RTEMS_NO_PREEMPT | RTEMS_TIMESLICE reads them back\n");
  test_task_exit();
}

/* Yields a few times at the worker's priority so a ready worker gets the processor. */
static int runs_after_yields(void)
{
  int before = worker_runs;
  for (int i = 0; i < 3; i++) directive_ok(rtems_task_wake_after(RTEMS_YIELD_PROCESSOR));
  return worker_runs - before;
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_id id = 0, found = 0;
  rtems_task_priority old = 0;
  rtems_mode mode = 0;
  test_begin("TASKS");

  printk("-- create and start\n");
  check_status(rtems_task_create(0, 10, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), RTEMS_INVALID_NAME);
  check_status(rtems_task_create(TASK_NAME("BAD "), 0, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), RTEMS_INVALID_PRIORITY);
  check_status(rtems_task_create(TASK_NAME("BAD "), 256, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), RTEMS_INVALID_PRIORITY);
  check_status(rtems_task_create(TASK_NAME("BAD "), 10, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, NULL), RTEMS_INVALID_ADDRESS);
  rtems_id worker_id = 0;
  directive_ok(rtems_task_create(TASK_NAME("WORK"), 10, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &worker_id));
  check_status(rtems_task_start(worker_id, NULL, 0), RTEMS_INVALID_ADDRESS);
  check_status(rtems_task_resume(worker_id), RTEMS_INCORRECT_STATE); /* dormant: not started yet */
  directive_ok(rtems_task_start(worker_id, worker, 0));
  check_status(rtems_task_start(worker_id, worker, 0), RTEMS_INCORRECT_STATE);
  check_equal(worker_runs, 0); /* Init (priority 1) is more important */

  printk("-- ident and self\n");
  directive_ok(rtems_task_ident(TASK_NAME("WORK"), 0, &found));
  check(found == worker_id);
  check_status(rtems_task_ident(TASK_NAME("NONE"), 0, &found), RTEMS_INVALID_NAME);
  directive_ok(rtems_task_ident(RTEMS_SELF, 0, &found));
  check(found == rtems_task_self());
  check(rtems_task_self() != worker_id);

  printk("-- set_priority\n");
  directive_ok(rtems_task_set_priority(RTEMS_SELF, RTEMS_CURRENT_PRIORITY, &old));
  check_equal(old, 1);
  check_status(rtems_task_set_priority(RTEMS_SELF, 256, &old), RTEMS_INVALID_PRIORITY);
  check_status(rtems_task_set_priority(RTEMS_SELF, 10, NULL), RTEMS_INVALID_ADDRESS);
  check_status(rtems_task_set_priority(0x7fffffff, 10, &old), RTEMS_INVALID_ID);
  directive_ok(rtems_task_set_priority(RTEMS_SELF, 10, &old));
  check_equal(old, 1);
  check_equal(worker_runs, 0); /* equal priority: no preemption */
  check(runs_after_yields() > 0);
  printk("the worker runs when Init yields at its priority\n");

  printk("-- suspend and resume\n");
  check_status(rtems_task_is_suspended(worker_id), RTEMS_SUCCESSFUL);
  directive_ok(rtems_task_suspend(worker_id));
  check_status(rtems_task_is_suspended(worker_id), RTEMS_ALREADY_SUSPENDED);
  check_status(rtems_task_suspend(worker_id), RTEMS_ALREADY_SUSPENDED);
  check_equal(runs_after_yields(), 0);
  printk("a suspended worker does not run\n");
  directive_ok(rtems_task_resume(worker_id));
  check_status(rtems_task_resume(worker_id), RTEMS_INCORRECT_STATE);
  check(runs_after_yields() > 0);
  printk("the resumed worker runs again\n");
  check_status(rtems_task_suspend(0x7fffffff), RTEMS_INVALID_ID);
  check_status(rtems_task_resume(0x7fffffff), RTEMS_INVALID_ID);

  printk("-- delete\n");
  directive_ok(rtems_task_delete(worker_id));
  check_status(rtems_task_suspend(worker_id), RTEMS_INVALID_ID);
  check_status(rtems_task_resume(worker_id), RTEMS_INVALID_ID);
  check_status(rtems_task_start(worker_id, worker, 0), RTEMS_INVALID_ID);
  check_status(rtems_task_set_priority(worker_id, 10, &old), RTEMS_INVALID_ID);
  check_status(rtems_task_delete(worker_id), RTEMS_INVALID_ID);
  check_status(rtems_task_ident(TASK_NAME("WORK"), 0, &found), RTEMS_INVALID_NAME);
  check_equal(runs_after_yields(), 0);
  printk("a deleted task is gone\n");

  directive_ok(rtems_semaphore_create(TASK_NAME("SEM "), 0, RTEMS_COUNTING_SEMAPHORE, 0, &sem));
  rtems_id waiter = test_task("WAIT", 5, blocked, 0);
  directive_ok(rtems_task_delete(waiter));
  directive_ok(rtems_semaphore_release(sem));
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_NO_WAIT, 0));
  printk("a task deleted while it waits on a semaphore leaves the semaphore usable\n");

  test_task("SELF", 5, self_deleting, 0x1234);
  check_status(rtems_task_ident(TASK_NAME("SELF"), 0, &found), RTEMS_INVALID_NAME);

  /* Every task slot can be used again: create and delete more tasks than the limit. */
  int created = 0;
  for (int i = 0; i < 2 * RTEMS_MAXIMUM_TASKS; i++) {
    if (rtems_task_create(TASK_NAME("LOOP"), 50, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id) != RTEMS_SUCCESSFUL) break;
    if (rtems_task_delete(id) != RTEMS_SUCCESSFUL) break;
    created++;
  }
  check_equal(created, 2 * RTEMS_MAXIMUM_TASKS);
  printk("deleted tasks free their slots\n");

  printk("-- too many\n");
  rtems_id ids[RTEMS_MAXIMUM_TASKS];
  int n = 0;
  while (n < RTEMS_MAXIMUM_TASKS && rtems_task_create(TASK_NAME("MANY"), 50, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &ids[n]) == RTEMS_SUCCESSFUL) n++;
  check_equal(n, RTEMS_MAXIMUM_TASKS - 1); /* Init holds one slot */
  check_status(rtems_task_create(TASK_NAME("MANY"), 50, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), RTEMS_TOO_MANY);
  while (n > 0) directive_ok(rtems_task_delete(ids[--n]));
  printk("creating more than RTEMS_MAXIMUM_TASKS tasks fails with RTEMS_TOO_MANY\n");

  printk("-- mode\n");
  directive_ok(rtems_task_mode(RTEMS_DEFAULT_MODES, 0, &mode));
  check_equal(mode & RTEMS_PREEMPT_MASK, RTEMS_PREEMPT);
  check_equal(mode & RTEMS_INTERRUPT_MASK, 0);
  check_status(rtems_task_mode(RTEMS_DEFAULT_MODES, 0, NULL), RTEMS_INVALID_ADDRESS);
  test_task_mode("MODE", 5, RTEMS_NO_PREEMPT | RTEMS_TIMESLICE, mode_task, 0);

  /* Interrupt level 1 masks interrupts: the tick stops counting until level 0 again. */
  directive_ok(rtems_task_mode(RTEMS_INTERRUPT_LEVEL(1), RTEMS_INTERRUPT_MASK, &mode));
  check_equal(mode & RTEMS_INTERRUPT_MASK, 0);
  rtems_interval frozen = rtems_clock_get_ticks_since_boot();
  uint64_t until = rtems_clock_get_uptime_nanoseconds() + 3ull * rtems_configuration_get_nanoseconds_per_tick();
  while (rtems_clock_get_uptime_nanoseconds() < until) __asm__ volatile("" ::: "memory");
  check_equal(rtems_clock_get_ticks_since_boot(), frozen);
  directive_ok(rtems_task_mode(RTEMS_INTERRUPT_LEVEL(0), RTEMS_INTERRUPT_MASK, &mode));
  check(mode & RTEMS_INTERRUPT_MASK);
  directive_ok(rtems_task_wake_after(1));
  check(rtems_clock_get_ticks_since_boot() > frozen);
  printk("interrupt level 1 holds the tick off for three tick lengths; level 0 lets it in\n");

  test_end();
}
