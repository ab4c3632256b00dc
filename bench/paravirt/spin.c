/* Scaling: every vCPU does the same CPU-bound work (WORK rounds of integer mixing in its own cache
   lines); the boot vCPU times the whole with the clock, from the start of its own work until the last
   vCPU has finished. */
#include "../../test/guests/paravirt/pv.h"

#ifndef WORK
#define WORK 10000000
#endif

static uint8_t stacks[MAX_VCPUS][4096] __attribute__((aligned(16)));
static volatile uint32_t finished;
static volatile uint32_t go;
static volatile uint32_t results[MAX_VCPUS * 16]; /* one 64-byte line per vCPU */

static void work(uint32_t vcpu)
{
    uint32_t x = vcpu + 1, y = 0x9e3779b9u;
    for (int i = 0; i < WORK; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        y += x + (uint32_t)i;
    }
    results[vcpu * 16] = x ^ y;
}

void secondary_main(uint32_t vcpu)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(vcpu);
    while (!go) (void)pvrt_yield();
    work(vcpu);
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    (void)pvrt_ipi_send(1u);
    for (;;) (void)pv_wait(page, ~0u);
}

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    uint32_t n = page->vcpu_count;
    for (uint32_t v = 1; v < n; v++) (void)pvrt_vcpu_start(v, (pvrt_uword_t)(uintptr_t)secondary_entry, (pvrt_uword_t)(uintptr_t)&stacks[v][4096], v);
    uint64_t start = pv_now();
    go = 1;
    work(0);
    while (finished != n - 1) pv_wait(page, 1u << PVRT_EVENT_IPI);
    uint64_t elapsed = pv_now() - start;
    write_number("vcpus ", n);
    write_number("elapsed ns ", (long long)elapsed);
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
