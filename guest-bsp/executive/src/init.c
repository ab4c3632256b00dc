/*
 * Start-up (boot_card), the default configuration, and the end of the system (fatal errors, shutdown).
 */
#include "executive.h"
#include <bsp.h>

/* An application with its own entry point (CONFIGURE_INIT_TASK_ENTRY_POINT) need not define Init. */
#pragma weak Init

__attribute__((weak)) const rtems_configuration_table Configuration = {
  .microseconds_per_tick = RTEMS_DEFAULT_MICROSECONDS_PER_TICK,
  .ticks_per_timeslice = RTEMS_DEFAULT_TICKS_PER_TIMESLICE,
  .init_task_name = rtems_build_name('U', 'I', '1', ' '),
  .init_task_entry = Init,
  .init_task_priority = RTEMS_DEFAULT_INIT_TASK_PRIORITY,
  .init_task_stack_size = RTEMS_DEFAULT_INIT_TASK_STACK_SIZE,
  .init_task_initial_modes = RTEMS_DEFAULT_INIT_TASK_MODES,
  .init_task_attributes = RTEMS_DEFAULT_ATTRIBUTES,
  .init_task_argument = 0,
  .idle_task_stack_size = RTEMS_DEFAULT_IDLE_TASK_STACK_SIZE,
  .stack_space = NULL,
  .stack_space_size = 0,
};

static rtems_task _Thread_Idle_body(rtems_task_argument argument)
{
  (void)BSP_IDLE_TASK_BODY(argument);
  _Internal_error(RTEMS_INTERNAL_ERROR); /* an idle body never returns */
}

static void _Clock_isr(void *argument)
{
  (void)argument;
  (void)rtems_clock_tick();
  Clock_driver_support_at_tick();
}

static void _Thread_Create_idle(void)
{
  Thread_Control *idle = &_Thread_Idle;
  size_t stack_size = Configuration.idle_task_stack_size;
  if (stack_size < RTEMS_MINIMUM_STACK_SIZE) stack_size = RTEMS_MINIMUM_STACK_SIZE;
  stack_size = (stack_size + 15) & ~(size_t)15;
  idle->object.id = OBJECTS_ID_IDLE;
  idle->object.name = rtems_build_name('I', 'D', 'L', 'E');
  idle->object.in_use = true;
  idle->stack = _Stack_Allocate(stack_size);
  if (idle->stack == NULL) _Internal_error(RTEMS_UNSATISFIED);
  idle->stack_size = stack_size;
  _Thread_Initialize(idle, RTEMS_MAXIMUM_PRIORITY, RTEMS_PREEMPT | RTEMS_INTERRUPT_LEVEL(0), RTEMS_DEFAULT_ATTRIBUTES);
  _Thread_Start(idle, _Thread_Idle_body, 0);
}

static void _Thread_Create_init(void)
{
  const rtems_configuration_table *config = &Configuration;
  rtems_id id;
  if (config->init_task_entry == NULL) {
    printk("fatal: no Init task: define rtems_task Init(rtems_task_argument)\n");
    _Internal_error(RTEMS_NOT_CONFIGURED);
  }
  rtems_status_code status = rtems_task_create(config->init_task_name, config->init_task_priority, config->init_task_stack_size,
                                               config->init_task_initial_modes, config->init_task_attributes, &id);
  if (status == RTEMS_SUCCESSFUL) status = rtems_task_start(id, config->init_task_entry, config->init_task_argument);
  if (status != RTEMS_SUCCESSFUL) {
    printk("fatal: cannot create the Init task: %s\n", rtems_status_text(status));
    _Internal_error(status);
  }
}

void boot_card(void)
{
  bsp_start();
  _CPU_Initialize();
  _Watchdog_Initialize();
  _Scheduler_Initialize();
  _Thread_Create_idle();
  Clock_driver_support_install_isr(_Clock_isr, NULL);
  Clock_driver_support_initialize_hardware();
  _Thread_Create_init();
  /* Interrupts stay disabled until the first task enables them per its mode. */
  _Thread_Start_multitasking();
}

static const char *_Fatal_source_text(rtems_fatal_source source)
{
  switch (source) {
  case RTEMS_FATAL_SOURCE_EXIT: return "RTEMS_FATAL_SOURCE_EXIT";
  case RTEMS_FATAL_SOURCE_APPLICATION: return "RTEMS_FATAL_SOURCE_APPLICATION";
  case RTEMS_FATAL_SOURCE_EXECUTIVE: return "RTEMS_FATAL_SOURCE_EXECUTIVE";
  case RTEMS_FATAL_SOURCE_EXCEPTION: return "RTEMS_FATAL_SOURCE_EXCEPTION";
  }
  return "?";
}

void rtems_fatal(rtems_fatal_source source, uint32_t code)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  (void)level; /* never enabled again */
  if (source != RTEMS_FATAL_SOURCE_EXIT)
    printk("\n*** FATAL ***\nfatal source: %u (%s)\nfatal code: %u (0x%08x)\n", (unsigned)source, _Fatal_source_text(source),
           (unsigned)code, (unsigned)code);
  bsp_reset(source, code);
}

void rtems_fatal_error_occurred(uint32_t code)
{
  rtems_fatal(RTEMS_FATAL_SOURCE_APPLICATION, code);
}

void rtems_shutdown_executive(uint32_t status)
{
  rtems_fatal(RTEMS_FATAL_SOURCE_EXIT, status);
}

void _Internal_error(uint32_t code)
{
  rtems_fatal(RTEMS_FATAL_SOURCE_EXECUTIVE, code);
}
