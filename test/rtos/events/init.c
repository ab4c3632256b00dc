/*
 * EVENTS: event sets: RTEMS_EVENT_ANY takes what is pending of the wanted set, RTEMS_EVENT_ALL waits for
 * the whole set and leaves partial sets pending, RTEMS_NO_WAIT, RTEMS_PENDING_EVENTS, timeouts in ticks,
 * and a waiting task woken (and preempting the sender) only when its condition holds.
 */
#include "tmacros.h"

static rtems_id init_id;

static rtems_task waiter(rtems_task_argument unused)
{
  (void)unused;
  rtems_event_set out = 0;
  step(1, "W waits for all of E1 and E3");
  directive_ok(rtems_event_receive(RTEMS_EVENT_1 | RTEMS_EVENT_3, RTEMS_EVENT_ALL, RTEMS_NO_TIMEOUT, &out));
  step(4, "W received 0x%x and preempted Init", (unsigned)out);
  check_equal(out, RTEMS_EVENT_1 | RTEMS_EVENT_3);

  step(5, "W waits for any of E4 and E5, at most 3 ticks");
  rtems_interval before = rtems_clock_get_ticks_since_boot();
  check_status(rtems_event_receive(RTEMS_EVENT_4 | RTEMS_EVENT_5, RTEMS_EVENT_ANY, 3, &out), RTEMS_TIMEOUT);
  rtems_interval elapsed = rtems_clock_get_ticks_since_boot() - before;
  report("W timed out 3 to 4 ticks later", elapsed >= 3 && elapsed <= 4);

  step(6, "W waits for any of E4 and E5, at most 50 ticks");
  directive_ok(rtems_event_receive(RTEMS_EVENT_4 | RTEMS_EVENT_5, RTEMS_EVENT_ANY, 50, &out));
  step(8, "W received 0x%x before its timeout", (unsigned)out);
  check_equal(out, RTEMS_EVENT_5);
  directive_ok(rtems_event_send(init_id, RTEMS_EVENT_31));
  test_task_exit();
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_event_set out = 0;
  test_begin("EVENTS");
  init_id = rtems_task_self();
  test_set_own_priority(20);

  printk("-- on itself, without waiting\n");
  directive_ok(rtems_event_send(RTEMS_SELF, RTEMS_EVENT_0 | RTEMS_EVENT_2));
  directive_ok(rtems_event_receive(RTEMS_PENDING_EVENTS, RTEMS_DEFAULT_OPTIONS, 0, &out));
  check_equal(out, RTEMS_EVENT_0 | RTEMS_EVENT_2);
  directive_ok(rtems_event_receive(RTEMS_EVENT_1 | RTEMS_EVENT_2, RTEMS_EVENT_ANY | RTEMS_NO_WAIT, 0, &out));
  check_equal(out, RTEMS_EVENT_2);
  printk("any of E1|E2 with E0|E2 pending takes E2\n");
  check_status(rtems_event_receive(RTEMS_EVENT_0 | RTEMS_EVENT_1, RTEMS_EVENT_ALL | RTEMS_NO_WAIT, 0, &out), RTEMS_UNSATISFIED);
  directive_ok(rtems_event_receive(RTEMS_PENDING_EVENTS, RTEMS_DEFAULT_OPTIONS, 0, &out));
  check_equal(out, RTEMS_EVENT_0);
  printk("all of E0|E1 with E0 pending is unsatisfied and leaves E0 pending\n");
  directive_ok(rtems_event_send(RTEMS_SELF, RTEMS_EVENT_1));
  directive_ok(rtems_event_receive(RTEMS_EVENT_0 | RTEMS_EVENT_1, RTEMS_EVENT_ALL | RTEMS_NO_WAIT, 0, &out));
  check_equal(out, RTEMS_EVENT_0 | RTEMS_EVENT_1);
  directive_ok(rtems_event_send(RTEMS_SELF, RTEMS_EVENT_7));
  directive_ok(rtems_event_send(RTEMS_SELF, RTEMS_EVENT_7)); /* events are not counted */
  directive_ok(rtems_event_receive(RTEMS_ALL_EVENTS, RTEMS_EVENT_ANY | RTEMS_NO_WAIT, 0, &out));
  check_equal(out, RTEMS_EVENT_7);
  check_status(rtems_event_receive(RTEMS_ALL_EVENTS, RTEMS_EVENT_ANY | RTEMS_NO_WAIT, 0, &out), RTEMS_UNSATISFIED);
  printk("an event sent twice is received once\n");
  rtems_interval before = rtems_clock_get_ticks_since_boot();
  check_status(rtems_event_receive(RTEMS_EVENT_6, RTEMS_EVENT_ANY, 2, &out), RTEMS_TIMEOUT);
  rtems_interval elapsed = rtems_clock_get_ticks_since_boot() - before;
  report("a 2-tick timeout ends 2 to 3 ticks later", elapsed >= 2 && elapsed <= 3);

  printk("-- errors\n");
  check_status(rtems_event_send(0x7fffffff, RTEMS_EVENT_0), RTEMS_INVALID_ID);
  check_status(rtems_event_receive(RTEMS_EVENT_0, RTEMS_EVENT_ANY | RTEMS_NO_WAIT, 0, NULL), RTEMS_INVALID_ADDRESS);

  printk("-- another task waits\n");
  rtems_id w = test_task("W   ", 10, waiter, 0);
  step(2, "Init sends E1: W still waits for E3");
  directive_ok(rtems_event_send(w, RTEMS_EVENT_1));
  step(3, "Init sends E0 and E3");
  directive_ok(rtems_event_send(w, RTEMS_EVENT_0 | RTEMS_EVENT_3));
  /* W took E1|E3; E0 stays pending for W. It now waits with timeouts while Init sleeps. */
  directive_ok(rtems_task_wake_after(6));
  step(7, "Init sends E5");
  directive_ok(rtems_event_send(w, RTEMS_EVENT_5));
  directive_ok(rtems_event_receive(RTEMS_EVENT_31, RTEMS_EVENT_ANY, RTEMS_NO_TIMEOUT, &out));
  check_equal(out, RTEMS_EVENT_31);
  step(9, "Init received E31 from W");
  test_end();
}
