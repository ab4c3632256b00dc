/* Multiprocessor start-up the way a 1990s kernel does it: the MP table (and the ACPI MADT) name the CPUs,
   the BSP wakes each AP in turn with INIT-SIPI-SIPI into a real-mode trampoline, every CPU meets at a
   barrier, then the BSP and each AP bounce fixed IPIs between their local APICs. The BSP starts one AP
   at a time and waits for it, so the output's order never depends on timing. */
#include "acpi.h"
#include "hw.h"
#include "mptable.h"

#define MAX_CPUS 16
#define TRAMPOLINE_BASE 0x8000
#define SIPI_VECTOR (TRAMPOLINE_BASE >> 12)
#define AP_STACK_SIZE 4096
#define ROUND_TRIPS 100
#define SPURIOUS_VECTOR 0xff
#define WATCHDOG_VECTOR 0x4f /* the BSP's local APIC timer, every 10 ms: bounds every halt */
#define PING_VECTOR 0x50     /* BSP -> AP */
#define PONG_VECTOR 0x51     /* AP -> BSP */
#define ANNOUNCE_TIMEOUT_MS 1000
#define BARRIER_TIMEOUT_MS 1000
#define PONG_TIMEOUT_TICKS 100 /* watchdog ticks: a second */

extern char trampoline_start[], trampoline_end[];

/* Read by trampoline.S. */
uint32_t ap_stack_top;
struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) shared_idtr;

static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] ALIGNED(16);

static uint32_t bsp_apic_id;
static volatile int ap_number;            /* which AP is starting: 1, 2, ... */
static volatile int ap_announced;         /* set by the AP to its number once it has printed */
static volatile uint32_t ap_apic_ids[MAX_CPUS];
static volatile uint32_t barrier_arrived;
static volatile uint32_t barrier_released;
static volatile uint32_t pings_received[256]; /* by local APIC ID */
static volatile uint32_t pongs_received;
static volatile uint32_t watchdog_ticks;

static uint32_t atomic_fetch_add(volatile uint32_t *p, uint32_t v)
{
    __asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
    return v;
}

static void on_spurious(struct trap_frame *f) { (void)f; } /* no EOI for the spurious vector */

static void on_watchdog(struct trap_frame *f)
{
    (void)f;
    watchdog_ticks++;
    lapic_eoi();
}

/* On an AP: count the ping and answer it. */
static void on_ping(struct trap_frame *f)
{
    (void)f;
    pings_received[lapic_id()]++;
    lapic_send_ipi(bsp_apic_id, ICR_FIXED | PONG_VECTOR);
    lapic_eoi();
}

static void on_pong(struct trap_frame *f)
{
    (void)f;
    pongs_received++;
    lapic_eoi();
}

static void barrier_wait_for_release(void)
{
    while (!barrier_released) __asm__ volatile("pause");
}

/* An AP's C entry, on its own stack, with the runtime's GDT and the BSP's IDT (trampoline.S). */
void ap_main(void) NORETURN;
void ap_main(void)
{
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    uint32_t id = lapic_id();
    int number = ap_number;
    printf("ap %d: apic id %u\n", number, id);
    ap_apic_ids[number] = id;
    __atomic_store_n(&ap_announced, number, __ATOMIC_RELEASE);

    atomic_fetch_add(&barrier_arrived, 1);
    barrier_wait_for_release();

    /* Answer pings from on_ping until the BSP is done with this AP; then halt for good. */
    interrupts_off();
    while (pings_received[id] < ROUND_TRIPS) enable_and_halt(), interrupts_off();
    for (;;) __asm__ volatile("cli; hlt");
}

/* ---- the tables ---- */

struct cpu_list {
    int count;
    uint8_t apic_ids[MAX_CPUS];
};

