/* Cross-modifying code: the boot vCPU spins calling value(), which returns 1, while the host (one vCPU)
   or vCPU 1 (two vCPUs) rewrites value() to return 2. The boot vCPU must notice within a bounded time,
   which it can only do if its decoded and translated copy of value() is thrown away. */
#include "pv.h"

/* value() alone in its own page, so nothing else writes there. */
__attribute__((noipa, section(".text.patch"), aligned(4096))) int value(void)
{
    return 1;
}

static uint8_t stack1[4096] __attribute__((aligned(16)));
static volatile uint32_t go;

void secondary_main(uint32_t vcpu)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(vcpu);
    while (!go) (void)pvrt_yield();
    /* mov $2, %eax; ret */
    static const uint8_t code[] = {0xb8, 0x02, 0x00, 0x00, 0x00, 0xc3};
    volatile uint8_t *target = (volatile uint8_t *)(uintptr_t)value;
    for (unsigned i = 0; i < sizeof code; i++) target[i] = code[i];
    for (;;) (void)pv_wait(page, ~0u);
}

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    if (page->vcpu_count > 1) (void)pvrt_vcpu_start(1, (pvrt_uword_t)(uintptr_t)secondary_entry, (pvrt_uword_t)(uintptr_t)&stack1[4096], 1);
    write_number("value ", value());
    write_number("patch at ", (long long)(uintptr_t)value);
    go = 1;
    while (value() == 1) {
    }
    write_number("value ", value());
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
