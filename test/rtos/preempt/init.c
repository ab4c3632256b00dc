/*
 * PREEMPT: a task that becomes more important than the running one runs at once, whatever made it
 * ready: rtems_task_start, a semaphore release, an event, rtems_task_resume, a priority change, and an
 * interrupt handler (the switch happens when the interrupt ends, before the interrupted task goes on).
 * A task in RTEMS_NO_PREEMPT mode keeps the processor until it allows preemption again.
 */
#include "tmacros.h"

static rtems_id sem;
static rtems_id high;
static volatile int handled;
static volatile int handler_action;

static rtems_task high_task(rtems_task_argument unused)
{
  (void)unused;
  rtems_event_set events = 0;
  step(2, "H preempts Init inside rtems_task_start");
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(5, "H obtained S: the release preempted Init");
  directive_ok(rtems_event_receive(RTEMS_EVENT_0, RTEMS_EVENT_ANY, RTEMS_NO_TIMEOUT, &events));
  step(7, "H received E0: the send preempted Init");
  directive_ok(rtems_task_suspend(RTEMS_SELF));
  step(9, "H resumed: the resume preempted Init");
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(14, "H obtained S released by the handler, before the interrupted Init went on");
  directive_ok(rtems_event_receive(RTEMS_EVENT_1, RTEMS_EVENT_ANY, RTEMS_NO_TIMEOUT, &events));
  step(18, "H received E1 sent by the handler, before the interrupted Init went on");
  directive_ok(rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  step(23, "H obtained S once Init allowed preemption again");
  test_task_exit();
}

static rtems_task raised_task(rtems_task_argument unused)
{
  (void)unused;
  step(11, "L preempts Init as soon as its priority rises above Init's");
  test_task_exit();
}

static void test_handler(void *arg)
{
  check(arg == &handled);
  check(rtems_interrupt_is_in_progress());
  if (handler_action == 0) {
    step(13, "the handler releases S");
    directive_ok(rtems_semaphore_release(sem));
  } else if (handler_action == 1) {
    step(17, "the handler sends E1 to H");
    directive_ok(rtems_event_send(high, RTEMS_EVENT_1));
  } else {
    step(21, "the handler releases S while Init is in RTEMS_NO_PREEMPT mode");
    directive_ok(rtems_semaphore_release(sem));
  }
  handled++;
}

/* Raises the test vector and waits for its handler, in case the BSP delivers it a few instructions late. */
static void raise_test_interrupt(void)
{
  int before = handled;
  bsp_interrupt_raise(BSP_VECTOR_TEST);
  for (int spin = 0; handled == before && spin < 10000000; spin++) __asm__ volatile("" ::: "memory");
  check(handled == before + 1);
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_mode previous = 0;
  test_begin("PREEMPT");
  directive_ok(rtems_semaphore_create(TASK_NAME("S   "), 0, RTEMS_COUNTING_SEMAPHORE | RTEMS_FIFO, 0, &sem));
  test_set_own_priority(10);

  step(1, "Init (priority 10) starts H (priority 5)");
  high = test_task("H   ", 5, high_task, 0);
  step(3, "Init runs again while H waits for S");
  step(4, "Init releases S");
  directive_ok(rtems_semaphore_release(sem));
  step(6, "Init sends E0 to H");
  directive_ok(rtems_event_send(high, RTEMS_EVENT_0));
  check_status(rtems_task_is_suspended(high), RTEMS_ALREADY_SUSPENDED);
  step(8, "Init resumes H");
  directive_ok(rtems_task_resume(high));

  rtems_id low = test_task("L   ", 20, raised_task, 0);
  step(10, "Init raises L from 20 to 5");
  rtems_task_priority old = 0;
  directive_ok(rtems_task_set_priority(low, 5, &old));
  check_equal(old, 20);

  directive_ok(rtems_interrupt_handler_install(BSP_VECTOR_TEST, "test", RTEMS_INTERRUPT_UNIQUE, test_handler, (void *)&handled));
  check(!rtems_interrupt_is_in_progress());
  step(12, "Init raises the test interrupt");
  raise_test_interrupt();
  step(15, "Init goes on after the interrupt");

  handler_action = 1;
  step(16, "Init raises the test interrupt again");
  raise_test_interrupt();
  step(19, "Init goes on after the interrupt");

  handler_action = 2;
  directive_ok(rtems_task_mode(RTEMS_NO_PREEMPT, RTEMS_PREEMPT_MASK, &previous));
  check_equal(previous & RTEMS_PREEMPT_MASK, RTEMS_PREEMPT);
  step(20, "Init enters RTEMS_NO_PREEMPT mode and raises the test interrupt");
  raise_test_interrupt();
  step(22, "Init keeps running: H is ready but Init is not preemptible");
  directive_ok(rtems_task_mode(RTEMS_PREEMPT, RTEMS_PREEMPT_MASK, &previous));
  check_equal(previous & RTEMS_PREEMPT_MASK, RTEMS_NO_PREEMPT);
  step(24, "Init goes on after H");

  directive_ok(rtems_interrupt_handler_remove(BSP_VECTOR_TEST, test_handler, (void *)&handled));
  test_end();
}
