/*
 * rtos-bench: the executive measured by the guest, in guest time (rtems_clock_get_uptime_nanoseconds):
 *
 *   context-switch   one task yields (rtems_task_wake_after(RTEMS_YIELD_PROCESSOR)) to another of its
 *                    priority: from just before the yield to the other task running
 *   sem-pingpong     a task releases a semaphore a more important task waits on: from the release to
 *                    the waiter running
 *   irq-latency      bsp_interrupt_raise(BSP_VECTOR_TEST) to the handler's first line
 *   timer-jitter     rtems_task_wake_after(1) in a loop: how far each release is from one tick after the
 *                    previous one
 *
 * each loop run twice and its second pass printed as a BENCH line (see measure()), then a second of pure idle between "IDLE begin" and "IDLE end" (what a
 * sleeping guest costs the host), then shutdown.
 */
#include <rtems.h>
#include <rtems/bsp-interface.h>
#include <bsp.h>

#include "../common/bench.h"

#define SWITCHES 1000
#define PINGPONGS 1000
#define INTERRUPTS 1000
#define TICKS 100

BENCH_SAMPLES(switch_ns, SWITCHES);
BENCH_SAMPLES(pingpong_ns, PINGPONGS);
BENCH_SAMPLES(irq_ns, INTERRUPTS);
BENCH_SAMPLES(jitter_ns, TICKS);

static rtems_id done_sem;
static volatile uint64_t stamp;
static volatile bool measuring;

static void fail(const char *what, rtems_status_code status)
{
  printk("rtos-bench: %s: %s\n", what, rtems_status_text(status));
  rtems_shutdown_executive(1);
}

static void ok(rtems_status_code status, const char *what)
{
  if (status != RTEMS_SUCCESSFUL) fail(what, status);
}

static rtems_id start_task(const char *name, rtems_task_priority priority, rtems_task_entry entry)
{
  rtems_id id;
  ok(rtems_task_create(rtems_build_name(name[0], name[1], name[2], name[3]), priority, RTEMS_MINIMUM_STACK_SIZE,
                       RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), "task create");
  ok(rtems_task_start(id, entry, 0), "task start");
  return id;
}

/* ---- context switch: two tasks of priority 10 take turns, each stamping before it yields ----------- */

static volatile int yields_left;

static rtems_task yielder(rtems_task_argument unused)
{
  (void)unused;
  while (yields_left > 0) {
    uint64_t now = rtems_clock_get_uptime_nanoseconds();
    if (measuring) bench_add(&switch_ns, now - stamp);
    measuring = true;
    yields_left--;
    stamp = rtems_clock_get_uptime_nanoseconds();
    ok(rtems_task_wake_after(RTEMS_YIELD_PROCESSOR), "yield");
  }
  measuring = false;
  ok(rtems_semaphore_release(done_sem), "done release");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

/* ---- semaphore ping-pong: PING (11) releases what PONG (10) waits for, and the other way round ------ */

static rtems_id ping_sem, pong_sem;

static rtems_task pong(rtems_task_argument unused)
{
  (void)unused;
  for (;;) {
    ok(rtems_semaphore_obtain(pong_sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "pong obtain");
    bench_add(&pingpong_ns, rtems_clock_get_uptime_nanoseconds() - stamp);
    ok(rtems_semaphore_release(ping_sem), "pong release");
  }
}

static rtems_task ping(rtems_task_argument unused)
{
  (void)unused;
  for (int i = 0; i < PINGPONGS; i++) {
    stamp = rtems_clock_get_uptime_nanoseconds();
    ok(rtems_semaphore_release(pong_sem), "ping release"); /* PONG runs here */
    ok(rtems_semaphore_obtain(ping_sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "ping obtain");
  }
  ok(rtems_semaphore_release(done_sem), "done release");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

/* ---- interrupt latency ---------------------------------------------------------------------------- */

static volatile int interrupts;

static void on_test_vector(void *unused)
{
  uint64_t now = rtems_clock_get_uptime_nanoseconds();
  (void)unused;
  bench_add(&irq_ns, now - stamp);
  interrupts++;
}

/* Each measuring task releases DONE as it ends. */
static void wait_for_done(void)
{
  ok(rtems_semaphore_obtain(done_sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "done obtain");
}

static void measure_context_switch(void)
{
  yields_left = SWITCHES + 1; /* the first turn has nothing to measure */
  start_task("YLDA", 10, yielder);
  start_task("YLDB", 10, yielder);
  wait_for_done();
  wait_for_done();
}

static void measure_pingpong(void)
{
  rtems_id pong_id = start_task("PONG", 10, pong);
  start_task("PING", 11, ping);
  wait_for_done();
  ok(rtems_task_delete(pong_id), "task delete");
}

static void measure_irq_latency(void)
{
  ok(rtems_interrupt_handler_install(BSP_VECTOR_TEST, "bench", RTEMS_INTERRUPT_UNIQUE, on_test_vector, NULL), "handler install");
  for (int i = 0; i < INTERRUPTS; i++) {
    int before = interrupts;
    stamp = rtems_clock_get_uptime_nanoseconds();
    bsp_interrupt_raise(BSP_VECTOR_TEST);
    while (interrupts == before) __asm__ volatile("" ::: "memory");
  }
  ok(rtems_interrupt_handler_remove(BSP_VECTOR_TEST, on_test_vector, NULL), "handler remove");
}

/*
 * Each loop runs twice and the second pass is reported: the first warms the emulator up (a hypervisor
 * that translates guest code interprets a block's first runs and then compiles it), so the figures
 * describe the steady state rather than the start-up.
 */
static void measure(void (*run)(void), struct bench_samples *samples, const char *name)
{
  run();
  samples->count = 0;
  run();
  bench_print(name, samples);
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_task_priority old;
  printk("rtos-bench: %u ns per tick\n", (unsigned)rtems_configuration_get_nanoseconds_per_tick());
  ok(rtems_task_set_priority(RTEMS_SELF, 50, &old), "set priority");
  ok(rtems_semaphore_create(rtems_build_name('D', 'O', 'N', 'E'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &done_sem), "semaphore create");
  ok(rtems_semaphore_create(rtems_build_name('P', 'I', 'N', 'G'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &ping_sem), "semaphore create");
  ok(rtems_semaphore_create(rtems_build_name('P', 'O', 'N', 'G'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &pong_sem), "semaphore create");

  measure(measure_context_switch, &switch_ns, "context-switch");
  measure(measure_pingpong, &pingpong_ns, "sem-pingpong");
  measure(measure_irq_latency, &irq_ns, "irq-latency");

  const uint64_t tick_ns = rtems_configuration_get_nanoseconds_per_tick();
  ok(rtems_task_wake_after(1), "wake after");
  uint64_t last = rtems_clock_get_uptime_nanoseconds();
  for (int i = 0; i < TICKS; i++) {
    ok(rtems_task_wake_after(1), "wake after");
    uint64_t now = rtems_clock_get_uptime_nanoseconds();
    uint64_t period = now - last;
    bench_add(&jitter_ns, period > tick_ns ? period - tick_ns : tick_ns - period);
    last = now;
  }
  bench_print("timer-jitter", &jitter_ns);

  printk("IDLE begin\n");
  ok(rtems_task_wake_after(rtems_clock_get_ticks_per_second()), "idle");
  printk("IDLE end\n");
  rtems_shutdown_executive(0);
}
