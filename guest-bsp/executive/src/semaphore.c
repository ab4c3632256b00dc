/*
 * The semaphore manager: counting, simple binary and binary (mutex) semaphores. A mutex has an owner,
 * nests, and optionally protects against priority inversion by inheritance or by an immediate ceiling.
 */
#include "executive.h"

static Semaphore_Control _Semaphore_Table[RTEMS_MAXIMUM_SEMAPHORES];

static Semaphore_Control *_Semaphore_Get(rtems_id id)
{
  return (Semaphore_Control *)_Objects_Get(_Semaphore_Table, sizeof _Semaphore_Table[0], RTEMS_MAXIMUM_SEMAPHORES,
                                           OBJECTS_ID_SEMAPHORE, id);
}

static rtems_attribute _Semaphore_Class(const Semaphore_Control *semaphore)
{
  return semaphore->attributes & RTEMS_SEMAPHORE_CLASS;
}

static void _Semaphore_Hold(Semaphore_Control *mutex, Thread_Control *owner)
{
  mutex->owner = owner;
  mutex->nest_count = 1;
  mutex->next_held = owner->held_mutexes;
  owner->held_mutexes = mutex;
}

static void _Semaphore_Unhold(Semaphore_Control *mutex)
{
  Thread_Control *owner = mutex->owner;
  for (Semaphore_Control **link = &owner->held_mutexes; *link != NULL; link = &(*link)->next_held) {
    if (*link == mutex) {
      *link = mutex->next_held;
      break;
    }
  }
  mutex->next_held = NULL;
  mutex->owner = NULL;
  mutex->nest_count = 0;
}

/* The mutex is free: its first waiter, if any, gets it (and runs at the ceiling, or inherits). */
static void _Semaphore_Hand_over(Semaphore_Control *mutex)
{
  Thread_Control *heir = _Thread_queue_First(&mutex->wait_queue);
  if (heir == NULL) return;
  _Thread_Unblock(heir, RTEMS_SUCCESSFUL);
  _Semaphore_Hold(mutex, heir);
  _Thread_Update_priority(heir, true);
}

void _Semaphore_Surrender_on_delete(Semaphore_Control *mutex)
{
  /* The deleted owner already unlinked it from its list. */
  mutex->owner = NULL;
  mutex->nest_count = 0;
  _Semaphore_Hand_over(mutex);
}

