/* Reboot: counts its boots in sector 0 of drive 0 (RAM does not survive a reboot, the drive does), and
   reboots until the third boot, which powers off with the count as its exit code. The first reboot is the
   shutdown hypercall's REBOOT, the second the PC's way: the i8042's reset line (command 0xfe). */
#include "pv.h"

static uint32_t sector[128] __attribute__((aligned(16)));
static struct pvrt_block_request request;

static void transfer(volatile struct pvrt_vcpu_shared *page, int write_it)
{
    request.sector = 0;
    request.buffer = (uint64_t)(uintptr_t)sector;
    request.sector_count = 1;
    request.device = 0;
    request.status = 0;
    request.done = 0;
    pvrt_status_t s = write_it ? pvrt_block_write((pvrt_gpa_t)(uintptr_t)&request) : pvrt_block_read((pvrt_gpa_t)(uintptr_t)&request);
    if (s != PVRT_OK) (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_CRASH, 100);
    while (__atomic_load_n(&request.done, __ATOMIC_ACQUIRE) == 0) pv_wait(page, 1u << PVRT_EVENT_BLOCK_COMPLETION);
}

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    transfer(page, 0);
    uint32_t boots = sector[0] + 1;
    write_number("boot ", boots);
    sector[0] = boots;
    transfer(page, 1);
    if (boots == 2) {
        __asm__ volatile("outb %0, $0x64" : : "a"((uint8_t)0xfe));
        for (;;) __asm__ volatile("pause");
    }
    (void)pvrt_shutdown(boots < 3 ? PVRT_SHUTDOWN_REASON_REBOOT : PVRT_SHUTDOWN_REASON_POWEROFF, boots);
    return 1;
}
