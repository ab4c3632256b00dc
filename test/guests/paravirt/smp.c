/* The SMP counter: every vCPU adds to one shared counter under a spinlock built on LOCK CMPXCHG, and to a
   second one with LOCK XADD; the boot vCPU checks both totals are exact. Also vcpu_start's answers. */
#include "pv.h"

#define ROUNDS 200000

static spinlock_t lock;
static volatile uint32_t counter;   /* under the lock, with a plain read-modify-write */
static volatile uint32_t atomic_counter;
static volatile uint32_t finished;
static uint8_t stacks[MAX_VCPUS][4096] __attribute__((aligned(16)));

static void work(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        spin_lock(&lock);
        counter = counter + 1;
        spin_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
    }
}

void secondary_main(uint32_t vcpu)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(vcpu);
    if (page->vcpu_id != vcpu) write("a secondary vCPU got the wrong page\n");
    work();
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    (void)pvrt_ipi_send(1u); /* tell the boot vCPU */
    for (;;) (void)pvrt_wait_for_event();
}

int main(void)
{
    volatile struct pvrt_vcpu_shared *page = pv_register(0);
    uint32_t n = page->vcpu_count;
    uint32_t features = 0;
    (void)pvrt_feature_query(0, &features);
    write_number("vcpus ", n);
    write_number("smp feature ", (features & PVRT_FEATURE_SMP) != 0);
    write_number("start vcpu 0 ", pvrt_vcpu_start(0, (pvrt_uword_t)(uintptr_t)secondary_entry, 0, 0));
    write_number("start past the last vcpu ", pvrt_vcpu_start(n, (pvrt_uword_t)(uintptr_t)secondary_entry, 0, 0));
    if (n > 1) write_number("start with an entry outside RAM ", pvrt_vcpu_start(1, 0xfffff000u, 0, 0));
    for (uint32_t v = 1; v < n; v++) {
        pvrt_status_t s = pvrt_vcpu_start(v, (pvrt_uword_t)(uintptr_t)secondary_entry, (pvrt_uword_t)(uintptr_t)&stacks[v][4096], v);
        if (s != PVRT_OK) write_number("vcpu_start failed ", s);
    }
    if (n > 1) write_number("start vcpu 1 again ", pvrt_vcpu_start(1, (pvrt_uword_t)(uintptr_t)secondary_entry, 0, 0));
    work();
    while (finished != n - 1) pv_wait(page, 1u << PVRT_EVENT_IPI);
    write_number("counter ", counter);
    write_number("atomic counter ", atomic_counter);
    write_number("exact ", counter == n * ROUNDS && atomic_counter == n * ROUNDS);
    (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, 0);
    return 1;
}
