/* Wake-up latency: SAMPLES times, arm the one-shot timer PERIOD_NS ahead and sleep in wait_for_event;
   the upcall entry stamps the TSC (guest nanoseconds under pvrt) the moment it runs. The latency is the
   stamp minus the deadline; the guest sorts them and prints p50, p99 and the maximum. */
#include "../../test/guests/paravirt/pv.h"

#define SAMPLES 1000
#define PERIOD_NS 200000ull /* 200 us */

volatile uint32_t stamp_lo, stamp_hi;
static uint32_t latency[SAMPLES];

/* The upcall entry: stamp the TSC, then return with the mask set (the loop takes the events itself). */
__asm__(".globl upcall_stamp\n"
        "upcall_stamp:\n"
        "  pushl %eax\n"
        "  pushl %edx\n"
        "  rdtsc\n"
        "  movl %eax, stamp_lo\n"
        "  movl %edx, stamp_hi\n"
        "  popl %edx\n"
        "  popl %eax\n"
        "  iret\n");
extern void upcall_stamp(void);

int main(void)
{
    (void)pvrt_shared_page_register((pvrt_gpa_t)(uintptr_t)&pv_pages[0], (pvrt_uword_t)(uintptr_t)upcall_stamp);
    volatile struct pvrt_vcpu_shared *page = &pv_pages[0].shared;
    for (int i = 0; i < SAMPLES; i++) {
        uint64_t deadline = pv_now() + PERIOD_NS;
        (void)pvrt_timer_set(deadline);
        (void)pv_wait(page, 1u << PVRT_EVENT_TIMER);
        uint64_t stamp = ((uint64_t)stamp_hi << 32) | stamp_lo;
        latency[i] = (uint32_t)(stamp - deadline);
    }
    /* Insertion sort: 1000 samples. */
    for (int i = 1; i < SAMPLES; i++) {
        uint32_t v = latency[i];
        int j = i - 1;
        while (j >= 0 && latency[j] > v) {
            latency[j + 1] = latency[j];
            j--;
        }
        latency[j + 1] = v;
    }
    write_number("samples ", SAMPLES);
    write_number("p50 ns ", latency[SAMPLES / 2]);
    write_number("p99 ns ", latency[SAMPLES * 99 / 100]);
    write_number("max ns ", latency[SAMPLES - 1]);
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
