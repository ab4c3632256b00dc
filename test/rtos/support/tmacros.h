/*
 * What every executive test shares, in the spirit of RTEMS's tmacros.h: a banner, checks that count and
 * report themselves, ordered steps, and a tally line that ends the test. Every line a test prints is
 * deterministic (no times, no addresses), so the runner compares the whole serial output with the
 * test's .scn file, the same for every BSP and clock.
 *
 *   *** BEGIN OF TEST NAME ***
 *   ...
 *   *** END OF TEST NAME: <checks> checks, <failed> failed ***
 *
 * The test then shuts down with exit status 0 when nothing failed, 1 otherwise.
 */
#ifndef PVRT_TEST_TMACROS_H
#define PVRT_TEST_TMACROS_H

#include <rtems.h>
#include <rtems/bsp-interface.h>
#include <bsp.h>

static const char *test_name = "?";
static volatile unsigned test_checks;
static volatile unsigned test_failures;
static volatile int test_last_step;

static inline void test_begin(const char *name)
{
  test_name = name;
  printk("*** BEGIN OF TEST %s ***\n", name);
}

static inline __attribute__((noreturn)) void test_end(void)
{
  printk("*** END OF TEST %s: %u checks, %u failed ***\n", test_name, test_checks, test_failures);
  rtems_shutdown_executive(test_failures == 0 ? 0 : 1);
}

static inline bool test_check(bool ok, const char *text, int line)
{
  test_checks++;
  if (!ok) {
    test_failures++;
    printk("FAIL line %d: %s\n", line, text);
  }
  return ok;
}

static inline bool test_check_status(rtems_status_code actual, rtems_status_code expected, const char *text, int line)
{
  test_checks++;
  if (actual == expected) return true;
  test_failures++;
  printk("FAIL line %d: %s returned %s, expected %s\n", line, text, rtems_status_text(actual), rtems_status_text(expected));
  return false;
}

static inline bool test_check_equal(uint32_t actual, uint32_t expected, const char *text, int line)
{
  test_checks++;
  if (actual == expected) return true;
  test_failures++;
  printk("FAIL line %d: %s is %u, expected %u\n", line, text, actual, expected);
  return false;
}

/* A condition that must hold. */
#define check(condition) test_check((condition), #condition, __LINE__)
/* A directive's status. */
#define check_status(call, expected) test_check_status((call), (expected), #call, __LINE__)
#define directive_ok(call) check_status(call, RTEMS_SUCCESSFUL)
/* An unsigned value. */
#define check_equal(actual, expected) test_check_equal((uint32_t)(actual), (uint32_t)(expected), #actual, __LINE__)

/*
 * An event in a sequence whose order is the point of the test: prints "step N: text" and checks that
 * step N-1 came just before, so an out-of-order run fails the tally as well as the comparison.
 */
#define step(n, ...)                                                                   \
  do {                                                                                 \
    test_check(test_last_step == (n) - 1, "step " #n " follows step " #n " - 1", __LINE__); \
    test_last_step = (n);                                                              \
    printk("step %d: ", (n));                                                          \
    printk(__VA_ARGS__);                                                               \
    printk("\n");                                                                      \
  } while (0)

#define TASK_NAME(text) rtems_build_name((text)[0], (text)[1], (text)[2], (text)[3])

/* Creates and starts a task (preemptive, default modes); a failure is counted and returns 0. */
static inline rtems_id test_task_mode(const char *name, rtems_task_priority priority, rtems_mode modes,
                                      rtems_task_entry entry, rtems_task_argument argument)
{
  rtems_id id = 0;
  if (!check_status(rtems_task_create(TASK_NAME(name), priority, RTEMS_MINIMUM_STACK_SIZE, modes,
                                      RTEMS_DEFAULT_ATTRIBUTES, &id), RTEMS_SUCCESSFUL))
    return 0;
  check_status(rtems_task_start(id, entry, argument), RTEMS_SUCCESSFUL);
  return id;
}

static inline rtems_id test_task(const char *name, rtems_task_priority priority, rtems_task_entry entry,
                                 rtems_task_argument argument)
{
  return test_task_mode(name, priority, RTEMS_DEFAULT_MODES, entry, argument);
}

/* A task ends by deleting itself: returning from its entry is a fatal error in RTEMS. */
static inline __attribute__((noreturn)) void test_task_exit(void)
{
  rtems_task_delete(RTEMS_SELF);
  test_check(false, "rtems_task_delete(RTEMS_SELF) returned", __LINE__);
  test_end();
}

/* Sets the calling task's priority, checked. */
static inline void test_set_own_priority(rtems_task_priority priority)
{
  rtems_task_priority old;
  check_status(rtems_task_set_priority(RTEMS_SELF, priority, &old), RTEMS_SUCCESSFUL);
}

/* A task's current priority (the inherited one while a mutex raises it). */
static inline rtems_task_priority test_priority_of(rtems_id id)
{
  rtems_task_priority current = 0;
  check_status(rtems_task_set_priority(id, RTEMS_CURRENT_PRIORITY, &current), RTEMS_SUCCESSFUL);
  return current;
}

/* Prints "label: yes|no" so a .scn states the expectation in words. */
static inline void test_report(const char *label, bool value, int line)
{
  test_check(value, label, line);
  printk("%s: %s\n", label, value ? "yes" : "no");
}
#define report(label, value) test_report((label), (value), __LINE__)

#endif /* PVRT_TEST_TMACROS_H */
