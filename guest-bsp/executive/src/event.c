/*
 * The event manager: 32 event flags per task, received with RTEMS_EVENT_ALL or RTEMS_EVENT_ANY.
 */
#include "executive.h"

/* The events of `pending` that satisfy a wait for `wanted`; 0 when the condition does not hold. */
static rtems_event_set _Event_Seizable(rtems_event_set pending, rtems_event_set wanted, rtems_option option_set)
{
  rtems_event_set seized = pending & wanted;
  if (option_set & RTEMS_EVENT_ANY) return seized;
  return seized == wanted ? seized : 0;
}

rtems_status_code rtems_event_send(rtems_id id, rtems_event_set event_in)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *thread = _Thread_Get(id);
  if (thread == NULL) {
    _CPU_ISR_Enable(level);
    return RTEMS_INVALID_ID;
  }
  thread->pending_events |= event_in;
  if ((thread->state & STATES_WAITING) && thread->wait.kind == WAIT_EVENTS) {
    rtems_event_set seized = _Event_Seizable(thread->pending_events, thread->wait.events, thread->wait.option);
    if (seized != 0) {
      thread->pending_events &= ~seized;
      *thread->wait.event_out = seized;
      _Thread_Unblock(thread, RTEMS_SUCCESSFUL);
    }
  }
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_event_receive(rtems_event_set event_in, rtems_option option_set, rtems_interval ticks,
                                      rtems_event_set *event_out)
{
  if (event_out == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Thread_Control *executing = _Thread_Executing;
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (event_in == RTEMS_PENDING_EVENTS) {
    *event_out = executing->pending_events;
  } else {
    rtems_event_set seized = _Event_Seizable(executing->pending_events, event_in, option_set);
    if (seized != 0) {
      executing->pending_events &= ~seized;
      *event_out = seized;
    } else if (option_set & RTEMS_NO_WAIT) {
      *event_out = executing->pending_events & event_in;
      status = RTEMS_UNSATISFIED;
    } else if (_ISR_Is_in_progress()) {
      status = RTEMS_CALLED_FROM_ISR;
    } else {
      executing->wait.events = event_in;
      executing->wait.option = option_set;
      executing->wait.event_out = event_out;
      *event_out = 0;
      status = _Thread_Block(WAIT_EVENTS, NULL, NULL, ticks, RTEMS_TIMEOUT);
      if (status == RTEMS_TIMEOUT) *event_out = executing->pending_events & event_in;
    }
  }
  _CPU_ISR_Enable(level);
  return status;
}
