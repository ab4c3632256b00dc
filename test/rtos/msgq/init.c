/*
 * MSGQ: message queues: FIFO order, urgent messages first, a full queue, message sizes, receive with
 * RTEMS_NO_WAIT and with a timeout, broadcast (the count of tasks it reached), direct hand-over to a
 * waiting receiver, flush, and delete with waiters.
 */
#include "tmacros.h"

#define MAX_SIZE 16

static rtems_id queue;
static volatile int done;

static size_t length(const char *text)
{
  size_t n = 0;
  while (text[n] != 0) n++;
  return n;
}

static bool equal(const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

static rtems_status_code send(const char *text) { return rtems_message_queue_send(queue, text, length(text) + 1); }
static rtems_status_code urgent(const char *text) { return rtems_message_queue_urgent(queue, text, length(text) + 1); }

/* Receives without waiting, checks the text and size, and prints it. */
static void expect(const char *text)
{
  char buffer[MAX_SIZE];
  size_t size = 0;
  if (!check_status(rtems_message_queue_receive(queue, buffer, &size, RTEMS_NO_WAIT, 0), RTEMS_SUCCESSFUL)) return;
  check_equal(size, length(text) + 1);
  check(equal(buffer, text, length(text) + 1));
  printk("  received \"%s\"\n", buffer);
}

static uint32_t pending(void)
{
  uint32_t count = 0;
  directive_ok(rtems_message_queue_get_number_pending(queue, &count));
  return count;
}

static rtems_task receiver(rtems_task_argument n)
{
  char buffer[MAX_SIZE];
  size_t size = 0;
  rtems_status_code status = rtems_message_queue_receive(queue, buffer, &size, RTEMS_WAIT, RTEMS_NO_TIMEOUT);
  if (status == RTEMS_SUCCESSFUL)
    printk("  R%d received \"%s\"\n", (int)n, buffer);
  else
    printk("  R%d: %s\n", (int)n, rtems_status_text(status));
  done++;
  test_task_exit();
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  char buffer[MAX_SIZE];
  size_t size = 0;
  uint32_t count = 0;
  test_begin("MSGQ");
  test_set_own_priority(20);
  directive_ok(rtems_message_queue_create(TASK_NAME("MQ  "), 3, MAX_SIZE, RTEMS_FIFO, &queue));

  printk("-- FIFO and full\n");
  directive_ok(send("one"));
  directive_ok(send("two"));
  directive_ok(send("three"));
  check_status(send("four"), RTEMS_TOO_MANY);
  check_status(urgent("four"), RTEMS_TOO_MANY);
  check_equal(pending(), 3);
  printk("a queue of 3 refuses a fourth message with RTEMS_TOO_MANY\n");
  expect("one");
  expect("two");
  expect("three");
  check_status(rtems_message_queue_receive(queue, buffer, &size, RTEMS_NO_WAIT, 0), RTEMS_UNSATISFIED);

  printk("-- urgent\n");
  directive_ok(send("a"));
  directive_ok(urgent("b"));
  directive_ok(send("c"));
  expect("b");
  expect("a");
  expect("c");

  printk("-- sizes\n");
  static const char big[MAX_SIZE + 1] = "0123456789abcdef";
  check_status(rtems_message_queue_send(queue, big, MAX_SIZE + 1), RTEMS_INVALID_SIZE);
  directive_ok(rtems_message_queue_send(queue, big, MAX_SIZE));
  directive_ok(rtems_message_queue_send(queue, big, 0));
  directive_ok(rtems_message_queue_receive(queue, buffer, &size, RTEMS_NO_WAIT, 0));
  check_equal(size, MAX_SIZE);
  check(equal(buffer, big, MAX_SIZE));
  directive_ok(rtems_message_queue_receive(queue, buffer, &size, RTEMS_NO_WAIT, 0));
  check_equal(size, 0);
  check_status(rtems_message_queue_send(queue, NULL, 1), RTEMS_INVALID_ADDRESS);
  check_status(rtems_message_queue_receive(queue, NULL, &size, RTEMS_NO_WAIT, 0), RTEMS_INVALID_ADDRESS);
  check_status(rtems_message_queue_receive(queue, buffer, NULL, RTEMS_NO_WAIT, 0), RTEMS_INVALID_ADDRESS);
  printk("messages of 0 to %d bytes pass whole; larger ones are refused\n", MAX_SIZE);

  printk("-- receive timeout\n");
  rtems_interval before = rtems_clock_get_ticks_since_boot();
  check_status(rtems_message_queue_receive(queue, buffer, &size, RTEMS_WAIT, 4), RTEMS_TIMEOUT);
  rtems_interval elapsed = rtems_clock_get_ticks_since_boot() - before;
  report("receive with a timeout of 4 ticks returns RTEMS_TIMEOUT 4 to 5 ticks later", elapsed >= 4 && elapsed <= 5);

  printk("-- hand-over to a waiting receiver\n");
  test_task("R   ", 10, receiver, 1); /* runs at once and waits */
  printk("Init sends \"direct\"\n");
  directive_ok(send("direct"));       /* R is more important: it preempts Init */
  check_equal(done, 1);
  check_equal(pending(), 0);
  printk("the waiting receiver got the message before Init went on\n");

  printk("-- broadcast\n");
  directive_ok(rtems_message_queue_broadcast(queue, "nobody", 7, &count));
  check_equal(count, 0);
  check_equal(pending(), 0);
  printk("a broadcast with no receiver waiting reaches 0 tasks and queues nothing\n");
  done = 0;
  test_task("R   ", 12, receiver, 2);
  test_task("R   ", 11, receiver, 3);
  test_task("R   ", 13, receiver, 4);
  directive_ok(rtems_message_queue_broadcast(queue, "all", 4, &count));
  check_equal(count, 3);
  check_equal(done, 3);
  check_equal(pending(), 0);
  printk("the broadcast reached %u tasks\n", (unsigned)count);
  check_status(rtems_message_queue_broadcast(queue, "x", 2, NULL), RTEMS_INVALID_ADDRESS);

  printk("-- flush\n");
  directive_ok(send("x"));
  directive_ok(send("y"));
  directive_ok(rtems_message_queue_flush(queue, &count));
  check_equal(count, 2);
  check_equal(pending(), 0);
  printk("flush removed %u messages\n", (unsigned)count);

  printk("-- delete with waiters\n");
  done = 0;
  test_task("R   ", 12, receiver, 5);
  test_task("R   ", 11, receiver, 6);
  directive_ok(rtems_message_queue_delete(queue));
  check_equal(done, 2);
  check_status(send("gone"), RTEMS_INVALID_ID);
  check_status(rtems_message_queue_get_number_pending(queue, &count), RTEMS_INVALID_ID);

  printk("-- create errors\n");
  check_status(rtems_message_queue_create(0, 3, MAX_SIZE, RTEMS_FIFO, &queue), RTEMS_INVALID_NAME);
  check_status(rtems_message_queue_create(TASK_NAME("MQ  "), 0, MAX_SIZE, RTEMS_FIFO, &queue), RTEMS_INVALID_NUMBER);
  check_status(rtems_message_queue_create(TASK_NAME("MQ  "), 3, 0, RTEMS_FIFO, &queue), RTEMS_INVALID_SIZE);
  check_status(rtems_message_queue_create(TASK_NAME("MQ  "), 3, MAX_SIZE, RTEMS_FIFO, NULL), RTEMS_INVALID_ADDRESS);
  /* More buffer space than one queue may have: RTEMS names no single status for it. */
  check(rtems_message_queue_create(TASK_NAME("MQ  "), RTEMS_MAXIMUM_MESSAGE_BYTES, 4, RTEMS_FIFO, &queue) != RTEMS_SUCCESSFUL);
  test_end();
}
