/* Idle: every vCPU but the boot one waits for events that never come; the boot vCPU arms its one-shot
   timer IDLE_NS ahead and waits for it. The host CPU the VM uses meanwhile should be near zero. */
#include "pv.h"

#ifndef IDLE_NS
#define IDLE_NS 2000000000ull /* 2 s of guest time */
#endif

/* With POLL, waiting spins on the shared page instead of sleeping in wait_for_event: the peer that shows
   what wait_for_event saves. */
#ifdef POLL
static inline uint32_t idle_wait(volatile struct pvrt_vcpu_shared *page, uint32_t wanted, uint64_t deadline)
{
    uint32_t got = 0;
    while ((got & wanted) == 0) {
        if (deadline != 0 && pv_now() >= deadline) got |= 1u << PVRT_EVENT_TIMER;
        got |= pv_take_events(page);
    }
    return got;
}
#else
#define idle_wait(page, wanted, deadline) pv_wait(page, wanted)
#endif

static uint8_t stacks[MAX_VCPUS][1024] __attribute__((aligned(16)));
static volatile uint32_t started;

void secondary_main(uint32_t vcpu)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(vcpu);
    __atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
    (void)pvrt_ipi_send(1u);
    for (;;) (void)idle_wait(page, ~0u, 0);
}

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    uint32_t n = page->vcpu_count;
    for (uint32_t v = 1; v < n; v++) (void)pvrt_vcpu_start(v, (pvrt_uword_t)(uintptr_t)secondary_entry, (pvrt_uword_t)(uintptr_t)&stacks[v][1024], v);
    while (started != n - 1) pv_wait(page, 1u << PVRT_EVENT_IPI);
    write("idle\n");
    uint64_t start = pv_now();
    (void)pvrt_timer_set(start + IDLE_NS);
    uint32_t events = idle_wait(page, 1u << PVRT_EVENT_TIMER, start + IDLE_NS);
    uint64_t elapsed = pv_now() - start;
    write_number("vcpus ", n);
    write_number("woken by the timer ", (events & (1u << PVRT_EVENT_TIMER)) != 0); /* a late IPI from a secondary may come too */
    write_number("slept the whole time ", elapsed >= IDLE_NS);
    write_number("deadline cleared ", page->timer_deadline == 0);
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
