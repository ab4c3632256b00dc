/*
 * The message queue manager. Each queue owns a fixed buffer of RTEMS_MAXIMUM_MESSAGE_BYTES, cut into
 * `count` slots of the maximum size rounded up to words, used as a ring: send appends at the tail,
 * urgent puts the message at the head. A waiting receiver gets a message straight into its buffer.
 * Senders never wait: a full queue answers RTEMS_TOO_MANY, as in RTEMS.
 */
#include "executive.h"

#define MESSAGE_SLOTS_MAX (RTEMS_MAXIMUM_MESSAGE_BYTES / 4)

typedef struct {
  Objects_Control object;
  rtems_attribute attributes;
  uint32_t maximum_pending;
  size_t maximum_size;
  size_t slot_size;
  uint32_t head;     /* slot of the oldest (first to receive) message */
  uint32_t pending;
  Thread_queue_Control receivers;
  uint16_t lengths[MESSAGE_SLOTS_MAX];
  uint8_t buffers[RTEMS_MAXIMUM_MESSAGE_BYTES] __attribute__((aligned(4)));
} Message_queue_Control;

static Message_queue_Control _Message_queue_Table[RTEMS_MAXIMUM_MESSAGE_QUEUES];

static Message_queue_Control *_Message_queue_Get(rtems_id id)
{
  return (Message_queue_Control *)_Objects_Get(_Message_queue_Table, sizeof _Message_queue_Table[0],
                                               RTEMS_MAXIMUM_MESSAGE_QUEUES, OBJECTS_ID_MESSAGE_QUEUE, id);
}

void _Executive_copy(void *destination, const void *source, size_t size)
{
  __asm__ volatile("cld\n\trep movsb" : "+D"(destination), "+S"(source), "+c"(size) : : "memory");
}

rtems_status_code rtems_message_queue_create(rtems_name name, uint32_t count, size_t max_message_size,
                                             rtems_attribute attribute_set, rtems_id *id)
{
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  if (name == 0) return RTEMS_INVALID_NAME;
  if (count == 0) return RTEMS_INVALID_NUMBER;
  if (max_message_size == 0) return RTEMS_INVALID_SIZE;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  size_t slot_size = (max_message_size + 3) & ~(size_t)3;
  /* More buffer space than a queue has: RTEMS would run out of workspace, hence RTEMS_UNSATISFIED. */
  if (max_message_size > RTEMS_MAXIMUM_MESSAGE_BYTES || (uint64_t)count * slot_size > RTEMS_MAXIMUM_MESSAGE_BYTES)
    return RTEMS_UNSATISFIED;

  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = (Message_queue_Control *)_Objects_Allocate(
    _Message_queue_Table, sizeof _Message_queue_Table[0], RTEMS_MAXIMUM_MESSAGE_QUEUES, OBJECTS_ID_MESSAGE_QUEUE, name);
  if (queue != NULL) {
    queue->attributes = attribute_set;
    queue->maximum_pending = count;
    queue->maximum_size = max_message_size;
    queue->slot_size = slot_size;
    queue->head = 0;
    queue->pending = 0;
    _Thread_queue_Initialize(&queue->receivers, attribute_set);
    *id = queue->object.id;
  }
  _CPU_ISR_Enable(level);
  return queue == NULL ? RTEMS_TOO_MANY : RTEMS_SUCCESSFUL;
}

/* Gives the message to the first waiting receiver; false when none waits. */
static bool _Message_queue_Deliver(Message_queue_Control *queue, const void *buffer, size_t size)
{
  Thread_Control *receiver = _Thread_queue_First(&queue->receivers);
  if (receiver == NULL) return false;
  _Executive_copy(receiver->wait.buffer, buffer, size);
  *receiver->wait.size = size;
  _Thread_Unblock(receiver, RTEMS_SUCCESSFUL);
  return true;
}

