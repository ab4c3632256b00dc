/*
 * SCHED: the ready queue. The most important ready task runs; tasks of equal priority run in the order
 * they became ready (FIFO), and a yield puts the caller behind its equals; a task started at the
 * running task's priority waits for it; changing the priority of ready tasks reorders them.
 */
#include "tmacros.h"

static volatile int ran;

static rtems_task once(rtems_task_argument n)
{
  ran++;
  switch (n) {
  case 3:
    step(3, "T3 (priority 3) runs first");
    break;
  case 7:
    step(10, "T7 (priority 7) runs after every priority-5 task");
    directive_ok(rtems_task_wake_after(RTEMS_YIELD_PROCESSOR));
    step(11, "T7 yielded with no task of its priority ready and kept running");
    break;
  case 14:
    step(14, "P1 runs once Init yields");
    break;
  default:
    step((int)n, "Q%d runs", 20 - (int)n); /* steps 17-19: Q3, Q2, Q1 */
    break;
  }
  test_task_exit();
}

/* Three tasks of priority 5: each runs, yields to the next, and runs again in the same order. */
static rtems_task twice(rtems_task_argument n)
{
  ran++;
  step((int)n, "T5%c runs", (char)('A' + n - 4));
  directive_ok(rtems_task_wake_after(RTEMS_YIELD_PROCESSOR));
  step((int)n + 3, "T5%c runs again after its yield", (char)('A' + n - 4));
  test_task_exit();
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("SCHED");

  test_task("T5A ", 5, twice, 4);
  test_task("T3  ", 3, once, 3);
  test_task("T7  ", 7, once, 7);
  test_task("T5B ", 5, twice, 5);
  test_task("T5C ", 5, twice, 6);
  check_equal(ran, 0);
  step(1, "Init (priority 1) started five tasks and none ran");
  step(2, "Init lowers itself to priority 100");
  test_set_own_priority(100);
  check_equal(ran, 5);
  step(12, "Init runs again once every more important task is done");

  test_set_own_priority(20);
  test_task("P1  ", 20, once, 14);
  check_equal(ran, 5);
  step(13, "Init started P1 at its own priority and kept running");
  directive_ok(rtems_task_wake_after(RTEMS_YIELD_PROCESSOR));
  step(15, "Init runs after P1");

  rtems_id q1 = test_task("Q1  ", 30, once, 19);
  test_task("Q2  ", 30, once, 18);
  rtems_id q3 = test_task("Q3  ", 30, once, 17);
  rtems_task_priority old = 0;
  directive_ok(rtems_task_set_priority(q3, 25, &old));
  check_equal(old, 30);
  directive_ok(rtems_task_set_priority(q1, 40, &old));
  check_equal(old, 30);
  check_equal(test_priority_of(q1), 40);
  step(16, "Init raised Q3 to 25 and lowered Q1 to 40; it lowers itself to 100");
  test_set_own_priority(100);
  step(20, "Init runs again after Q3, Q2 and Q1");
  test_end();
}
