/* The block device: describe drive 0, write a pattern to sectors 0..7, read it back into another buffer,
   compare checksums, read the sectors the host prepared, and get the right status for each bad request. */
#include "pv.h"

#define SECTORS 8

static uint8_t out[SECTORS * 512] __attribute__((aligned(16)));
static uint8_t in[SECTORS * 512] __attribute__((aligned(16)));
static struct pvrt_block_request request;
static struct pvrt_block_info info;
static volatile struct pvrt_vcpu_shared *page;

static uint32_t checksum(const uint8_t *p, uint32_t n)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) sum = sum * 31u + p[i];
    return sum;
}

/* Submits one request and sleeps until it completes; returns the submit status or the final one. */
static int32_t transfer(int write_it, uint32_t device, uint64_t sector, uint32_t count, void *buffer)
{
    request.id = sector;
    request.sector = sector;
    request.buffer = (uint64_t)(uintptr_t)buffer;
    request.sector_count = count;
    request.device = device;
    request.status = 0;
    request.done = 0;
    pvrt_status_t s = write_it ? pvrt_block_write((pvrt_gpa_t)(uintptr_t)&request) : pvrt_block_read((pvrt_gpa_t)(uintptr_t)&request);
    if (s != PVRT_OK) return s;
    while (__atomic_load_n(&request.done, __ATOMIC_ACQUIRE) == 0) pv_wait(page, 1u << PVRT_EVENT_BLOCK_COMPLETION);
    return request.status;
}

int main(void)
{
    page = pv_register(0);
    uint32_t features = 0;
    (void)pvrt_feature_query(0, &features);
    write_number("block feature ", (features & PVRT_FEATURE_BLOCK) != 0);
    write_number("info status ", pvrt_block_info(0, (pvrt_gpa_t)(uintptr_t)&info));
    write_number("sectors ", (long long)info.sector_count);
    write_number("sector size ", info.sector_size);
    write_number("read only ", (info.flags & PVRT_BLOCK_READ_ONLY) != 0);
    write_number("info for drive 1 ", pvrt_block_info(1, (pvrt_gpa_t)(uintptr_t)&info));

    /* What the host put in sectors 8..15 before boot. */
    write_number("read host sectors ", transfer(0, 0, 8, SECTORS, in));
    write_number("host sectors checksum ", checksum(in, sizeof in));

    for (uint32_t i = 0; i < sizeof out; i++) out[i] = (uint8_t)(i * 7 + i / 512);
    write_number("write ", transfer(1, 0, 0, SECTORS, out));
    write_number("read back ", transfer(0, 0, 0, SECTORS, in));
    write_number("checksums match ", checksum(in, sizeof in) == checksum(out, sizeof out));
    write_number("written checksum ", checksum(out, sizeof out));

    write_number("no such drive ", transfer(0, 1, 0, 1, in));
    write_number("past the end ", transfer(0, 0, info.sector_count - 1, 2, in));
    write_number("zero sectors ", transfer(0, 0, 0, 0, in));
    write_number("too many sectors ", transfer(0, 0, 0, info.max_sectors + 1, in));
    write_number("buffer outside RAM ", transfer(0, 0, 0, 1, (void *)0xfff00000u));
    write_number("descriptor outside RAM ", pvrt_block_read(0xfffffff0u));
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
