/* IPI ping-pong: vCPU 0 sends an IPI to vCPU 1, which answers with one back, ROUNDS times. Each side
   sleeps in wait_for_event between its IPIs, so every round trip is two wake-ups across worker threads. */
#include "pv.h"

#define ROUNDS 2000

static uint8_t stack1[4096] __attribute__((aligned(16)));
static volatile uint32_t pongs;

void secondary_main(uint32_t vcpu)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(vcpu);
    for (;;) {
        pv_wait(page, 1u << PVRT_EVENT_IPI);
        __atomic_fetch_add(&pongs, 1, __ATOMIC_SEQ_CST);
        (void)pvrt_ipi_send(1u << 0);
    }
}

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    write_number("ipi to a vcpu that does not exist ", pvrt_ipi_send(1u << page->vcpu_count));
    write_number("start ", pvrt_vcpu_start(1, (pvrt_uword_t)(uintptr_t)secondary_entry, (pvrt_uword_t)(uintptr_t)&stack1[4096], 1));
    uint64_t start = pv_now();
    for (uint32_t i = 1; i <= ROUNDS; i++) {
        (void)pvrt_ipi_send(1u << 1);
        while (pongs < i) pv_wait(page, 1u << PVRT_EVENT_IPI);
    }
    uint64_t elapsed = pv_now() - start;
    write_number("round trips ", pongs);
    write_number("ipi to self ", pvrt_ipi_send(1u << 0));
    write_number("self ipi pending ", (pv_take_events(page) & (1u << PVRT_EVENT_IPI)) != 0);
    write_number("ns per round trip ", (long long)(elapsed / ROUNDS));
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