rtems_status_code rtems_semaphore_create(rtems_name name, uint32_t count, rtems_attribute attribute_set,
                                         rtems_task_priority priority_ceiling, rtems_id *id)
{
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  if (name == 0) return RTEMS_INVALID_NAME;
  rtems_attribute kind = attribute_set & RTEMS_SEMAPHORE_CLASS;
  rtems_attribute protocol = attribute_set & (RTEMS_INHERIT_PRIORITY | RTEMS_PRIORITY_CEILING);
  if (kind == RTEMS_SEMAPHORE_CLASS) return RTEMS_NOT_DEFINED;
  if (protocol != 0 &&
      (kind != RTEMS_BINARY_SEMAPHORE || !(attribute_set & RTEMS_PRIORITY) ||
       protocol == (RTEMS_INHERIT_PRIORITY | RTEMS_PRIORITY_CEILING)))
    return RTEMS_NOT_DEFINED;
  if (kind != RTEMS_COUNTING_SEMAPHORE && count > 1) return RTEMS_INVALID_NUMBER;
  if ((protocol & RTEMS_PRIORITY_CEILING) &&
      (priority_ceiling < RTEMS_MINIMUM_PRIORITY || priority_ceiling >= RTEMS_MAXIMUM_PRIORITY))
    return RTEMS_INVALID_PRIORITY;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;

  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *executing = _Thread_Executing;
  if (kind == RTEMS_BINARY_SEMAPHORE && count == 0 && (protocol & RTEMS_PRIORITY_CEILING) && executing != NULL &&
      executing->current_priority < priority_ceiling) {
    _CPU_ISR_Enable(level);
    return RTEMS_INVALID_PRIORITY; /* the creator would own a mutex whose ceiling is below it */
  }
  Semaphore_Control *semaphore = (Semaphore_Control *)_Objects_Allocate(
    _Semaphore_Table, sizeof _Semaphore_Table[0], RTEMS_MAXIMUM_SEMAPHORES, OBJECTS_ID_SEMAPHORE, name);
  if (semaphore == NULL) {
    _CPU_ISR_Enable(level);
    return RTEMS_TOO_MANY;
  }
  semaphore->attributes = attribute_set;
  semaphore->count = count;
  semaphore->ceiling = priority_ceiling;
  semaphore->owner = NULL;
  semaphore->nest_count = 0;
  semaphore->next_held = NULL;
  _Thread_queue_Initialize(&semaphore->wait_queue, attribute_set);
  if (kind == RTEMS_BINARY_SEMAPHORE) {
    semaphore->count = 0;
    /* Created locked: the creating task owns it. */
    if (count == 0 && executing != NULL) {
      _Semaphore_Hold(semaphore, executing);
      _Thread_Update_priority(executing, true);
    }
  }
  *id = semaphore->object.id;
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_semaphore_obtain(rtems_id id, rtems_option option_set, rtems_interval timeout)
{
  bool wait = (option_set & RTEMS_NO_WAIT) == 0;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Semaphore_Control *semaphore = _Semaphore_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  Thread_Control *executing = _Thread_Executing;

  if (semaphore == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (_Semaphore_Class(semaphore) != RTEMS_BINARY_SEMAPHORE) {
    if (semaphore->count > 0)
      semaphore->count--;
    else if (!wait)
      status = RTEMS_UNSATISFIED;
    else if (_ISR_Is_in_progress())
      status = RTEMS_CALLED_FROM_ISR;
    else
      status = _Thread_Block(WAIT_QUEUE, &semaphore->wait_queue, NULL, timeout, RTEMS_TIMEOUT);
  } else if (_ISR_Is_in_progress()) {
    status = RTEMS_CALLED_FROM_ISR; /* a mutex belongs to a task */
  } else if (semaphore->owner == executing) {
    semaphore->nest_count++;
  } else if ((semaphore->attributes & RTEMS_PRIORITY_CEILING) && executing->current_priority < semaphore->ceiling) {
    status = RTEMS_INVALID_PRIORITY;
  } else if (semaphore->owner == NULL) {
    _Semaphore_Hold(semaphore, executing);
    _Thread_Update_priority(executing, true);
  } else if (!wait) {
    status = RTEMS_UNSATISFIED;
  } else {
    /* On success the releasing task has made us the owner. */
    status = _Thread_Block(WAIT_QUEUE, &semaphore->wait_queue, semaphore, timeout, RTEMS_TIMEOUT);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_semaphore_release(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Semaphore_Control *semaphore = _Semaphore_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;

  if (semaphore == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (_Semaphore_Class(semaphore) != RTEMS_BINARY_SEMAPHORE) {
    Thread_Control *waiter = _Thread_queue_First(&semaphore->wait_queue);
    if (waiter != NULL)
      _Thread_Unblock(waiter, RTEMS_SUCCESSFUL);
    else if (_Semaphore_Class(semaphore) == RTEMS_SIMPLE_BINARY_SEMAPHORE)
      semaphore->count = 1;
    else if (semaphore->count == UINT32_MAX)
      status = RTEMS_UNSATISFIED;
    else
      semaphore->count++;
  } else if (_ISR_Is_in_progress()) {
    status = RTEMS_CALLED_FROM_ISR;
  } else if (semaphore->owner != _Thread_Executing) {
    status = RTEMS_NOT_OWNER_OF_RESOURCE;
  } else if (--semaphore->nest_count == 0) {
    Thread_Control *previous_owner = semaphore->owner;
    _Semaphore_Unhold(semaphore);
    _Semaphore_Hand_over(semaphore);
    /* Back to what the mutexes it still holds demand; at the head of that priority, as RTEMS does. */
    _Thread_Update_priority(previous_owner, true);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_semaphore_flush(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Semaphore_Control *semaphore = _Semaphore_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (semaphore == NULL)
    status = RTEMS_INVALID_ID;
  else if (semaphore->attributes & (RTEMS_INHERIT_PRIORITY | RTEMS_PRIORITY_CEILING))
    status = RTEMS_NOT_DEFINED; /* as in RTEMS: waiters of a protocol mutex cannot be flushed */
  else
    (void)_Thread_queue_Flush(&semaphore->wait_queue, RTEMS_UNSATISFIED);
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_semaphore_delete(rtems_id id)
{
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Semaphore_Control *semaphore = _Semaphore_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (semaphore == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (_Semaphore_Class(semaphore) == RTEMS_BINARY_SEMAPHORE && semaphore->owner != NULL) {
    status = RTEMS_RESOURCE_IN_USE;
  } else {
    (void)_Thread_queue_Flush(&semaphore->wait_queue, RTEMS_OBJECT_WAS_DELETED);
    _Objects_Free(&semaphore->object);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_semaphore_ident(rtems_name name, uint32_t node, rtems_id *id)
{
  (void)node;
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Objects_Control *object = _Objects_Find_name(_Semaphore_Table, sizeof _Semaphore_Table[0], RTEMS_MAXIMUM_SEMAPHORES, name);
  if (object != NULL) *id = object->id;
  _CPU_ISR_Enable(level);
  return object == NULL ? RTEMS_INVALID_NAME : RTEMS_SUCCESSFUL;
}
