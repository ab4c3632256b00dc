/*
 * The clock manager: the tick the BSP's clock driver announces, and the time since boot.
 */
#include "executive.h"

rtems_status_code rtems_clock_tick(void)
{
  rtems_interrupt_level level;
  _CPU_ISR_Disable(level);
  /* Timer routines run in interrupt context even when a task announces the tick itself. */
  _ISR_Nest_level++;
  _Scheduler_Tick();
  _Watchdog_Tick();
  _ISR_Nest_level--;
  _Thread_Dispatch_if_needed();
  _CPU_ISR_Enable(level);
  return RTEMS_SUCCESSFUL;
}

rtems_interval rtems_clock_get_ticks_since_boot(void)
{
  return _Watchdog_Ticks_since_boot;
}

rtems_interval rtems_clock_get_ticks_per_second(void)
{
  return 1000000u / Configuration.microseconds_per_tick;
}

uint64_t rtems_clock_get_uptime_nanoseconds(void)
{
  return bsp_clock_nanoseconds();
}

uint32_t rtems_configuration_get_nanoseconds_per_tick(void)
{
  return Configuration.microseconds_per_tick * 1000u;
}

uint32_t rtems_configuration_get_microseconds_per_tick(void)
{
  return Configuration.microseconds_per_tick;
}

uint32_t rtems_configuration_get_milliseconds_per_tick(void)
{
  return Configuration.microseconds_per_tick / 1000u;
}

uint32_t rtems_configuration_get_ticks_per_timeslice(void)
{
  return Configuration.ticks_per_timeslice;
}
