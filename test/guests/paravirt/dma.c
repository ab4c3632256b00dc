/* DMA over code: value() runs hot (decoded and translated), then a block read puts new code over it;
   once the request is done, calling value() must run the new code. */
#include "pv.h"

/* value() alone at the start of its own page; the sector read covers its first 512 bytes. */
__attribute__((noipa, section(".text.patch"), aligned(4096))) int value(void)
{
    return 1;
}

static struct pvrt_block_request request;

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    int sum = 0;
    for (int i = 0; i < 100000; i++) sum += value();
    write_number("before ", sum / 100000);
    request.sector = 0;
    request.buffer = (uint64_t)(uintptr_t)value;
    request.sector_count = 1;
    request.device = 0;
    write_number("read ", pvrt_block_read((pvrt_gpa_t)(uintptr_t)&request));
    while (__atomic_load_n(&request.done, __ATOMIC_ACQUIRE) == 0) pv_wait(page, 1u << PVRT_EVENT_BLOCK_COMPLETION);
    write_number("status ", request.status);
    write_number("after ", value());
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
