/*
 * The contract between pvrt's executive and a BSP (pc386, i386virt). The executive is the same for every
 * BSP; switching BSP is a build flag. A BSP provides <bsp.h> (included by the executive) with at least:
 *
 *   BSP_IDLE_TASK_BODY               a function `void *body(uintptr_t)` the idle task runs forever:
 *                                    wait for an interrupt with interrupts enabled (hlt on pc386,
 *                                    wait_for_event on i386virt)
 *   BSP_INTERRUPT_VECTOR_COUNT       vectors are 0 .. count-1, numbered as the BSP likes
 *   BSP_VECTOR_TEST                  a vector no device uses, raised by bsp_interrupt_raise (tests)
 *
 * and the functions below. Everything runs on one processor.
 */
#ifndef PVRT_RTEMS_BSP_INTERFACE_H
#define PVRT_RTEMS_BSP_INTERFACE_H

#include <rtems.h>

/* ---- provided by the BSP ---------------------------------------------------------------------------- */

/* Hardware set-up before the executive initializes (console, interrupt controller), interrupts disabled. */
void bsp_start(void);
/* Polled console output, legal with interrupts disabled and from interrupt handlers. */
void bsp_console_write(const char *text, size_t length);
/* The end: RTEMS_FATAL_SOURCE_EXIT powers off with `code` as the VM's exit status; any other source ends
   the VM as a crash carrying `code`. */
void bsp_reset(rtems_fatal_source source, uint32_t code) __attribute__((noreturn));
/* Monotonic nanoseconds since boot, finer than the tick (TSC, pvclock). */
uint64_t bsp_clock_nanoseconds(void);

/* The clock driver hooks (RTEMS's clock driver shell). The executive installs its tick routine with
   Clock_driver_support_install_isr, then starts the hardware; the tick routine calls rtems_clock_tick()
   and then Clock_driver_support_at_tick() (re-arming a one-shot timer). The tick length is
   rtems_configuration_get_nanoseconds_per_tick(). */
void Clock_driver_support_install_isr(void (*isr)(void *), void *argument);
void Clock_driver_support_initialize_hardware(void);
void Clock_driver_support_at_tick(void);

/* Unmask / mask a vector at the interrupt controller (no-ops where there is none). */
void bsp_interrupt_vector_enable(rtems_vector_number vector);
void bsp_interrupt_vector_disable(rtems_vector_number vector);
/* Raises `vector` as an interrupt on this processor (software-triggered; for tests). */
void bsp_interrupt_raise(rtems_vector_number vector);

/* ---- provided by the executive, for the BSP ------------------------------------------------------- */

/* The configured tick length (the application's CONFIGURE_MICROSECONDS_PER_TICK, default 10 ms). */
uint32_t rtems_configuration_get_nanoseconds_per_tick(void);

/*
 * Interrupt entry. The BSP's low-level code runs, with interrupts disabled (and keeps them disabled until it
 * returns from the interrupt: handlers do not nest unless the BSP raises a vector from a handler), on the
 * interrupted task's stack:
 *
 *   _ISR_Enter();  ...dispatch to the vector's handler(s), e.g. _ISR_Dispatch_vector(v)...;  _ISR_Leave();
 *
 * or simply _ISR_Handler(v), which is exactly that. _ISR_Leave() performs the thread dispatch an interrupt
 * made necessary once the outermost interrupt ends; it returns when the interrupted task runs again, and
 * the BSP then returns from the interrupt (iret, or the upcall return).
 */
void _ISR_Enter(void);
void _ISR_Leave(void);
void _ISR_Dispatch_vector(rtems_vector_number vector);
void _ISR_Handler(rtems_vector_number vector);

/* Starts the executive: called by the BSP's start-up code once the C environment exists (stack, BSS
   cleared, descriptor tables loaded). Runs bsp_start(), initializes, starts Init; never returns. */
void boot_card(void) __attribute__((noreturn));

#endif /* PVRT_RTEMS_BSP_INTERFACE_H */
