/*
 * priority-inversion: the classic scenario, run twice: once on a plain mutex and once on a mutex with
 * RTEMS_INHERIT_PRIORITY.
 *
 *   L (priority 30) obtains the mutex and has 4 ticks of work to do holding it.
 *   H (priority 10) wakes 1 tick later and wants the mutex.
 *   M (priority 20) wakes 2 ticks after L started and computes for 8 ticks; it never touches the mutex.
 *
 * Without inheritance M preempts L, so H, the most important task, waits for M's 8 ticks as well as for
 * L's work: an unbounded priority inversion. With inheritance L runs at H's priority while H waits, M
 * cannot preempt it, and H waits only for the rest of L's work. Each event is printed with its tick.
 *
 * The default 10 ms tick; the story is told in ticks, so a shorter one (-DCONFIGURE_MICROSECONDS_PER_TICK=
 * 1000, as the tests build it to emulate less busy time) tells the same one on a virtual clock.
 */
#define CONFIGURE_INIT
#include <rtems/confdefs.h>

#define LOW 30
#define MEDIUM 20
#define HIGH 10

static rtems_id mutex, done;
static rtems_interval start;
static rtems_interval high_waited;
/* Which task's work() ran last: time another task took is not this task's work. */
static volatile char working;

static void ok(rtems_status_code status, const char *what)
{
  if (status == RTEMS_SUCCESSFUL) return;
  printk("priority-inversion: %s: %s\n", what, rtems_status_text(status));
  rtems_shutdown_executive(1);
}

static void event(const char *who, const char *what)
{
  working = 0; /* whoever prints is running */
  printk("[%2u] %s %s\n", (unsigned)(rtems_clock_get_ticks_since_boot() - start), who, what);
}

/*
 * Computes for `ticks` ticks of processor time: until the tick count has advanced that often while this
 * task was running, the ticks that passed while another task ran left out (a preempted task's work
 * waits with it). Counted in ticks, as the timeline is, rather than in loops: it lasts as long whatever
 * the emulator's speed.
 */
static void work(char me, uint32_t ticks)
{
  rtems_interval last = rtems_clock_get_ticks_since_boot();
  uint32_t done = 0;
  working = me;
  while (done < ticks) {
    rtems_interval now = rtems_clock_get_ticks_since_boot();
    if (now == last) continue;
    if (working == me) done += now - last;
    working = me;
    last = now;
  }
}

static rtems_task low(rtems_task_argument unused)
{
  (void)unused;
  ok(rtems_semaphore_obtain(mutex, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "L obtain");
  event("L", "obtains the mutex, 4 ticks of work to do");
  work('L', 4);
  event("L", "releases the mutex");
  ok(rtems_semaphore_release(mutex), "L release");
  ok(rtems_semaphore_release(done), "release done");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

static rtems_task medium(rtems_task_argument unused)
{
  (void)unused;
  ok(rtems_task_wake_after(2), "M wake after");
  event("M", "wakes and computes for 8 ticks");
  work('M', 8);
  event("M", "is done");
  ok(rtems_semaphore_release(done), "release done");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

static rtems_task high(rtems_task_argument unused)
{
  (void)unused;
  ok(rtems_task_wake_after(1), "H wake after");
  rtems_interval asked = rtems_clock_get_ticks_since_boot();
  event("H", "wants the mutex");
  ok(rtems_semaphore_obtain(mutex, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "H obtain");
  high_waited = rtems_clock_get_ticks_since_boot() - asked;
  printk("[%2u] H obtains the mutex after waiting %u ticks\n", (unsigned)(rtems_clock_get_ticks_since_boot() - start), (unsigned)high_waited);
  ok(rtems_semaphore_release(mutex), "H release");
  ok(rtems_semaphore_release(done), "release done");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

static void start_task(char name, rtems_task_priority priority, rtems_task_entry entry)
{
  rtems_id id;
  ok(rtems_task_create(rtems_build_name(name, ' ', ' ', ' '), priority, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES,
                       RTEMS_DEFAULT_ATTRIBUTES, &id), "task create");
  ok(rtems_task_start(id, entry, 0), "task start");
}

static rtems_interval scenario(rtems_attribute inherit)
{
  rtems_task_priority old;
  printk("-- %s\n", inherit ? "with RTEMS_INHERIT_PRIORITY" : "without priority inheritance");
  ok(rtems_semaphore_create(rtems_build_name('M', 'U', 'T', 'X'), 1, RTEMS_BINARY_SEMAPHORE | RTEMS_PRIORITY | inherit, 0, &mutex), "mutex create");
  ok(rtems_task_set_priority(RTEMS_SELF, 1, &old), "set priority");
  ok(rtems_task_wake_after(1), "wake after"); /* start on a tick */
  start = rtems_clock_get_ticks_since_boot();
  start_task('L', LOW, low);
  start_task('M', MEDIUM, medium);
  start_task('H', HIGH, high);
  ok(rtems_task_set_priority(RTEMS_SELF, 100, &old), "set priority"); /* now they run */
  for (int i = 0; i < 3; i++) ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "obtain done");
  ok(rtems_semaphore_delete(mutex), "mutex delete");
  return high_waited;
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  ok(rtems_semaphore_create(rtems_build_name('D', 'O', 'N', 'E'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &done), "semaphore create");

  rtems_interval without = scenario(0);
  rtems_interval with = scenario(RTEMS_INHERIT_PRIORITY);
  printk("H waited %u ticks without inheritance and %u ticks with it\n", (unsigned)without, (unsigned)with);
  rtems_shutdown_executive(0);
}
