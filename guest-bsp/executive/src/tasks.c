/*
 * The task manager's directives.
 */
#include "executive.h"

static bool _Priority_is_valid(rtems_task_priority priority)
{
  return priority >= RTEMS_MINIMUM_PRIORITY && priority < RTEMS_MAXIMUM_PRIORITY;
}

rtems_status_code rtems_task_create(rtems_name name, rtems_task_priority initial_priority, size_t stack_size,
                                    rtems_mode initial_modes, rtems_attribute attribute_set, rtems_id *id)
{
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  if (name == 0) return RTEMS_INVALID_NAME;
  if (!_Priority_is_valid(initial_priority)) return RTEMS_INVALID_PRIORITY;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  if (stack_size > RTEMS_MAXIMUM_STACK_SIZE) return RTEMS_UNSATISFIED;
  if (stack_size < RTEMS_MINIMUM_STACK_SIZE) stack_size = RTEMS_MINIMUM_STACK_SIZE;
  stack_size = (stack_size + 15) & ~(size_t)15;

  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = (Thread_Control *)_Objects_Allocate(_Thread_Table, sizeof _Thread_Table[0], RTEMS_MAXIMUM_TASKS,
                                                               OBJECTS_ID_TASK, name);
  if (thread == NULL) {
    _CPU_ISR_Enable(level);
    return RTEMS_TOO_MANY;
  }
  thread->stack = _Stack_Allocate(stack_size);
  if (thread->stack == NULL) {
    _Objects_Free(&thread->object);
    _CPU_ISR_Enable(level);
    return RTEMS_UNSATISFIED;
  }
  thread->stack_size = stack_size;
  _Thread_Initialize(thread, initial_priority, initial_modes, attribute_set);
  *id = thread->object.id;
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_task_start(rtems_id id, rtems_task_entry entry_point, rtems_task_argument argument)
{
  if (entry_point == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (thread == NULL)
    status = RTEMS_INVALID_ID;
  else if (!(thread->state & STATES_DORMANT))
    status = RTEMS_INCORRECT_STATE;
  else
    _Thread_Start(thread, entry_point, argument);
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_task_delete(rtems_id id)
{
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  if (thread == NULL) {
    _CPU_ISR_Enable(level);
    return RTEMS_INVALID_ID;
  }
  _Thread_Close(thread);
  if (thread == _Thread_Executing) {
    /* Its stack stays untouched until the switch away, which never comes back. */
    _Thread_Dispatch_necessary = true;
    _Thread_Do_dispatch();
    _Internal_error(RTEMS_INTERNAL_ERROR);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

void rtems_task_exit(void)
{
  (void)rtems_task_delete(RTEMS_SELF);
  _Internal_error(RTEMS_INTERNAL_ERROR);
}

rtems_status_code rtems_task_suspend(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (thread == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (thread->state & STATES_SUSPENDED) {
    status = RTEMS_ALREADY_SUSPENDED;
  } else {
    if (thread->state == STATES_READY) _Scheduler_Block(thread);
    thread->state |= STATES_SUSPENDED;
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_task_resume(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (thread == NULL) {
    status = RTEMS_INVALID_ID;
  } else if (!(thread->state & STATES_SUSPENDED)) {
    status = RTEMS_INCORRECT_STATE;
  } else {
    thread->state &= ~STATES_SUSPENDED;
    if (thread->state == STATES_READY) _Scheduler_Unblock(thread);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_task_is_suspended(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  rtems_status_code status = thread == NULL                      ? RTEMS_INVALID_ID
                             : (thread->state & STATES_SUSPENDED) ? RTEMS_ALREADY_SUSPENDED
                                                                  : RTEMS_SUCCESSFUL;
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_task_set_priority(rtems_id id, rtems_task_priority new_priority, rtems_task_priority *old_priority)
{
  if (old_priority == NULL) return RTEMS_INVALID_ADDRESS;
  if (new_priority != RTEMS_CURRENT_PRIORITY && !_Priority_is_valid(new_priority)) return RTEMS_INVALID_PRIORITY;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  if (thread == NULL) {
    _CPU_ISR_Enable(level);
    return RTEMS_INVALID_ID;
  }
  *old_priority = thread->current_priority;
  if (new_priority != RTEMS_CURRENT_PRIORITY) {
    thread->real_priority = new_priority;
    _Thread_Update_priority(thread, false);
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_task_get_priority(rtems_id id, rtems_task_priority *priority)
{
  if (priority == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  if (thread != NULL) *priority = thread->current_priority;
  _CPU_ISR_Enable(level);
  return thread == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_task_mode(rtems_mode mode_set, rtems_mode mask, rtems_mode *previous_mode_set)
{
  if (previous_mode_set == NULL) return RTEMS_INVALID_ADDRESS;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  Thread_Control *executing = _Thread_Executing;
  *previous_mode_set = (executing->is_preemptible ? RTEMS_PREEMPT : RTEMS_NO_PREEMPT) |
                       (executing->is_timeslicing ? RTEMS_TIMESLICE : RTEMS_NO_TIMESLICE) |
                       (executing->asr_disabled ? RTEMS_NO_ASR : RTEMS_ASR) | RTEMS_INTERRUPT_LEVEL(_CPU_ISR_Get_level());

  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  if (mask & RTEMS_PREEMPT_MASK) {
    bool preemptible = (mode_set & RTEMS_PREEMPT_MASK) == RTEMS_PREEMPT;
    if (preemptible && !executing->is_preemptible) _Thread_Dispatch_necessary = true; /* a more important task may wait */
    executing->is_preemptible = preemptible;
  }
  if (mask & RTEMS_TIMESLICE_MASK) {
    executing->is_timeslicing = (mode_set & RTEMS_TIMESLICE_MASK) == RTEMS_TIMESLICE;
    executing->timeslice_budget = Configuration.ticks_per_timeslice;
  }
  if (mask & RTEMS_ASR_MASK) executing->asr_disabled = (mode_set & RTEMS_ASR_MASK) == RTEMS_NO_ASR;
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  /* After the critical section, which would otherwise restore the old level. */
  if (mask & RTEMS_INTERRUPT_MASK) _CPU_ISR_Set_level(mode_set & RTEMS_INTERRUPT_MASK);
  return RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_task_wake_after(rtems_interval ticks)
{
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  if (ticks == RTEMS_YIELD_PROCESSOR) {
    _Scheduler_Yield(_Thread_Executing);
    _Thread_Do_dispatch();
  } else {
    (void)_Thread_Block(WAIT_DELAY, NULL, NULL, ticks, RTEMS_SUCCESSFUL);
  }
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_task_ident(rtems_name name, uint32_t node, rtems_id *id)
{
  (void)node; /* one node: every search finds local tasks */
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  if (name == RTEMS_WHO_AM_I) {
    *id = rtems_task_self();
    return RTEMS_SUCCESSFUL;
  }
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Objects_Control *object = _Objects_Find_name(_Thread_Table, sizeof _Thread_Table[0], RTEMS_MAXIMUM_TASKS, name);
  if (object != NULL) *id = object->id;
  _CPU_ISR_Enable(level);
  return object == NULL ? RTEMS_INVALID_NAME : RTEMS_SUCCESSFUL;
}

rtems_id rtems_task_self(void)
{
  return _Thread_Executing->object.id;
}
