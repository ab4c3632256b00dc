/* What the paravirtual test guests share: console output, per-vCPU shared pages, taking events, and a
   spinlock on LOCK CMPXCHG. Header-only so each guest is one C file plus guest-bsp/i386virt/start.S. */
#ifndef PV_H
#define PV_H

#include <pvrt/hypercall.h>
#include <pvrt/shared.h>

#define MAX_VCPUS 32

static inline void write(const char *s)
{
    pvrt_uword_t n = 0;
    while (s[n] != 0) n++;
    (void)pvrt_console_write((pvrt_gpa_t)(uintptr_t)s, n, NULL);
}

static inline void write_number(const char *label, long long v)
{
    char buf[24];
    int i = 23;
    int negative = v < 0;
    unsigned long long u = negative ? (unsigned long long)-v : (unsigned long long)v;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (negative) buf[--i] = '-';
    write(label);
    write(&buf[i]);
    write("\n");
}

/* One shared page per vCPU (unused by guests that only talk). */
static struct {
    struct pvrt_vcpu_shared shared;
    uint8_t rest[4096 - sizeof(struct pvrt_vcpu_shared)];
} pv_pages[MAX_VCPUS] __attribute__((aligned(4096), unused));

/* A hypercall by number alone, for numbers the generated header has no wrapper for. */
static inline pvrt_status_t raw_hypercall(unsigned long number)
{
    register unsigned long eax __asm__("eax") = number;
    __asm__ volatile("vmcall" : "+r"(eax) : : "memory", "cc");
    return (pvrt_status_t)(long)eax;
}

/* guest-bsp/i386virt/start.S: an upcall entry that returns at once (iret). The hypervisor has set upcall_mask on the way
   in, so events stay pending in the page for the guest to take: a polling guest with no handler. */
extern void upcall_return(void);
/* guest-bsp/i386virt/start.S: where secondary vCPUs enter; it calls secondary_main(argument) on the given stack. */
extern void secondary_entry(void);

static inline volatile struct pvrt_vcpu_shared *pv_register(uint32_t vcpu)
{
    (void)pvrt_shared_page_register((pvrt_gpa_t)(uintptr_t)&pv_pages[vcpu], (pvrt_uword_t)(uintptr_t)upcall_return);
    return &pv_pages[vcpu].shared;
}

/* Takes the pending events (the bitmap) of a vCPU's page. */
static inline uint32_t pv_take_events(volatile struct pvrt_vcpu_shared *page)
{
    page->upcall_pending = 0;
    return __atomic_exchange_n(&page->events_pending, 0, __ATOMIC_SEQ_CST);
}

/* Sleeps until one of `wanted` events is pending, and takes it (with the others that came). */
static inline uint32_t pv_wait(volatile struct pvrt_vcpu_shared *page, uint32_t wanted)
{
    uint32_t got = 0;
    while ((got & wanted) == 0) {
        (void)pvrt_wait_for_event();
        got |= pv_take_events(page);
    }
    return got;
}

static inline uint64_t pv_now(void)
{
    uint64_t now = 0;
    (void)pvrt_clock_read(&now);
    return now;
}

typedef struct {
    volatile uint32_t locked;
} spinlock_t;

static inline void spin_lock(spinlock_t *lock)
{
    /* gcc emits LOCK CMPXCHG for this compare-and-swap. */
    uint32_t expected;
    do {
        expected = 0;
    } while (!__atomic_compare_exchange_n(&lock->locked, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
}

static inline void spin_unlock(spinlock_t *lock)
{
    __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#endif