static void read_mp_table(struct mp_config *mp)
{
    int found = mp_read(mp);
    check(found, "MP floating pointer and configuration table found, checksums valid");
    if (!found) return;
    printf("mp table: %d processor entries\n", mp->cpu_count);
    int bsp_entries = 0, bsp_is_us = 0;
    for (int i = 0; i < mp->cpu_count && i < MP_MAX_CPUS; i++) {
        const struct mp_cpu *c = &mp->cpus[i];
        printf("mp cpu: apic id %u, enabled %u, bsp %u\n", c->apic_id, c->enabled, c->bsp);
        bsp_entries += c->bsp;
        bsp_is_us |= c->bsp && c->apic_id == bsp_apic_id;
    }
    check(bsp_entries == 1 && bsp_is_us, "one processor entry is the BSP, with this CPU's APIC ID");
    for (int i = 0; i < mp->ioapic_count; i++)
        printf("mp ioapic: id %u, address 0x%x\n", mp->ioapics[i].id, mp->ioapics[i].address);
    check(mp->ioapic_count >= 1 && mp->ioapics[0].address == IOAPIC_BASE, "an IOAPIC entry at 0xfec00000");
    if (mp->irq0_found) printf("mp isa irq 0: ioapic %u pin %u\n", mp->irq0_ioapic, mp->irq0_pin);
    check(mp->irq0_found, "an interrupt entry for ISA IRQ 0");
}

static void read_madt(struct madt_info *madt)
{
    int found = madt_read(madt);
    check(found, "ACPI RSDP, RSDT and MADT found, checksums valid");
    if (!found) return;
    printf("madt: %d processors\n", madt->cpu_count);
    for (int i = 0; i < madt->cpu_count && i < MADT_MAX_CPUS; i++)
        printf("madt cpu: apic id %u, enabled %u, bsp %u\n", madt->cpus[i].apic_id, madt->cpus[i].enabled,
               madt->cpus[i].apic_id == bsp_apic_id);
    if (madt->ioapic_found)
        printf("madt ioapic: id %u, address 0x%x, gsi base %u\n", madt->ioapic_id, madt->ioapic_address, madt->ioapic_gsi_base);
    printf("madt isa irq 0: gsi %u\n", madt->irq0_overridden ? madt->irq0_gsi : 0);
}

/* The CPUs to start. The MP table comes first, but QEMU's firmware lists only the first logical CPU of
   each package there (QEMU's -smp N is one package of N cores), so when the MADT names more enabled
   CPUs its list is the one to use. */
static void choose_cpus(const struct mp_config *mp, const struct madt_info *madt, struct cpu_list *cpus)
{
    struct cpu_list from_mp = { 0, { 0 } }, from_madt = { 0, { 0 } };
    for (int i = 0; i < mp->cpu_count && i < MP_MAX_CPUS; i++)
        if (mp->cpus[i].enabled) from_mp.apic_ids[from_mp.count++] = mp->cpus[i].apic_id;
    for (int i = 0; i < madt->cpu_count && i < MADT_MAX_CPUS; i++)
        if (madt->cpus[i].enabled) from_madt.apic_ids[from_madt.count++] = madt->cpus[i].apic_id;

    int mp_in_madt = 1;
    for (int i = 0; i < from_mp.count; i++) {
        int seen = 0;
        for (int j = 0; j < from_madt.count; j++) seen |= from_madt.apic_ids[j] == from_mp.apic_ids[i];
        mp_in_madt &= seen;
    }
    if (from_madt.count) check(mp_in_madt, "every enabled MP processor is in the MADT");

    int use_madt = from_madt.count > from_mp.count;
    *cpus = use_madt ? from_madt : from_mp;
    if (cpus->count == 0) cpus->apic_ids[cpus->count++] = (uint8_t)bsp_apic_id; /* no tables: just us */
    printf("cpus: %d (from the %s)\n", cpus->count, use_madt ? "madt" : "mp table");
}

/* ---- starting the APs ---- */

/* Calibrates the local APIC timer against 10 ms of the PIT and starts it periodic at about 100 Hz, to
   wake the BSP's halts when an answer never comes. Nothing about it is printed. */
static void start_watchdog(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | WATCHDOG_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
    pit_delay_ms(10);
    uint32_t per_10ms = 0xffffffffu - lapic_read(LAPIC_TIMER_CURRENT);
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | WATCHDOG_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, per_10ms ? per_10ms : 1000000);
}

static int wait_for_announcement(int number)
{
    for (int ms = 0; ms < ANNOUNCE_TIMEOUT_MS; ms++) {
        if (__atomic_load_n(&ap_announced, __ATOMIC_ACQUIRE) == number) return 1;
        pit_delay_us(1000);
    }
    return ap_announced == number;
}

