/* The local APIC and the IOAPIC on the boot CPU: the APIC base MSR, software enable, the IOAPIC routing
   the PIT's IRQ 0 (with both 8259s masked), the local APIC timer in periodic, one-shot and masked modes,
   and the task priority holding off a self-IPI. Only facts are printed, never times or counts that
   depend on speed. */
#include "hw.h"
#include "mptable.h"

#define SPURIOUS_VECTOR 0xff
#define PIT_VECTOR 0x30
#define TIMER_VECTOR 0x40 /* also the self-IPI's vector: priority class 4 */
#define PIT_TICKS 10
#define PERIODIC_TICKS 10
#define PIT_RELOAD 11932 /* 1193182 Hz / 100 */
#define SMALL_COUNT 50000
#define LARGE_COUNT 0x10000000u

static volatile uint32_t pit_ticks;
static volatile uint32_t timer_interrupts;
static volatile uint32_t timer_stop_at;   /* the handler stops the timer after this many, 0: never */
static volatile uint32_t isr_not_set_in_handler, isr_not_clear_after_eoi; /* over every vector 0x40 interrupt */
static volatile uint32_t spurious_interrupts, pic_interrupts;

static volatile uint8_t pit_pin_register; /* IOAPIC index of the PIT pin's low word, for on_pit to mask */

/* Masks its own entry after the 10th tick, so at most one more (already latched in the IRR) follows. */
static void on_pit(struct trap_frame *f)
{
    (void)f;
    if (++pit_ticks == PIT_TICKS) ioapic_write(IOAPIC_BASE, pit_pin_register, REDIRECTION_MASKED | PIT_VECTOR);
    lapic_eoi();
}

static void on_timer_vector(struct trap_frame *f)
{
    (void)f;
    timer_interrupts++;
    if (timer_stop_at && timer_interrupts >= timer_stop_at) lapic_write(LAPIC_TIMER_INITIAL, 0);
    if (!lapic_bit(LAPIC_ISR, TIMER_VECTOR)) isr_not_set_in_handler++;
    lapic_eoi();
    if (lapic_bit(LAPIC_ISR, TIMER_VECTOR)) isr_not_clear_after_eoi++;
}

/* The spurious vector gets no EOI: the local APIC sets no ISR bit for it. */
static void on_spurious(struct trap_frame *f)
{
    (void)f;
    spurious_interrupts++;
}

/* A masked 8259 can still raise IRQ 7 or 15 spuriously; these vectors make that visible. */
static void on_pic(struct trap_frame *f)
{
    pic_interrupts++;
    if (f->vector >= PIC2_VECTOR) outb(PIC2, 0x20);
    outb(PIC1, 0x20);
}

/* Lets an interrupt that is already pending in the IRR be taken, so the next test starts clean. */
static void drain(uint8_t vector)
{
    for (int i = 0; i < 100 && lapic_bit(LAPIC_IRR, vector); i++) {
        interrupts_on();
        __asm__ volatile("nop; nop");
        interrupts_off();
    }
}

static void check_cpu(void)
{
    struct cpuid_regs leaf1 = cpuid(1);
    /* Whether the TSC-deadline mode is offered is not printed: QEMU's TCG CPU lacks it, pvrt has it. */
    printf("cpuid: apic %u\n", (leaf1.edx & CPUID1_EDX_APIC) != 0);
    check((leaf1.edx & CPUID1_EDX_APIC) != 0, "CPUID.1:EDX reports a local APIC");

    uint32_t base = (uint32_t)rdmsr(MSR_APIC_BASE);
    printf("apic base msr: base 0x%x, bsp %u, enabled %u\n", base & 0xfffff000u, (base & APIC_BASE_BSP) != 0, (base & APIC_BASE_ENABLE) != 0);
    check((base & 0xfffff000u) == LAPIC_BASE && (base & APIC_BASE_BSP) && (base & APIC_BASE_ENABLE),
          "the APIC base MSR: default base, this is the BSP, globally enabled");
}

static void check_lapic(void)
{
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    check((lapic_read(LAPIC_SVR) & 0x1ff) == (SVR_ENABLE | SPURIOUS_VECTOR), "SVR reads back software-enabled, spurious vector 0xff");
    uint32_t version = lapic_read(LAPIC_VERSION);
    printf("lapic: id %u, version 0x%x, max lvt %u\n", lapic_id(), version & 0xff, (version >> 16) & 0xff);
    check((version & 0xf0) == 0x10, "the version is an integrated APIC's (0x1x)");
    check(((version >> 16) & 0xff) >= 4, "at least five LVT entries (timer, LINT0, LINT1, error, performance)");
    lapic_write(LAPIC_TPR, 0);
}

