/*
 * Interrupts: the executive's vector table, the entry and exit every BSP interrupt goes through, and the
 * interrupt manager's directives.
 */
#include "executive.h"
#include <bsp.h>

#define HANDLERS_PER_VECTOR 4

typedef struct {
  rtems_interrupt_handler handler;
  void *argument;
  const char *info;
} ISR_Handler_entry;

typedef struct {
  ISR_Handler_entry entries[HANDLERS_PER_VECTOR];
  uint32_t count;
  bool unique;
  bool reported_spurious;
} ISR_Vector;

static ISR_Vector _ISR_Vector_table[BSP_INTERRUPT_VECTOR_COUNT];
volatile uint32_t _ISR_Nest_level;

void _ISR_Enter(void)
{
  _ISR_Nest_level++;
}

void _ISR_Leave(void)
{
  /* The outermost interrupt ends: switch now if a handler readied a more important task. */
  if (--_ISR_Nest_level == 0 && _Thread_Dispatch_necessary && _System_is_up) _Thread_Do_dispatch();
}

void _ISR_Dispatch_vector(rtems_vector_number vector)
{
  if (vector >= BSP_INTERRUPT_VECTOR_COUNT) {
    printk("spurious interrupt on unknown vector %u\n", (unsigned)vector);
    return;
  }
  ISR_Vector *entry = &_ISR_Vector_table[vector];
  if (entry->count == 0) {
    if (!entry->reported_spurious) printk("spurious interrupt on vector %u\n", (unsigned)vector);
    entry->reported_spurious = true;
    return;
  }
  for (uint32_t i = 0; i < entry->count; i++) entry->entries[i].handler(entry->entries[i].argument);
}

void _ISR_Handler(rtems_vector_number vector)
{
  _ISR_Enter();
  _ISR_Dispatch_vector(vector);
  _ISR_Leave();
}

bool rtems_interrupt_is_in_progress(void)
{
  return _ISR_Is_in_progress();
}

rtems_status_code rtems_interrupt_handler_install(rtems_vector_number vector, const char *info, rtems_option options,
                                                  rtems_interrupt_handler handler, void *arg)
{
  if (handler == NULL) return RTEMS_INVALID_ADDRESS;
  if (vector >= BSP_INTERRUPT_VECTOR_COUNT) return RTEMS_INVALID_ID;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  ISR_Vector *entry = &_ISR_Vector_table[vector];
  rtems_status_code status = RTEMS_SUCCESSFUL;
  /* As RTEMS checks: uniqueness first, then the same handler and argument twice. */
  if (entry->count > 0 && (entry->unique || (options & RTEMS_INTERRUPT_UNIQUE))) status = RTEMS_RESOURCE_IN_USE;
  for (uint32_t i = 0; i < entry->count && status == RTEMS_SUCCESSFUL; i++) {
    if (entry->entries[i].handler == handler && entry->entries[i].argument == arg) status = RTEMS_TOO_MANY;
  }
  if (status == RTEMS_SUCCESSFUL && entry->count == HANDLERS_PER_VECTOR) status = RTEMS_NO_MEMORY;
  if (status == RTEMS_SUCCESSFUL) {
    entry->entries[entry->count] = (ISR_Handler_entry){ handler, arg, info };
    entry->unique = (options & RTEMS_INTERRUPT_UNIQUE) != 0;
    if (entry->count++ == 0) bsp_interrupt_vector_enable(vector);
  }
  _CPU_ISR_Enable(level);
  return status;
}

rtems_status_code rtems_interrupt_handler_remove(rtems_vector_number vector, rtems_interrupt_handler handler, void *arg)
{
  if (handler == NULL) return RTEMS_INVALID_ADDRESS;
  if (vector >= BSP_INTERRUPT_VECTOR_COUNT) return RTEMS_INVALID_ID;
  if (_ISR_Is_in_progress()) return RTEMS_CALLED_FROM_ISR;
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  ISR_Vector *entry = &_ISR_Vector_table[vector];
  rtems_status_code status = RTEMS_UNSATISFIED;
  for (uint32_t i = 0; i < entry->count; i++) {
    if (entry->entries[i].handler == handler && entry->entries[i].argument == arg) {
      for (uint32_t j = i + 1; j < entry->count; j++) entry->entries[j - 1] = entry->entries[j];
      if (--entry->count == 0) {
        entry->unique = false;
        bsp_interrupt_vector_disable(vector);
      }
      status = RTEMS_SUCCESSFUL;
      break;
    }
  }
  _CPU_ISR_Enable(level);
  return status;
}