/* INIT (assert, then deassert), 10 ms, startup IPI, 200 us, a second startup IPI: the MP spec's sequence. */
static int start_ap(int number, uint8_t apic_id)
{
    ap_number = number;
    ap_stack_top = (uint32_t)&ap_stacks[number][AP_STACK_SIZE];
    lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL | ICR_ASSERT);
    lapic_send_ipi(apic_id, ICR_INIT | ICR_LEVEL);
    pit_delay_ms(10);
    lapic_send_ipi(apic_id, ICR_STARTUP | SIPI_VECTOR);
    pit_delay_us(200);
    lapic_send_ipi(apic_id, ICR_STARTUP | SIPI_VECTOR);
    if (wait_for_announcement(number)) return 1;
    printf("ap %d: apic id %u did not announce itself\n", number, apic_id);
    return 0;
}

static int start_aps(const struct cpu_list *cpus)
{
    memcpy((void *)TRAMPOLINE_BASE, trampoline_start, (size_t)(trampoline_end - trampoline_start));
    int started = 0, number = 0, ids_match = 1;
    for (int i = 0; i < cpus->count; i++) {
        if (cpus->apic_ids[i] == bsp_apic_id) continue;
        if (++number >= MAX_CPUS) break;
        if (start_ap(number, cpus->apic_ids[i])) {
            started++;
            ids_match &= ap_apic_ids[number] == cpus->apic_ids[i];
        }
    }
    check(started == cpus->count - 1, "every AP started and announced itself");
    check(ids_match, "each AP's local APIC ID is the one the table gave it");
    return started;
}

static void barrier(int cpu_count)
{
    atomic_fetch_add(&barrier_arrived, 1);
    for (int ms = 0; ms < BARRIER_TIMEOUT_MS && barrier_arrived < (uint32_t)cpu_count; ms++) pit_delay_us(1000);
    uint32_t arrived = barrier_arrived;
    printf("barrier: %u cpus joined\n", arrived);
    check(arrived == (uint32_t)cpu_count, "every CPU reached the barrier");
    barrier_released = 1;
}

/* ---- IPIs ---- */

/* ROUND_TRIPS pings to one AP, each answered before the next goes out. The flag is tested with
   interrupts off and sti;hlt waits, so a pong landing between the test and the hlt still wakes it. */
static int ping_pong(uint8_t apic_id)
{
    uint32_t answered = 0;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        interrupts_off();
        uint32_t before = pongs_received;
        uint32_t deadline = watchdog_ticks + PONG_TIMEOUT_TICKS;
        lapic_send_ipi(apic_id, ICR_FIXED | PING_VECTOR);
        while (pongs_received == before && watchdog_ticks < deadline) enable_and_halt(), interrupts_off();
        if (pongs_received == before) break;
        answered++;
    }
    interrupts_on();
    printf("ipi apic %u: %u round trips\n", apic_id, answered);
    return answered == ROUND_TRIPS && pings_received[apic_id] == ROUND_TRIPS;
}

int main(void)
{
    pic_init_masked();
    bsp_apic_id = lapic_id();
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    lapic_write(LAPIC_TPR, 0);
    vector_install(SPURIOUS_VECTOR, on_spurious);
    vector_install(WATCHDOG_VECTOR, on_watchdog);
    vector_install(PING_VECTOR, on_ping);
    vector_install(PONG_VECTOR, on_pong);
    __asm__ volatile("sidt %0" : "=m"(shared_idtr));

    struct mp_config mp;
    struct madt_info madt;
    struct cpu_list cpus;
    read_mp_table(&mp);
    read_madt(&madt);
    choose_cpus(&mp, &madt, &cpus);

    start_watchdog();
    start_aps(&cpus);
    barrier(cpus.count);

    int all_answered = 1;
    for (int i = 0; i < cpus.count; i++)
        if (cpus.apic_ids[i] != bsp_apic_id) all_answered &= ping_pong(cpus.apic_ids[i]);
    check(all_answered, "every AP answered every IPI, and received exactly 100");
    interrupts_off();
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    return finish();
}
