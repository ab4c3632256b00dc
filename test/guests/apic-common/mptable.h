/* The Intel MultiProcessor Specification 1.4 tables: finding the floating pointer and reading the
   processor, bus, IOAPIC and interrupt-assignment entries of the base configuration table. */
#ifndef MPTABLE_H
#define MPTABLE_H
#include "runtime.h"

#define MP_MAX_CPUS 16
#define MP_MAX_IOAPICS 4

struct mp_cpu {
    uint8_t apic_id, enabled, bsp;
};

struct mp_ioapic {
    uint8_t id, version, enabled;
    uint32_t address;
};

struct mp_config {
    const uint8_t *floating;  /* the "_MP_" structure, 0 when none was found */
    const uint8_t *table;     /* the "PCMP" configuration table, 0 when absent or invalid */
    int default_config;       /* feature byte 1: one of the spec's default configurations, no table */
    uint32_t lapic_address;
    int cpu_count;            /* every processor entry, even beyond MP_MAX_CPUS */
    struct mp_cpu cpus[MP_MAX_CPUS];
    int ioapic_count;
    struct mp_ioapic ioapics[MP_MAX_IOAPICS];
    int isa_bus;              /* bus ID whose type string is "ISA", or -1 */
    int irq0_found;           /* an I/O interrupt entry for ISA IRQ 0 */
    uint8_t irq0_type, irq0_ioapic, irq0_pin;
    uint16_t irq0_flags;
};

/* Searches the EBDA's first KiB, the last KiB of base memory and 0xf0000-0xfffff, verifies both
   checksums and fills *mp. Returns whether a usable configuration table was found. */
int mp_read(struct mp_config *mp);

#endif
