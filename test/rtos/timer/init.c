/*
 * TIMER: timers run their routine from the clock tick, in interrupt context: fire_after fires once after
 * its interval, reset re-arms it with the same interval, cancel stops it, a second fire_after replaces
 * the first, a routine may re-arm its own timer and wake a task, and timers due together fire in the
 * order of their deadlines (the order they were armed for equal ones).
 */
#include "tmacros.h"

static volatile int fired;
static volatile rtems_interval fired_at;
static volatile int order[8];
static volatile int order_count;
static rtems_id init_id;

static void record(rtems_id timer, void *data)
{
  (void)timer;
  check(rtems_interrupt_is_in_progress());
  check(data == &fired);
  fired++;
  fired_at = rtems_clock_get_ticks_since_boot();
}

static void record_order(rtems_id timer, void *data)
{
  (void)timer;
  order[order_count++] = (int)(uintptr_t)data;
}

static volatile rtems_interval periods[6];
static volatile int period_count;

/* Re-arms its own timer every 2 ticks, five times, noting the tick of each run. */
static void periodic(rtems_id timer, void *data)
{
  (void)data;
  periods[period_count++] = rtems_clock_get_ticks_since_boot();
  if (period_count < 6) directive_ok(rtems_timer_fire_after(timer, 2, periodic, NULL));
}

static void wake_init(rtems_id timer, void *data)
{
  (void)timer;
  (void)data;
  directive_ok(rtems_event_send(init_id, RTEMS_EVENT_2));
}

/* Starts just after a tick, so a fire_after(n) made now is due n ticks later. */
static rtems_interval aligned_now(void)
{
  directive_ok(rtems_task_wake_after(1));
  return rtems_clock_get_ticks_since_boot();
}

static void report_in_range(const char *label, rtems_interval value, rtems_interval low, rtems_interval high)
{
  bool ok = value >= low && value <= high;
  test_check(ok, label, __LINE__);
  printk("%s %u to %u ticks: %s\n", label, (unsigned)low, (unsigned)high, ok ? "yes" : "no");
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_id timer = 0;
  rtems_event_set out = 0;
  test_begin("TIMER");
  init_id = rtems_task_self();
  test_set_own_priority(10);
  directive_ok(rtems_timer_create(TASK_NAME("TMR "), &timer));
  check_status(rtems_timer_fire_after(timer, 0, record, (void *)&fired), RTEMS_INVALID_NUMBER);
  check_status(rtems_timer_fire_after(timer, 5, NULL, (void *)&fired), RTEMS_INVALID_ADDRESS);
  check_status(rtems_timer_reset(timer), RTEMS_NOT_DEFINED);
  directive_ok(rtems_timer_cancel(timer)); /* cancelling an idle timer is harmless */

  printk("-- fire_after\n");
  rtems_interval start = aligned_now();
  directive_ok(rtems_timer_fire_after(timer, 5, record, (void *)&fired));
  directive_ok(rtems_task_wake_after(10));
  check_equal(fired, 1);
  report_in_range("fire_after(5) fired once, after", fired_at - start, 5, 6);

  printk("-- reset\n");
  start = aligned_now();
  directive_ok(rtems_timer_reset(timer));
  directive_ok(rtems_task_wake_after(10));
  check_equal(fired, 2);
  report_in_range("reset fired it again, after", fired_at - start, 5, 6);

  printk("-- cancel\n");
  directive_ok(rtems_timer_fire_after(timer, 5, record, (void *)&fired));
  directive_ok(rtems_task_wake_after(2));
  directive_ok(rtems_timer_cancel(timer));
  directive_ok(rtems_task_wake_after(8));
  check_equal(fired, 2);
  report("a timer cancelled before its interval does not fire", fired == 2);

  printk("-- a second fire_after replaces the first\n");
  start = aligned_now();
  directive_ok(rtems_timer_fire_after(timer, 10, record, (void *)&fired));
  directive_ok(rtems_timer_fire_after(timer, 3, record, (void *)&fired));
  directive_ok(rtems_task_wake_after(15));
  check_equal(fired, 3);
  report_in_range("it fired once, after", fired_at - start, 3, 4);

  printk("-- a routine re-arms its timer\n");
  directive_ok(rtems_timer_fire_after(timer, 2, periodic, NULL));
  directive_ok(rtems_task_wake_after(15));
  check_equal(period_count, 6);
  bool every_two = true;
  for (int i = 1; i < period_count; i++) every_two = every_two && periods[i] - periods[i - 1] == 2;
  report("it ran six times, 2 ticks apart", period_count == 6 && every_two);

  printk("-- a routine wakes a task\n");
  start = aligned_now();
  directive_ok(rtems_timer_fire_after(timer, 4, wake_init, NULL));
  directive_ok(rtems_event_receive(RTEMS_EVENT_2, RTEMS_EVENT_ANY, RTEMS_NO_TIMEOUT, &out));
  report_in_range("Init received the routine's event after", rtems_clock_get_ticks_since_boot() - start, 4, 5);

  printk("-- several timers\n");
  static const rtems_interval intervals[5] = {3, 1, 2, 3, 1};
  rtems_id timers[5];
  for (int i = 0; i < 5; i++) directive_ok(rtems_timer_create(TASK_NAME("MANY"), &timers[i]));
  (void)aligned_now();
  for (int i = 0; i < 5; i++) directive_ok(rtems_timer_fire_after(timers[i], intervals[i], record_order, (void *)(uintptr_t)i));
  directive_ok(rtems_task_wake_after(5));
  check_equal(order_count, 5);
  printk("timers armed for 3, 1, 2, 3, 1 ticks fired in the order");
  for (int i = 0; i < order_count; i++) printk(" %d", order[i]);
  printk("\n");
  check(order[0] == 1 && order[1] == 4 && order[2] == 2 && order[3] == 0 && order[4] == 3);
  for (int i = 0; i < 5; i++) directive_ok(rtems_timer_delete(timers[i]));

  printk("-- delete and limits\n");
  directive_ok(rtems_timer_fire_after(timer, 2, record, (void *)&fired));
  directive_ok(rtems_timer_delete(timer)); /* an armed timer: deleting it disarms it */
  directive_ok(rtems_task_wake_after(4));
  check_equal(fired, 3);
  check_status(rtems_timer_fire_after(timer, 5, record, (void *)&fired), RTEMS_INVALID_ID);
  check_status(rtems_timer_reset(timer), RTEMS_INVALID_ID);
  check_status(rtems_timer_cancel(timer), RTEMS_INVALID_ID);
  check_status(rtems_timer_delete(timer), RTEMS_INVALID_ID);
  check_status(rtems_timer_create(0, &timer), RTEMS_INVALID_NAME);
  check_status(rtems_timer_create(TASK_NAME("BAD "), NULL), RTEMS_INVALID_ADDRESS);
  rtems_id all[RTEMS_MAXIMUM_TIMERS];
  int n = 0;
  while (n < RTEMS_MAXIMUM_TIMERS && rtems_timer_create(TASK_NAME("ALL "), &all[n]) == RTEMS_SUCCESSFUL) n++;
  check_equal(n, RTEMS_MAXIMUM_TIMERS);
  check_status(rtems_timer_create(TASK_NAME("ALL "), &timer), RTEMS_TOO_MANY);
  while (n > 0) directive_ok(rtems_timer_delete(all[--n]));
  printk("a deleted timer does not fire; RTEMS_MAXIMUM_TIMERS timers exist at most\n");
  test_end();
}
