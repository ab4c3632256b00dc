/*
 * The executive's configuration table. An application fills it in by including <rtems/confdefs.h> in one
 * source file with CONFIGURE_INIT defined (and any CONFIGURE_* it wants to change); an application that
 * does not gets the executive's defaults (a weak definition), with Init as its first task.
 */
#ifndef PVRT_RTEMS_CONFIG_H
#define PVRT_RTEMS_CONFIG_H

#include <rtems.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t microseconds_per_tick;
  uint32_t ticks_per_timeslice;
  rtems_name init_task_name;
  rtems_task_entry init_task_entry;
  rtems_task_priority init_task_priority;
  size_t init_task_stack_size;
  rtems_mode init_task_initial_modes;
  rtems_attribute init_task_attributes;
  rtems_task_argument init_task_argument;
  size_t idle_task_stack_size;
  /* Where task stacks come from (the idle task's included); NULL: the executive's default pool. */
  void *stack_space;
  size_t stack_space_size;
} rtems_configuration_table;

extern const rtems_configuration_table Configuration;

/* Defaults, also used by <rtems/confdefs.h>. */
#define RTEMS_DEFAULT_MICROSECONDS_PER_TICK 10000u
#define RTEMS_DEFAULT_TICKS_PER_TIMESLICE 50u
#define RTEMS_DEFAULT_INIT_TASK_PRIORITY 1u
#define RTEMS_DEFAULT_INIT_TASK_STACK_SIZE (2 * RTEMS_MINIMUM_STACK_SIZE)
#define RTEMS_DEFAULT_INIT_TASK_MODES (RTEMS_PREEMPT | RTEMS_NO_TIMESLICE | RTEMS_NO_ASR | RTEMS_INTERRUPT_LEVEL(0))
#define RTEMS_DEFAULT_IDLE_TASK_STACK_SIZE (2 * RTEMS_MINIMUM_STACK_SIZE)
#define RTEMS_DEFAULT_STACK_SPACE_SIZE (512u * 1024u)

#ifdef __cplusplus
}
#endif

#endif /* PVRT_RTEMS_CONFIG_H */
