/*
 * CLOCK: the tick and the fine clock. rtems_task_wake_after(n) sleeps n ticks (n to n+1 counted by
 * rtems_clock_get_ticks_since_boot), the fine clock (rtems_clock_get_uptime_nanoseconds) is monotonic
 * and agrees with the tick count within one tick, and a busy wait of n tick lengths on the fine clock
 * sees n ticks (within one) when interrupts are enabled. The default tick, 10 ms.
 */
#include "tmacros.h"

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("CLOCK");
  const uint32_t tick_ns = rtems_configuration_get_nanoseconds_per_tick();
  check_equal(rtems_clock_get_ticks_per_second(), 1000000000u / tick_ns);
  printk("%u ticks per second, %u ns per tick\n", (unsigned)rtems_clock_get_ticks_per_second(), (unsigned)tick_ns);

  printk("-- wake_after\n");
  static const rtems_interval sleeps[] = {1, 2, 5, 10, 10, 10, 25};
  int good_ticks = 0, good_ns = 0;
  for (unsigned i = 0; i < sizeof sleeps / sizeof sleeps[0]; i++) {
    rtems_interval n = sleeps[i];
    directive_ok(rtems_task_wake_after(1)); /* start just after a tick */
    rtems_interval t0 = rtems_clock_get_ticks_since_boot();
    uint64_t ns0 = rtems_clock_get_uptime_nanoseconds();
    directive_ok(rtems_task_wake_after(n));
    rtems_interval ticks = rtems_clock_get_ticks_since_boot() - t0;
    uint64_t ns = rtems_clock_get_uptime_nanoseconds() - ns0;
    bool ticks_ok = ticks >= n && ticks <= n + 1;
    /* The fine clock over the sleep: the counted ticks, give or take one tick length. */
    bool ns_ok = ns + tick_ns >= (uint64_t)ticks * tick_ns && ns <= (uint64_t)(ticks + 1) * tick_ns;
    good_ticks += ticks_ok;
    good_ns += ns_ok;
    test_check(ticks_ok, "wake_after ticks", __LINE__);
    test_check(ns_ok, "wake_after fine clock", __LINE__);
    if (!ticks_ok || !ns_ok) printk("  wake_after(%u): %u ticks, %u us\n", (unsigned)n, (unsigned)ticks, (unsigned)(ns / 1000));
  }
  printk("wake_after(n) took n to n+1 ticks: %d of 7\n", good_ticks);
  printk("the fine clock agreed with the ticks within one tick: %d of 7\n", good_ns);

  printk("-- the fine clock\n");
  uint64_t last = rtems_clock_get_uptime_nanoseconds();
  bool monotonic = true;
  for (int i = 0; i < 20000; i++) {
    uint64_t now = rtems_clock_get_uptime_nanoseconds();
    monotonic = monotonic && now >= last;
    last = now;
  }
  report("20000 reads never went backwards", monotonic);
  uint64_t a = rtems_clock_get_uptime_nanoseconds();
  for (volatile int spin = 0; spin < 1000; spin++) {
  }
  report("it advances within a tick", rtems_clock_get_uptime_nanoseconds() > a);

  printk("-- busy waiting\n");
  directive_ok(rtems_task_wake_after(1));
  rtems_interval t0 = rtems_clock_get_ticks_since_boot();
  uint64_t until = rtems_clock_get_uptime_nanoseconds() + 3ull * tick_ns;
  while (rtems_clock_get_uptime_nanoseconds() < until) __asm__ volatile("" ::: "memory");
  rtems_interval busy = rtems_clock_get_ticks_since_boot() - t0;
  bool busy_ok = busy >= 2 && busy <= 4;
  report("three tick lengths of busy waiting saw 2 to 4 ticks", busy_ok);
  if (!busy_ok) printk("  saw %u ticks\n", (unsigned)busy);
  test_end();
}
