/*
 * rtos-hello: the smallest application of pvrt's executive. Init starts two tasks of one priority that
 * take turns printing, each sleeping a different number of ticks between lines, then waits for both and
 * shuts the system down with exit status 0.
 */
#include <rtems.h>

static rtems_id done;
static rtems_interval start;

static void ok(rtems_status_code status, const char *what)
{
  if (status == RTEMS_SUCCESSFUL) return;
  printk("rtos-hello: %s: %s\n", what, rtems_status_text(status));
  rtems_shutdown_executive(1);
}

static rtems_task greeter(rtems_task_argument sleep_ticks)
{
  for (int i = 1; i <= 3; i++) {
    printk("hello %d from the task sleeping %u ticks, at tick %u\n", i, (unsigned)sleep_ticks,
           (unsigned)(rtems_clock_get_ticks_since_boot() - start));
    ok(rtems_task_wake_after(sleep_ticks), "wake after");
  }
  ok(rtems_semaphore_release(done), "semaphore release");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  printk("rtos-hello: Init runs, %u ticks per second\n", (unsigned)rtems_clock_get_ticks_per_second());
  ok(rtems_task_wake_after(1), "wake after"); /* count from a tick */
  start = rtems_clock_get_ticks_since_boot();
  ok(rtems_semaphore_create(rtems_build_name('D', 'O', 'N', 'E'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &done), "semaphore create");
  static const rtems_interval sleeps[2] = {10, 25};
  for (int i = 0; i < 2; i++) {
    rtems_id id;
    ok(rtems_task_create(rtems_build_name('H', 'E', 'L', (char)('0' + i)), 10, RTEMS_MINIMUM_STACK_SIZE,
                         RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), "task create");
    ok(rtems_task_start(id, greeter, sleeps[i]), "task start");
  }
  ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "semaphore obtain");
  ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "semaphore obtain");
  printk("rtos-hello: both tasks are done, goodbye\n");
  rtems_shutdown_executive(0);
}
