/* A periodic tick on the generated i386virt BSP: the clock driver re-arms the one-shot timer from each
   tick, the upcall runs the tick handler, and the guest idles in wait_for_event between ticks. */
#include <bsp.h>
#include "pv.h"

#define TICKS 50
#define TICK_NS 1000000u /* 1 ms */

static volatile uint32_t ticks;
static uint64_t first_tick, last_tick;

static void tick(void *unused)
{
    (void)unused;
    /* The count stops at TICKS however the upcalls fall (a late tick is dropped, not run twice). */
    if (ticks < TICKS) {
        uint64_t now = i386virt_clock_nanoseconds();
        if (ticks == 0) first_tick = now;
        last_tick = now;
        ticks++;
    }
    Clock_driver_support_at_tick();
}

int main(void)
{
    bsp_start();
    i386virt_tick_nanoseconds = TICK_NS;
    Clock_driver_support_install_isr(tick, NULL);
    uint64_t start = i386virt_clock_nanoseconds();
    Clock_driver_support_initialize_hardware();
    i386_set_interrupt_level(0); /* virtual sti */
    while (ticks < TICKS) (void)pvrt_wait_for_event();
    uint32_t level = i386_disable_interrupts();
    uint64_t end = i386virt_clock_nanoseconds();

    write_number("ticks ", ticks);
    /* A late tick is dropped: the driver re-arms on its grid for the next deadline still ahead. */
    write_number("upcalls ", i386virt_boot_vcpu_page.shared.upcall_count);
    write_number("cookie says it was enabled ", (level & 0x200u) != 0); /* native EFLAGS.IF encoding */
    write_number("first tick after one period ", first_tick - start >= TICK_NS);
    write_number("ticks spaced by the period ", last_tick - first_tick >= (uint64_t)(TICKS - 1) * TICK_NS);
    write_number("elapsed at least 50 ms ", end - start >= (uint64_t)TICKS * TICK_NS);
    write_number("elapsed ns ", end - start);
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
