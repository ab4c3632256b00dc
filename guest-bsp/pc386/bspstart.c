/*
 * pc386 start, idle and reset.
 */
#include <bsp.h>

void bsp_start(void)
{
  pc386_console_initialize();
  pc386_pic_initialize();
  pc386_clock_calibrate();
}

void *pc386_idle_body(uintptr_t ignored)
{
  (void)ignored;
  for (;;) __asm__ volatile("sti\n\thlt" : : : "memory");
}

void bsp_reset(rtems_fatal_source source, uint32_t code)
{
  __asm__ volatile("cli");
  /* isa-debug-exit: QEMU and pvrt exit with (value << 1) | 1. */
  pc386_outl(PC386_DEBUG_EXIT_PORT, source == RTEMS_FATAL_SOURCE_EXIT ? code : PC386_FATAL_EXIT_CODE);
  for (;;) __asm__ volatile("cli\n\thlt");
}
