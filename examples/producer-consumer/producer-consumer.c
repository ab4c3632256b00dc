/*
 * producer-consumer: a producer task and a consumer task joined by a message queue of 4 messages.
 *
 * The producer (priority 10) makes 18 numbered items as fast as it can, except for a pause of 8 ticks
 * after the ninth; the consumer (priority 11, less important) spends a tick on each item. A send to a
 * full queue fails with RTEMS_TOO_MANY rather than blocking, so the producer waits on a counting
 * semaphore of free slots (4 to start with) that the consumer releases after each receive: the queue
 * stays full while the producer is ahead, and runs dry during its pause, when the consumer waits in
 * rtems_message_queue_receive. The consumer checks that items arrive in order and intact.
 */
#include <rtems.h>

#define DEPTH 4
#define ITEMS 18
#define PAUSE_AFTER 9
#define PAUSE_TICKS 8

struct item {
  uint32_t sequence;
  uint32_t value;
  uint32_t check; /* sequence ^ value ^ 0x5a5a5a5a */
};

static rtems_id queue, free_slots, done;

static void ok(rtems_status_code status, const char *what)
{
  if (status == RTEMS_SUCCESSFUL) return;
  printk("producer-consumer: %s: %s\n", what, rtems_status_text(status));
  rtems_shutdown_executive(1);
}

static uint32_t pending(void)
{
  uint32_t n = 0;
  ok(rtems_message_queue_get_number_pending(queue, &n), "get number pending");
  return n;
}

static rtems_task producer(rtems_task_argument unused)
{
  (void)unused;
  uint32_t waits = 0;
  for (uint32_t seq = 1; seq <= ITEMS; seq++) {
    struct item item = {seq, seq * seq, seq ^ (seq * seq) ^ 0x5a5a5a5au};
    if (rtems_semaphore_obtain(free_slots, RTEMS_NO_WAIT, 0) == RTEMS_UNSATISFIED) {
      printk("producer: queue full, item %u waits for a free slot\n", (unsigned)seq);
      waits++;
      ok(rtems_semaphore_obtain(free_slots, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "obtain slot");
    }
    ok(rtems_message_queue_send(queue, &item, sizeof item), "send");
    printk("producer: item %2u sent, %u queued\n", (unsigned)seq, (unsigned)pending());
    if (seq == PAUSE_AFTER) {
      printk("producer: pauses for %d ticks\n", PAUSE_TICKS);
      ok(rtems_task_wake_after(PAUSE_TICKS), "wake after");
    }
  }
  printk("producer: done, waited for a free slot %u times\n", (unsigned)waits);
  ok(rtems_semaphore_release(done), "release done");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

static rtems_task consumer(rtems_task_argument unused)
{
  (void)unused;
  uint32_t expected = 1, bad = 0;
  while (expected <= ITEMS) {
    struct item item;
    size_t size = 0;
    if (pending() == 0) printk("consumer: queue empty, waits for an item\n");
    ok(rtems_message_queue_receive(queue, &item, &size, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "receive");
    bool good = size == sizeof item && item.sequence == expected && item.check == (item.sequence ^ item.value ^ 0x5a5a5a5au);
    bad += !good;
    printk("consumer: item %2u received%s\n", (unsigned)item.sequence, good ? "" : " (out of order or damaged)");
    expected = item.sequence + 1;
    ok(rtems_semaphore_release(free_slots), "release slot"); /* the producer, if waiting, runs here */
    ok(rtems_task_wake_after(1), "wake after");              /* a tick of work per item */
  }
  printk("consumer: %d items, %u out of order or damaged\n", ITEMS, (unsigned)bad);
  ok(rtems_semaphore_release(done), "release done");
  ok(rtems_task_delete(RTEMS_SELF), "task delete");
}

rtems_task Init(rtems_task_argument argument)
{
  (void)argument;
  rtems_task_priority old;
  rtems_id id;
  printk("producer-consumer: %d items through a queue of %d\n", ITEMS, DEPTH);
  ok(rtems_message_queue_create(rtems_build_name('Q', 'U', 'E', 'U'), DEPTH, sizeof(struct item), RTEMS_FIFO, &queue), "queue create");
  ok(rtems_semaphore_create(rtems_build_name('F', 'R', 'E', 'E'), DEPTH, RTEMS_COUNTING_SEMAPHORE, 0, &free_slots), "semaphore create");
  ok(rtems_semaphore_create(rtems_build_name('D', 'O', 'N', 'E'), 0, RTEMS_COUNTING_SEMAPHORE, 0, &done), "semaphore create");
  ok(rtems_task_create(rtems_build_name('C', 'O', 'N', 'S'), 11, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), "task create");
  ok(rtems_task_start(id, consumer, 0), "task start");
  ok(rtems_task_create(rtems_build_name('P', 'R', 'O', 'D'), 10, RTEMS_MINIMUM_STACK_SIZE, RTEMS_DEFAULT_MODES, RTEMS_DEFAULT_ATTRIBUTES, &id), "task create");
  ok(rtems_task_start(id, producer, 0), "task start");
  ok(rtems_task_set_priority(RTEMS_SELF, 100, &old), "set priority"); /* the producer runs first */
  ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "obtain done");
  ok(rtems_semaphore_obtain(done, RTEMS_WAIT, RTEMS_NO_TIMEOUT), "obtain done");
  printk("producer-consumer: finished\n");
  rtems_shutdown_executive(0);
}
