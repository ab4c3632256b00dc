/*
 * TIMESLICE: two busy tasks of one priority in RTEMS_TIMESLICE mode take turns, each turn lasting the
 * configured timeslice (3 ticks here); two busy tasks without RTEMS_TIMESLICE do not: the first runs to
 * completion before the second starts. A task in timeslice mode alone at its priority keeps running.
 * Ticks of 1 ms keep the busy stretches short: under pvrt's virtual clock busy guest time is emulated.
 */
#define CONFIGURE_MICROSECONDS_PER_TICK 1000
#define CONFIGURE_TICKS_PER_TIMESLICE 3
#define CONFIGURE_INIT
#include <rtems/confdefs.h>

#include "tmacros.h"

#define SLICE 3
#define TURNS 6 /* switches the sliced pair must make */

static volatile int current = -1;
static volatile int switches;
static volatile rtems_interval switched_at[TURNS + 2];
static volatile int finished[2];
static rtems_id done;

/* Busy until the pair has switched TURNS times, noting the tick of each switch it sees (the last to
   run may note one more when it is dispatched again mid-loop). */
static rtems_task sliced(rtems_task_argument me)
{
  while (switches < TURNS) {
    if (current != (int)me) {
      if (current != -1) switched_at[switches++] = rtems_clock_get_ticks_since_boot();
      current = (int)me;
    }
  }
  directive_ok(rtems_semaphore_release(done));
  test_task_exit();
}

/* Busy for `ticks` ticks counted from its start; records whether the other task ran meanwhile. */
static rtems_task unsliced(rtems_task_argument me)
{
  rtems_interval start = rtems_clock_get_ticks_since_boot();
  printk("  %c starts\n", (char)('C' + me));
  while (rtems_clock_get_ticks_since_boot() - start < 3 * SLICE) {
  }
  finished[me] = 1;
  check(me == 0 ? finished[1] == 0 : finished[0] == 1);
  printk("  %c finishes after %d ticks of work\n", (char)('C' + me), 3 * SLICE);
  directive_ok(rtems_semaphore_release(done));
  test_task_exit();
}

static rtems_task alone(rtems_task_argument unused)
{
  (void)unused;
  rtems_interval start = rtems_clock_get_ticks_since_boot();
  while (rtems_clock_get_ticks_since_boot() - start < 2 * SLICE) {
  }
  printk("  E, alone at its priority, ran %d ticks through its timeslices\n", 2 * SLICE);
  directive_ok(rtems_semaphore_release(done));
  test_task_exit();
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("TIMESLICE");
  directive_ok(rtems_semaphore_create(TASK_NAME("DONE"), 0, RTEMS_COUNTING_SEMAPHORE, 0, &done));

  printk("-- A and B, priority 10, RTEMS_TIMESLICE, busy\n");
  test_task_mode("A   ", 10, RTEMS_TIMESLICE, sliced, 0);
  test_task_mode("B   ", 10, RTEMS_TIMESLICE, sliced, 1);
  test_set_own_priority(50);
  directive_ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  directive_ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  bool slices_ok = true;
  for (int i = 1; i < TURNS; i++) {
    rtems_interval turn = switched_at[i] - switched_at[i - 1];
    if (turn < SLICE - 1 || turn > SLICE + 1) {
      slices_ok = false;
      printk("  turn %d lasted %u ticks\n", i, (unsigned)turn);
    }
  }
  report("they switched at least 6 times", switches >= TURNS);
  check_equal(rtems_clock_get_ticks_per_second(), 1000);
  report("each turn between switches lasted 2 to 4 ticks", slices_ok);

  printk("-- C and D, priority 10, no timeslicing, busy\n");
  test_set_own_priority(1);
  test_task("C   ", 10, unsliced, 0);
  test_task("D   ", 10, unsliced, 1);
  test_set_own_priority(50);
  directive_ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  directive_ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT));

  printk("-- E, priority 10, RTEMS_TIMESLICE, alone\n");
  test_task_mode("E   ", 10, RTEMS_TIMESLICE, alone, 0);
  directive_ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
  test_end();
}