static rtems_status_code _Message_queue_Submit(rtems_id id, const void *buffer, size_t size, bool urgent)
{
  if (buffer == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = _Message_queue_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (queue == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (size > queue->maximum_size) {
    status = RTEMS_INVALID_SIZE;
  } else if (_Message_queue_Deliver(queue, buffer, size)) {
    /* delivered */
  } else if (queue->pending == queue->maximum_pending) {
    status = RTEMS_TOO_MANY;
  } else {
    uint32_t slot;
    if (urgent) {
      queue->head = queue->head == 0 ? queue->maximum_pending - 1 : queue->head - 1;
      slot = queue->head;
    } else {
      slot = (queue->head + queue->pending) % queue->maximum_pending;
    }
    _Executive_copy(&queue->buffers[slot * queue->slot_size], buffer, size);
    queue->lengths[slot] = (uint16_t)size;
    queue->pending++;
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_message_queue_send(rtems_id id, const void *buffer, size_t size)
{
  return _Message_queue_Submit(id, buffer, size, false);
}

rtems_status_code rtems_message_queue_urgent(rtems_id id, const void *buffer, size_t size)
{
  return _Message_queue_Submit(id, buffer, size, true);
}

rtems_status_code rtems_message_queue_broadcast(rtems_id id, const void *buffer, size_t size, uint32_t *count)
{
  if (buffer == NULL || count == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = _Message_queue_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (queue == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (size > queue->maximum_size) {
    status = RTEMS_INVALID_SIZE;
  } else {
    uint32_t woken = 0;
    while (_Message_queue_Deliver(queue, buffer, size)) woken++;
    *count = woken;
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_message_queue_receive(rtems_id id, void *buffer, size_t *size, rtems_option option_set,
                                              rtems_interval timeout)
{
  if (buffer == NULL || size == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = _Message_queue_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (queue == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (queue->pending > 0) {
    uint32_t slot = queue->head;
    *size = queue->lengths[slot];
    _Executive_copy(buffer, &queue->buffers[slot * queue->slot_size], *size);
    queue->head = (queue->head + 1) % queue->maximum_pending;
    queue->pending--;
  } else if (option_set & RTEMS_NO_WAIT) {
    status = RTEMS_UNSATISFIED;
  } else if (_ISR_Is_in_progress()) {
    status = RTEMS_CALLED_FROM_ISR;
  } else {
    Thread_Control *executing = _Thread_Executing;
    executing->wait.buffer = buffer;
    executing->wait.size = size;
    status = _Thread_Block(WAIT_QUEUE, &queue->receivers, NULL, timeout, RTEMS_TIMEOUT);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_message_queue_get_number_pending(rtems_id id, uint32_t *count)
{
  if (count == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = _Message_queue_Get(id);
  if (queue != NULL) *count = queue->pending;
  _CPU_ISR_Enable(level);
  return queue == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_message_queue_flush(rtems_id id, uint32_t *count)
{
  if (count == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = _Message_queue_Get(id);
  if (queue != NULL) {
    *count = queue->pending;
    queue->pending = 0;
    queue->head = 0;
  }
  _CPU_ISR_Enable(level);
  return queue == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_message_queue_delete(rtems_id id)
{
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Message_queue_Control *queue = _Message_queue_Get(id);
  if (queue != NULL) {
    (void)_Thread_queue_Flush(&queue->receivers, RTEMS_OBJECT_WAS_DELETED);
    queue->pending = 0;
    _Objects_Free(&queue->object);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return queue == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_message_queue_ident(rtems_name name, uint32_t node, rtems_id *id)
{
  (void)node;
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Objects_Control *object =
    _Objects_Find_name(_Message_queue_Table, sizeof _Message_queue_Table[0], RTEMS_MAXIMUM_MESSAGE_QUEUES, name);
  if (object != NULL) *id = object->id;
  _CPU_ISR_Enable(level);
  return object == NULL ? RTEMS_INVALID_NAME : RTEMS_SUCCESSFUL;
}
