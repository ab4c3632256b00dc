/*
 * The timer manager: one-shot timers on the watchdog list. Their routines run from the clock tick, in
 * interrupt context, with interrupts disabled.
 */
#include "executive.h"

typedef struct {
  Objects_Control object;
  Watchdog_Control watchdog;
  rtems_interval interval;
  rtems_timer_service_routine_entry routine;
  void *user_data;
} Timer_Control;

static Timer_Control _Timer_Table[RTEMS_MAXIMUM_TIMERS];

static Timer_Control *_Timer_Get(rtems_id id)
{
  return (Timer_Control *)_Objects_Get(_Timer_Table, sizeof _Timer_Table[0], RTEMS_MAXIMUM_TIMERS, OBJECTS_ID_TIMER, id);
}

static void _Timer_Fire(Watchdog_Control *watchdog)
{
  Timer_Control *timer = CONTAINER_OF(watchdog, Timer_Control, watchdog);
  timer->routine(timer->object.id, timer->user_data);
}

rtems_status_code rtems_timer_create(rtems_name name, rtems_id *id)
{
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  if (name == 0) return RTEMS_INVALID_NAME;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Timer_Control *timer =
    (Timer_Control *)_Objects_Allocate(_Timer_Table, sizeof _Timer_Table[0], RTEMS_MAXIMUM_TIMERS, OBJECTS_ID_TIMER, name);
  if (timer != NULL) {
    timer->watchdog.active = false;
    timer->watchdog.routine = _Timer_Fire;
    timer->interval = 0;
    timer->routine = NULL;
    timer->user_data = NULL;
    *id = timer->object.id;
  }
  _CPU_ISR_Enable(level);
  return timer == NULL ? RTEMS_TOO_MANY : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_timer_fire_after(rtems_id id, rtems_interval ticks, rtems_timer_service_routine_entry routine,
                                         void *user_data)
{
  if (ticks == 0) return RTEMS_INVALID_NUMBER;
  if (routine == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Timer_Control *timer = _Timer_Get(id);
  if (timer != NULL) {
    timer->interval = ticks;
    timer->routine = routine;
    timer->user_data = user_data;
    _Watchdog_Insert(&timer->watchdog, ticks);
  }
  _CPU_ISR_Enable(level);
  return timer == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_timer_reset(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Timer_Control *timer = _Timer_Get(id);
  rtems_status_code status = RTEMS_SUCCESSFUL;
  if (timer == NULL)
    status = RTEMS_INVALID_ID;
  else if (timer->routine == NULL)
    status = RTEMS_NOT_DEFINED; /* never armed: nothing to reset to */
  else
    _Watchdog_Insert(&timer->watchdog, timer->interval);
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_timer_cancel(rtems_id id)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Timer_Control *timer = _Timer_Get(id);
  if (timer != NULL) _Watchdog_Remove(&timer->watchdog);
  _CPU_ISR_Enable(level);
  return timer == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_timer_delete(rtems_id id)
{
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Timer_Control *timer = _Timer_Get(id);
  if (timer != NULL) {
    _Watchdog_Remove(&timer->watchdog);
    _Objects_Free(&timer->object);
  }
  _CPU_ISR_Enable(level);
  return timer == NULL ? RTEMS_INVALID_ID : RTEMS_SUCCESSFUL;
}

rtems_status_code rtems_timer_ident(rtems_name name, uint32_t node, rtems_id *id)
{
  (void)node;
  if (id == NULL) return RTEMS_INVALID_ADDRESS;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  Objects_Control *object = _Objects_Find_name(_Timer_Table, sizeof _Timer_Table[0], RTEMS_MAXIMUM_TIMERS, name);
  if (object != NULL) *id = object->id;
  _CPU_ISR_Enable(level);
  return object == NULL ? RTEMS_INVALID_NAME : RTEMS_SUCCESSFUL;
}
