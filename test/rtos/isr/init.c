/*
 * ISR: directives from an interrupt handler (the BSP's test vector, raised by bsp_interrupt_raise): a
 * semaphore release, an event send and a message send (and urgent) each wake a waiting task that runs
 * as the interrupt ends; directives that would block return RTEMS_CALLED_FROM_ISR instead; the handler
 * gets its argument, sees rtems_interrupt_is_in_progress(), and runs once per raise. Interrupts disabled
 * by rtems_interrupt_disable hold a raised vector off until they are enabled again.
 */
#include "tmacros.h"

enum action { COUNT, RELEASE, EVENT, MESSAGE, URGENT, BLOCKING };

static rtems_id sem, queue, receiver_id;
static volatile enum action action;
static volatile int handled;
static volatile int received;

static void handler(void *arg)
{
  check(arg == &action);
  check(rtems_interrupt_is_in_progress());
  handled++;
  char buffer[8];
  size_t size = 0;
  rtems_event_set out = 0;
  switch (action) {
  case COUNT:
    break;
  case RELEASE:
    printk("  handler: release\n");
    directive_ok(rtems_semaphore_release(sem));
    break;
  case EVENT:
    printk("  handler: event send\n");
    directive_ok(rtems_event_send(receiver_id, RTEMS_EVENT_3));
    break;
  case MESSAGE:
    printk("  handler: message send\n");
    directive_ok(rtems_message_queue_send(queue, "isr", 4));
    break;
  case URGENT:
    printk("  handler: message urgent\n");
    directive_ok(rtems_message_queue_urgent(queue, "urg", 4));
    break;
  case BLOCKING:
    check_status(rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT), RTEMS_CALLED_FROM_ISR);
    check_status(rtems_semaphore_obtain(sem, RTEMS_WAIT, 10), RTEMS_CALLED_FROM_ISR);
    check_status(rtems_message_queue_receive(queue, buffer, &size, RTEMS_WAIT, RTEMS_NO_TIMEOUT), RTEMS_CALLED_FROM_ISR);
    check_status(rtems_event_receive(RTEMS_EVENT_0, RTEMS_EVENT_ANY, RTEMS_NO_TIMEOUT, &out), RTEMS_CALLED_FROM_ISR);
    check_status(rtems_task_wake_after(1), RTEMS_CALLED_FROM_ISR);
    printk("  handler: blocking directives return RTEMS_CALLED_FROM_ISR\n");
    break;
  }
}

/* Waits for each kind of wake-up in turn; each time it runs before the interrupted Init goes on. */
static rtems_task receiver(rtems_task_argument unused)
{
  (void)unused;
  char buffer[8];
  size_t size = 0;
  rtems_event_set out = 0;
  for (;;) {
    directive_ok(rtems_semaphore_obtain(sem, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
    printk("  R obtained the semaphore\n");
    received++;
    directive_ok(rtems_event_receive(RTEMS_EVENT_3, RTEMS_EVENT_ALL, RTEMS_NO_TIMEOUT, &out));
    printk("  R received event 0x%x\n", (unsigned)out);
    received++;
    for (int i = 0; i < 2; i++) {
      directive_ok(rtems_message_queue_receive(queue, buffer, &size, RTEMS_WAIT, RTEMS_NO_TIMEOUT));
      printk("  R received message \"%s\" (%u bytes)\n", buffer, (unsigned)size);
      received++;
    }
  }
}

/* Raises the test vector; waits for the handler in case the BSP delivers it a few instructions late. */
static void raise(enum action what)
{
  int before = handled;
  action = what;
  bsp_interrupt_raise(BSP_VECTOR_TEST);
  for (int spin = 0; handled == before && spin < 10000000; spin++) __asm__ volatile("" ::: "memory");
  check_equal(handled, before + 1);
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  test_begin("ISR");
  test_set_own_priority(20);
  directive_ok(rtems_semaphore_create(TASK_NAME("SEM "), 0, RTEMS_COUNTING_SEMAPHORE, 0, &sem));
  directive_ok(rtems_message_queue_create(TASK_NAME("MQ  "), 4, 8, RTEMS_FIFO, &queue));
  directive_ok(rtems_interrupt_handler_install(BSP_VECTOR_TEST, "test", RTEMS_INTERRUPT_UNIQUE, handler, (void *)&action));
  check_status(rtems_interrupt_handler_install(BSP_VECTOR_TEST, "again", RTEMS_INTERRUPT_UNIQUE, handler, (void *)&action), RTEMS_RESOURCE_IN_USE);
  check(!rtems_interrupt_is_in_progress());

  printk("-- the handler runs once per raise\n");
  for (int i = 0; i < 5; i++) raise(COUNT);
  check_equal(handled, 5);

  printk("-- wake-ups from the handler\n");
  receiver_id = test_task("R   ", 10, receiver, 0);
  int before = received;
  raise(RELEASE);
  check_equal(received, before + 1);
  printk("Init goes on\n");
  raise(EVENT);
  check_equal(received, before + 2);
  printk("Init goes on\n");
  raise(MESSAGE);
  check_equal(received, before + 3);
  printk("Init goes on\n");
  raise(URGENT);
  check_equal(received, before + 4);
  printk("Init goes on\n");

  printk("-- queued by the handler while R is busy: urgent first\n");
  directive_ok(rtems_task_suspend(receiver_id));
  raise(RELEASE); /* R gets the semaphore but stays suspended */
  raise(EVENT);
  raise(MESSAGE);
  raise(URGENT);
  check_equal(received, before + 4);
  directive_ok(rtems_task_resume(receiver_id));
  check_equal(received, before + 8);

  printk("-- blocking directives\n");
  raise(BLOCKING);

  printk("-- interrupts disabled hold the vector off\n");
  rtems_interrupt_level level;
  int held = handled;
  action = COUNT;
  rtems_interrupt_disable(level);
  bsp_interrupt_raise(BSP_VECTOR_TEST);
  for (volatile int spin = 0; spin < 100000; spin++) {
  }
  int while_disabled = handled;
  rtems_interrupt_enable(level);
  for (int spin = 0; handled == held && spin < 10000000; spin++) __asm__ volatile("" ::: "memory");
  check_equal(while_disabled, held);
  check_equal(handled, held + 1);
  report("the handler ran only after rtems_interrupt_enable", while_disabled == held && handled == held + 1);

  printk("-- remove\n");
  directive_ok(rtems_interrupt_handler_remove(BSP_VECTOR_TEST, handler, (void *)&action));
  check_status(rtems_interrupt_handler_remove(BSP_VECTOR_TEST, handler, (void *)&action), RTEMS_UNSATISFIED);
  check_status(rtems_interrupt_handler_install(BSP_INTERRUPT_VECTOR_COUNT, "bad", RTEMS_INTERRUPT_UNIQUE, handler, NULL), RTEMS_INVALID_ID);
  test_end();
}
