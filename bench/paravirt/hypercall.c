/* Hypercall round trip: LOOPS iterations of three loops, timed with the TSC (which counts guest
   nanoseconds under pvrt: the pvclock scale is 1): an empty call, a no-op hypercall (interface_version),
   and a port write to an unassigned port (0x80), the trap full emulation would take instead. */
#include "../../test/guests/paravirt/pv.h"

#define LOOPS 200000

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

__attribute__((noipa)) static void empty(void)
{
}

int main(void)
{
    uint32_t version;
    uint64_t t0 = rdtsc();
    for (int i = 0; i < LOOPS; i++) empty();
    uint64_t t1 = rdtsc();
    for (int i = 0; i < LOOPS; i++) (void)pvrt_interface_version(&version);
    uint64_t t2 = rdtsc();
    for (int i = 0; i < LOOPS; i++) __asm__ volatile("outb %%al, $0x80" : : "a"(0));
    uint64_t t3 = rdtsc();
    write_number("loops ", LOOPS);
    write_number("empty ns ", (long long)(t1 - t0));
    write_number("hypercall ns ", (long long)(t2 - t1));
    write_number("port ns ", (long long)(t3 - t2));
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
