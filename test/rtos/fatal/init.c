/*
 * FATAL: rtems_fatal_error_occurred ends the system through the fatal path (bsp_reset with
 * RTEMS_FATAL_SOURCE_APPLICATION): the VM ends as a crash carrying the code, not a power-off. The runner
 * checks how the VM ended; nothing after the call may run.
 */
#include "tmacros.h"

#define FATAL_CODE 42

static rtems_task doomed(rtems_task_argument unused)
{
  (void)unused;
  printk("a task of priority 5 calls rtems_fatal_error_occurred(%d)\n", FATAL_CODE);
  rtems_fatal_error_occurred(FATAL_CODE);
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("FATAL");
  test_set_own_priority(10);
  test_task("DOOM", 5, doomed, 0);
  printk("FAIL: Init ran after the fatal error\n");
  test_end();
}