/* ISA IRQ 0 through the IOAPIC: the pin the MP table names (QEMU wires the PIT to pin 2, not 0). */
static void check_ioapic_pit(void)
{
    pic_init_masked();
    check(inb(PIC1 + 1) == 0xff && inb(PIC2 + 1) == 0xff, "both 8259s initialised and fully masked");

    uint32_t version = ioapic_read(IOAPIC_BASE, IOAPIC_REG_VERSION);
    uint32_t max_entry = (version >> 16) & 0xff;
    printf("ioapic: id %u, version 0x%x, max redirection entry %u\n", (ioapic_read(IOAPIC_BASE, IOAPIC_REG_ID) >> 24) & 0xf,
           version & 0xff, max_entry);
    check(max_entry >= 15, "the IOAPIC has at least 16 pins");

    struct mp_config mp;
    int have_table = mp_read(&mp);
    uint8_t pin = 2;
    if (have_table && mp.irq0_found) pin = mp.irq0_pin;
    printf("isa irq 0: ioapic pin %u (%s)\n", pin, have_table && mp.irq0_found ? "mp table" : "default");

    uint32_t bsp = lapic_id();
    uint8_t reg = (uint8_t)(IOAPIC_REG_REDIRECTION + 2 * pin);
    /* Fixed delivery, physical destination, active high, edge: only the vector is non-zero. */
    ioapic_write(IOAPIC_BASE, reg + 1, bsp << 24);
    ioapic_write(IOAPIC_BASE, reg, PIT_VECTOR);
    check(ioapic_read(IOAPIC_BASE, reg) == PIT_VECTOR && ioapic_read(IOAPIC_BASE, reg + 1) == bsp << 24,
          "the redirection entry reads back: vector 0x30, edge, physical, to the BSP");

    pit_ticks = 0;
    pit_pin_register = reg;
    outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
    outb(PIT_CH0, PIT_RELOAD & 0xff);
    outb(PIT_CH0, PIT_RELOAD >> 8);
    while (pit_ticks < PIT_TICKS) enable_and_halt(), interrupts_off();
    uint32_t seen = pit_ticks; /* one more may come from the IRR before the handler masked the pin */

    ioapic_write(IOAPIC_BASE, reg, REDIRECTION_MASKED | PIT_VECTOR);
    outb(PIT_CMD, 0x30); /* mode 0 with no count written: channel 0 stops */
    drain(PIT_VECTOR);
    printf("pit through the ioapic: %s ticks\n", seen >= PIT_TICKS && seen <= PIT_TICKS + 1 ? "10" : "wrong number of");
    check(seen >= PIT_TICKS && seen <= PIT_TICKS + 1, "10 PIT ticks on vector 0x30 woke the halted CPU");
    check((ioapic_read(IOAPIC_BASE, reg) & REDIRECTION_MASKED) != 0, "the entry is masked again");
}

static void check_periodic_timer(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);

    /* Periodic with a count too large to expire here: the current count only goes down. */
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, LARGE_COUNT);
    uint32_t first = lapic_read(LAPIC_TIMER_CURRENT), second = first;
    for (int i = 0; i < 1000 && second == first; i++) {
        pit_delay_us(100);
        second = lapic_read(LAPIC_TIMER_CURRENT);
    }
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    check(first <= LARGE_COUNT && second < first, "the current count decreases while the periodic timer runs");
    check(lapic_read(LAPIC_TIMER_CURRENT) == 0, "an initial count of 0 stops the timer");
    drain(TIMER_VECTOR);

    timer_interrupts = 0;
    timer_stop_at = PERIODIC_TICKS;
    lapic_write(LAPIC_TIMER_INITIAL, SMALL_COUNT);
    while (timer_interrupts < PERIODIC_TICKS) enable_and_halt(), interrupts_off();
    drain(TIMER_VECTOR);
    uint32_t seen = timer_interrupts; /* one more may have been latched before the handler stopped the timer */
    timer_stop_at = 0;
    printf("periodic timer: %s interrupts\n", seen >= PERIODIC_TICKS && seen <= PERIODIC_TICKS + 1 ? "10" : "wrong number of");
    check(seen >= PERIODIC_TICKS && seen <= PERIODIC_TICKS + 1, "the periodic timer raised 10 interrupts on vector 0x40");
    check(isr_not_set_in_handler == 0 && isr_not_clear_after_eoi == 0, "ISR bit 0x40 set inside each handler, clear after its EOI");
}

