/*
 * pc386: the BSP for a plain PC (QEMU's pc machine, pvrt running an unmodified guest): multiboot start-up,
 * 8259 PIC pair, 8254 PIT tick, 16550 console on COM1, TSC fine clock, isa-debug-exit to power off.
 */
#ifndef PC386_BSP_H
#define PC386_BSP_H

#include <stdint.h>
#include <rtems.h>
#include <rtems/bsp-interface.h>
#include <rtems/bspIo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Vectors 0-15 are the PIC's IRQ lines; 16 is the software test vector. */
#define BSP_INTERRUPT_VECTOR_COUNT 17u
#define BSP_VECTOR_CLOCK 0u       /* IRQ 0: PIT channel 0 */
#define BSP_VECTOR_KEYBOARD 1u
#define BSP_VECTOR_COM2 3u
#define BSP_VECTOR_COM1 4u
#define BSP_VECTOR_RTC 8u
#define BSP_VECTOR_TEST 16u       /* raised only by bsp_interrupt_raise */

/* Where the vectors sit in the IDT. */
#define PC386_IDT_IRQ_BASE 0x20u
#define PC386_IDT_TEST_VECTOR 0x30u

/* bsp_reset writes this to isa-debug-exit for every source but RTEMS_FATAL_SOURCE_EXIT: QEMU and
   pvrt then exit with status 255 ((0x7f << 1) | 1). */
#define PC386_FATAL_EXIT_CODE 0x7fu
#define PC386_DEBUG_EXIT_PORT 0xf4u

#define BSP_IDLE_TASK_BODY pc386_idle_body
void *pc386_idle_body(uintptr_t ignored);

/* The multiboot magic (EAX) and information pointer (EBX) the loader passed. */
extern uint32_t pc386_multiboot_magic;
extern uint32_t pc386_multiboot_info;

/* TSC counts per second as calibrated against the PIT at start-up. */
uint64_t pc386_tsc_frequency(void);

static inline void pc386_outb(uint16_t port, uint8_t value)
{
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t pc386_inb(uint16_t port)
{
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

static inline void pc386_outl(uint16_t port, uint32_t value)
{
  __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint64_t pc386_rdtsc(void)
{
  uint32_t low, high;
  __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
  return ((uint64_t)high << 32) | low;
}

/* Internal to the BSP: start-up pieces and the entries from start.S. */
void pc386_idt_install(void);
void pc386_console_initialize(void);
void pc386_pic_initialize(void);
void pc386_clock_calibrate(void);

#ifdef __cplusplus
}
#endif

#endif /* PC386_BSP_H */
