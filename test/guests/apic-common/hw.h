/* Hardware helpers shared by the apic and smp guests (each directory holds its own copy): CPUID and
   MSRs, local APIC and IOAPIC registers, the 8259s, a polled PIT delay, and interrupt vectors above 47. */
#ifndef HW_H
#define HW_H
#include "runtime.h"

/* ---- CPUID and MSRs ---- */

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(0));
    return r;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_ENABLE (1u << 11)

/* ---- local APIC (xAPIC, memory-mapped at its default base) ---- */

#define LAPIC_BASE 0xfee00000u
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ISR 0x100 /* eight 32-bit words, 0x10 apart */
#define LAPIC_IRR 0x200
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6e0
#define TIMER_DIVIDE_16 0x3

#define ICR_FIXED (0u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_BUSY (1u << 12) /* delivery status: send pending */
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SELF (1u << 18) /* destination shorthand 01 */

static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }
static inline uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

/* Whether a vector's bit is set in the ISR or IRR bitmap starting at register bitmap. */
static inline int lapic_bit(uint32_t bitmap, uint8_t vector)
{
    return (lapic_read(bitmap + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

/* Sends an IPI and waits until the local APIC has dispatched it (delivery status idle). */
static inline void lapic_send_ipi(uint32_t destination_apic_id, uint32_t command)
{
    while (lapic_read(LAPIC_ICR_LOW) & ICR_BUSY) __asm__ volatile("pause");
    lapic_write(LAPIC_ICR_HIGH, destination_apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, command);
    while (lapic_read(LAPIC_ICR_LOW) & ICR_BUSY) __asm__ volatile("pause");
}

/* ---- IOAPIC: an index register and a data window ---- */

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIRECTION 0x10 /* two registers per pin: low word, then high word */
#define REDIRECTION_MASKED (1u << 16)

static inline uint32_t ioapic_read(uint32_t base, uint8_t reg)
{
    *(volatile uint32_t *)base = reg;
    return *(volatile uint32_t *)(base + 0x10);
}

static inline void ioapic_write(uint32_t base, uint8_t reg, uint32_t v)
{
    *(volatile uint32_t *)base = reg;
    *(volatile uint32_t *)(base + 0x10) = v;
}

/* ---- the 8259 pair ---- */

#define PIC1 0x20
#define PIC2 0xa0
#define PIC1_VECTOR 0x20
#define PIC2_VECTOR 0x28

/* Initialises both PICs so any interrupt they still raise lands on a recognisable vector, then masks
   every line: from here on interrupts come through the APICs. */
static inline void pic_init_masked(void)
{
    outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 follows */
    outb(PIC2, 0x11);
    outb(PIC1 + 1, PIC1_VECTOR); /* ICW2 */
    outb(PIC2 + 1, PIC2_VECTOR);
    outb(PIC1 + 1, 0x04); /* ICW3: slave on IR2 */
    outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
    outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xff);
    outb(PIC2 + 1, 0xff);
}

/* ---- PIT ---- */

#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT61 0x61

/* Busy-waits about us microseconds (at most 54 ms) on PIT channel 2 in mode 0, gated through port 0x61
   and polled: no interrupt involved, so it works with interrupts off and on any CPU. */
static inline void pit_delay_us(uint32_t us)
{
    uint32_t count = (uint32_t)((uint64_t)us * PIT_HZ / 1000000u);
    if (count < 1) count = 1;
    if (count > 0xffff) count = 0xffff;
    outb(PORT61, inb(PORT61) & 0xfc); /* gate low, speaker off */
    outb(PIT_CMD, 0xb0);              /* channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_CH2, count & 0xff);
    outb(PIT_CH2, count >> 8);
    outb(PORT61, (inb(PORT61) & 0xfc) | 0x01); /* gate high: count */
    while (!(inb(PORT61) & 0x20)) /* OUT goes high at terminal count */
        ;
}

static inline void pit_delay_ms(uint32_t ms)
{
    while (ms >= 50) {
        pit_delay_us(50000);
        ms -= 50;
    }
    if (ms) pit_delay_us(ms * 1000);
}

/* An interrupt handler at ring 0 (the runtime has stubs for vectors up to 0x5f and 0xff). Install before
   other CPUs load the IDT. */
static inline void vector_install(int vector, trap_handler handler) { trap_install(vector, handler, 0); }

static inline void enable_and_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); } /* sti's shadow covers hlt */
static inline void interrupts_off(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void interrupts_on(void) { __asm__ volatile("sti" ::: "memory"); }

#endif
