/*
 * ticker: three periodic tasks, rate-monotonic priorities (the shorter the period, the more important),
 * each released every PERIOD ticks for two seconds. A task keeps its own release schedule in ticks (next
 * release = previous + period, so a late wake-up does not shift the ones after it) and prints, at each
 * release, the tick and its release jitter: how far the time since its previous release, by the fine
 * clock, is from one period (so a tick the guest lost shows once, not in every later release). At the
 * end, every release's jitter (absolute) as one BENCH line.
 */
#include <rtems.h>
#include <rtems/bsp-interface.h> /* rtems_configuration_get_nanoseconds_per_tick */

#include "../common/bench.h"

#define RUN_TICKS 200 /* two seconds at the default 10 ms tick */
#define TASKS 3

struct ticker {
  const char *name;
  rtems_interval period; /* ticks */
  rtems_task_priority priority;
};

static const struct ticker tickers[TASKS] = {
  {"fast", 10, 10},
  {"medium", 25, 11},
  {"slow", 50, 12},
};

BENCH_SAMPLES(jitter_ns, 64);
static rtems_id done_sem;
static rtems_interval start_tick;

static void ok(rtems_status_code status, const char *what)
{
  if (status == RTEMS_SUCCESSFUL) return;
  printk("ticker: %s: %s\n", what, rtems_status_text(status));
  rtems_shutdown_executive(1);
}

static rtems_task periodic(rtems_task_argument index)
{
  const struct ticker *t = &tickers[index];
  const uint64_t period_ns = (uint64_t)t->period * rtems_configuration_get_nanoseconds_per_tick();
  rtems_interval release = start_tick;
  uint64_t previous_ns = 0;
  for (uint32_t k = 0; release - start_tick <= RUN_TICKS; k++, release += t->period) {
    rtems_interval now = rtems_clock_get_ticks_since_boot();
    if (release > now) ok(rtems_task_wake_after(release - now), "wake after");
    uint64_t woke = rtems_clock_get_uptime_nanoseconds();
    rtems_interval tick = rtems_clock_get_ticks_since_boot() - start_tick;
    if (k == 0) {
      printk("%-6s release %2u at tick %3u\n", t->name, (unsigned)k, (unsigned)tick);
    } else {
      int64_t jitter = (int64_t)(woke - previous_ns) - (int64_t)period_ns;
      bench_add(&jitter_ns, (uint64_t)(jitter < 0 ? -jitter : jitter));
      printk("%-6s release %2u at tick %3u  jitter %8d ns\n", t->name, (unsigned)k, (unsigned)tick, (int)jitter);
    }
    previous_ns = woke;
  }
  ok(rtems_semaphore_release(done_sem), "semaphore release");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_task_priority old;
  printk("ticker: %d tasks for %d ticks of %u us\n", TASKS, RUN_TICKS,
         (unsigned)(rtems_configuration_get_nanoseconds_per_tick() / 1000));
  ok(rtems_semaphore_create(rtems_build_name('D', 'O', 'N', 'E'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &done_sem), "semaphore create");
  ok(rtems_task_wake_after(1), "wake after"); /* start on a tick */
  start_tick = rtems_clock_get_ticks_since_boot() + 1;
  for (int i = 0; i < TASKS; i++) {
    rtems_id id;
    const char *n = tickers[i].name;
    ok(rtems_task_create(rtems_build_name(n[0], n[1], n[2], n[3]), tickers[i].priority, RTEMS_MINIMUM_STACK_SIZE,
                         RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), "task create");
    ok(rtems_task_start(id, periodic, (rtems_task_argument)i), "task start");
  }
  ok(rtems_task_set_priority(RTEMS_SELF, 100, &old), "set priority");
  for (int i = 0; i < TASKS; i++) ok(rtems_semaphore_obtain(done_sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "semaphore obtain");
  bench_print("ticker-jitter", &jitter_ns);
  rtems_shutdown_executive(0);
}