static void check_one_shot_timer(void)
{
    timer_interrupts = 0;
    lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR); /* mode bits 00: one-shot */
    lapic_write(LAPIC_TIMER_INITIAL, SMALL_COUNT);
    while (timer_interrupts < 1) enable_and_halt(), interrupts_off();
    check(lapic_read(LAPIC_TIMER_CURRENT) == 0, "one-shot: the current count is 0 after the interrupt");
    interrupts_on();
    pit_delay_ms(5); /* many times the count's length: a second interrupt would arrive */
    interrupts_off();
    printf("one-shot timer: %u interrupt\n", timer_interrupts);
    check(timer_interrupts == 1, "one-shot: exactly one interrupt");
    check(lapic_read(LAPIC_TIMER_CURRENT) == 0, "one-shot: the current count stays 0");
}

static void check_masked_timer(void)
{
    timer_interrupts = 0;
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, SMALL_COUNT);
    uint32_t current = lapic_read(LAPIC_TIMER_CURRENT);
    for (int i = 0; i < 10000 && current != 0; i++) { /* up to about a second */
        pit_delay_us(100);
        current = lapic_read(LAPIC_TIMER_CURRENT);
    }
    interrupts_on();
    pit_delay_ms(2);
    interrupts_off();
    printf("masked timer: %u interrupts\n", timer_interrupts);
    check(current == 0, "masked: the timer still counts down to 0");
    check(timer_interrupts == 0 && !lapic_bit(LAPIC_IRR, TIMER_VECTOR), "masked: no interrupt, nothing in the IRR");
    lapic_write(LAPIC_TIMER_INITIAL, 0);
}

/* A fixed self-IPI at vector 0x40 (class 4) waits in the IRR while TPR is 0x50 (class 5). */
static void check_task_priority(void)
{
    timer_interrupts = 0;
    isr_not_set_in_handler = isr_not_clear_after_eoi = 0;
    lapic_write(LAPIC_TPR, 0x50);
    lapic_send_ipi(0, ICR_SELF | ICR_FIXED | TIMER_VECTOR);
    interrupts_on();
    pit_delay_ms(1);
    interrupts_off();
    int held = timer_interrupts == 0;
    int in_irr = lapic_bit(LAPIC_IRR, TIMER_VECTOR), in_isr = lapic_bit(LAPIC_ISR, TIMER_VECTOR);
    check(held, "TPR 0x50 holds off a vector 0x40 self-IPI");
    check(in_irr && !in_isr, "the held self-IPI sits in the IRR, not the ISR");

    lapic_write(LAPIC_TPR, 0);
    while (timer_interrupts < 1) enable_and_halt(), interrupts_off();
    printf("self-ipi: held at tpr 0x50 %u, delivered at tpr 0 %u\n", held, timer_interrupts);
    check(timer_interrupts == 1, "TPR 0 lets the self-IPI in, once");
    check(isr_not_set_in_handler == 0 && isr_not_clear_after_eoi == 0, "ISR bit 0x40 set inside the handler, clear after EOI");
    check(!lapic_bit(LAPIC_IRR, TIMER_VECTOR), "the IRR bit is gone");
}

/* One interrupt when the TSC passes IA32_TSC_DEADLINE, which then reads 0. Checked only where CPUID offers
   the mode (pvrt; not QEMU's TCG CPU), and counted as one check either way so the outputs compare. */
static void check_tsc_deadline(void)
{
    int offered = (cpuid(1).ecx & CPUID1_ECX_TSC_DEADLINE) != 0, fired_once = 1;
    if (offered) {
        timer_interrupts = 0;
        lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | TIMER_VECTOR);
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + 1000000);
        while (timer_interrupts < 1) enable_and_halt(), interrupts_off();
        interrupts_on();
        pit_delay_ms(2);
        interrupts_off();
        fired_once = timer_interrupts == 1 && rdmsr(MSR_TSC_DEADLINE) == 0;
        lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
    }
    check(fired_once, "TSC-deadline mode, where offered: one interrupt, then the deadline MSR reads 0");
}

int main(void)
{
    vector_install(SPURIOUS_VECTOR, on_spurious);
    vector_install(PIT_VECTOR, on_pit);
    vector_install(TIMER_VECTOR, on_timer_vector);
    for (int v = PIC1_VECTOR; v < PIC2_VECTOR + 8; v++) trap_install(v, on_pic, 0);

    check_cpu();
    check_lapic();
    check_ioapic_pit();
    check_periodic_timer();
    check_one_shot_timer();
    check_masked_timer();
    check_task_priority();
    check_tsc_deadline();

    printf("spurious: apic %u, 8259 %u\n", spurious_interrupts, pic_interrupts);
    check(spurious_interrupts == 0 && pic_interrupts == 0, "no spurious interrupts and nothing from the masked 8259s");
    return finish();
}
