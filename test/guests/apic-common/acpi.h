/* The ACPI MADT ("APIC" table): the processors' local APIC IDs, the IOAPIC and the ISA interrupt
   overrides, found through the RSDP and the RSDT. */
#ifndef ACPI_H
#define ACPI_H
#include "runtime.h"

#define MADT_MAX_CPUS 16

struct madt_cpu {
    uint8_t apic_id, enabled;
};

struct madt_info {
    int cpu_count; /* every processor entry, even beyond MADT_MAX_CPUS */
    struct madt_cpu cpus[MADT_MAX_CPUS];
    int ioapic_found;
    uint8_t ioapic_id;
    uint32_t ioapic_address, ioapic_gsi_base;
    uint32_t irq0_gsi; /* ISA IRQ 0's global system interrupt: 0 unless an override says otherwise */
    int irq0_overridden;
};

/* Finds the RSDP (EBDA's first KiB, then 0xe0000-0xfffff), the RSDT and the MADT, checking every
   checksum, and fills *madt. Returns whether a valid MADT was found. */
int madt_read(struct madt_info *madt);

#endif
