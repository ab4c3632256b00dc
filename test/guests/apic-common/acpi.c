/* RSDP -> RSDT -> MADT (ACPI 1.0 structures, which QEMU's firmware provides). */
#include "acpi.h"
#include "firmware.h"

#define MADT_LOCAL_APIC 0
#define MADT_IOAPIC 1
#define MADT_INTERRUPT_OVERRIDE 2

/* "RSD PTR " on a 16-byte boundary; the first 20 bytes (the ACPI 1.0 part) sum to 0. */
static const uint8_t *scan_rsdp(uint32_t start, uint32_t length)
{
    for (uint32_t p = start; p + 20 <= start + length; p += 16) {
        const uint8_t *r = (const uint8_t *)p;
        if (memcmp(r, "RSD PTR ", 8) == 0 && byte_sum(r, 20) == 0) return r;
    }
    return 0;
}

/* A system description table with the given signature and a valid checksum, or 0. */
static const uint8_t *valid_table(uint32_t address, const char *signature)
{
    const uint8_t *t = (const uint8_t *)address;
    if (!address || memcmp(t, signature, 4) != 0) return 0;
    uint32_t length = read32(t + 4);
    return length >= 36 && byte_sum(t, length) == 0 ? t : 0;
}

int madt_read(struct madt_info *madt)
{
    memset(madt, 0, sizeof *madt);
    uint32_t ebda = (uint32_t)bios_data_word(0x40e) << 4;
    const uint8_t *rsdp = ebda >= 0x80000 && ebda < 0xa0000 ? scan_rsdp(ebda, 1024) : 0;
    if (!rsdp) rsdp = scan_rsdp(0xe0000, 0x20000);
    if (!rsdp) return 0;
    const uint8_t *rsdt = valid_table(read32(rsdp + 16), "RSDT");
    if (!rsdt) return 0;

    const uint8_t *apic = 0;
    uint32_t rsdt_length = read32(rsdt + 4);
    for (uint32_t i = 36; i + 4 <= rsdt_length && !apic; i += 4) apic = valid_table(read32(rsdt + i), "APIC");
    if (!apic) return 0;

    const uint8_t *end = apic + read32(apic + 4);
    for (const uint8_t *e = apic + 44; e + 2 <= end && e[1] >= 2; e += e[1]) {
        switch (e[0]) {
        case MADT_LOCAL_APIC:
            if (madt->cpu_count < MADT_MAX_CPUS) madt->cpus[madt->cpu_count] = (struct madt_cpu){ e[3], read32(e + 4) & 1 };
            madt->cpu_count++;
            break;
        case MADT_IOAPIC:
            if (!madt->ioapic_found) {
                madt->ioapic_found = 1;
                madt->ioapic_id = e[2];
                madt->ioapic_address = read32(e + 4);
                madt->ioapic_gsi_base = read32(e + 8);
            }
            break;
        case MADT_INTERRUPT_OVERRIDE:
            if (e[2] == 0 && e[3] == 0) { /* bus 0 (ISA), source IRQ 0 */
                madt->irq0_overridden = 1;
                madt->irq0_gsi = read32(e + 4);
            }
            break;
        }
    }
    return 1;
}
