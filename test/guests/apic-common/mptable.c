/* MP table search and parse (MP spec 1.4, chapter 4). */
#include "mptable.h"
#include "firmware.h"

#define ENTRY_PROCESSOR 0
#define ENTRY_BUS 1
#define ENTRY_IOAPIC 2
#define ENTRY_IO_INTERRUPT 3
#define ENTRY_LOCAL_INTERRUPT 4

/* The floating pointer: "_MP_" on a 16-byte boundary, its length in 16-byte units, bytes summing to 0. */
static const uint8_t *scan(uint32_t start, uint32_t length)
{
    for (uint32_t p = start; p + 16 <= start + length; p += 16) {
        const uint8_t *f = (const uint8_t *)p;
        if (memcmp(f, "_MP_", 4) == 0 && f[8] >= 1 && byte_sum(f, 16u * f[8]) == 0) return f;
    }
    return 0;
}

static const uint8_t *find_floating_pointer(void)
{
    uint32_t ebda = (uint32_t)bios_data_word(0x40e) << 4; /* the EBDA's segment */
    uint32_t base_kib = bios_data_word(0x413);            /* base memory in KiB */
    const uint8_t *f = 0;
    if (ebda >= 0x80000 && ebda < 0xa0000) f = scan(ebda, 1024);
    if (!f && base_kib >= 512 && base_kib <= 640) f = scan(base_kib * 1024 - 1024, 1024);
    if (!f) f = scan(0xf0000, 0x10000);
    return f;
}

static void read_entries(struct mp_config *mp, const uint8_t *entry, const uint8_t *end, uint16_t count)
{
    for (uint16_t i = 0; i < count && entry < end; i++) {
        switch (entry[0]) {
        case ENTRY_PROCESSOR:
            if (mp->cpu_count < MP_MAX_CPUS)
                mp->cpus[mp->cpu_count] = (struct mp_cpu){ entry[1], entry[3] & 1, (entry[3] >> 1) & 1 };
            mp->cpu_count++;
            entry += 20;
            break;
        case ENTRY_BUS:
            if (memcmp(entry + 2, "ISA   ", 6) == 0) mp->isa_bus = entry[1];
            entry += 8;
            break;
        case ENTRY_IOAPIC:
            if (mp->ioapic_count < MP_MAX_IOAPICS)
                mp->ioapics[mp->ioapic_count++] = (struct mp_ioapic){ entry[1], entry[2], entry[3] & 1, read32(entry + 4) };
            entry += 8;
            break;
        case ENTRY_IO_INTERRUPT:
            /* Bus entries come first (the spec orders entries by type), so isa_bus is known here. */
            if (!mp->irq0_found && mp->isa_bus >= 0 && entry[4] == mp->isa_bus && entry[5] == 0) {
                mp->irq0_found = 1;
                mp->irq0_type = entry[1];
                mp->irq0_flags = read16(entry + 2);
                mp->irq0_ioapic = entry[6];
                mp->irq0_pin = entry[7];
            }
            entry += 8;
            break;
        case ENTRY_LOCAL_INTERRUPT:
            entry += 8;
            break;
        default:
            return; /* an unknown type has an unknown length: stop */
        }
    }
}

int mp_read(struct mp_config *mp)
{
    memset(mp, 0, sizeof *mp);
    mp->isa_bus = -1;
    mp->floating = find_floating_pointer();
    if (!mp->floating) return 0;
    mp->default_config = mp->floating[11];
    uint32_t table_address = read32(mp->floating + 4);
    if (mp->default_config || !table_address) return 0;
    const uint8_t *t = (const uint8_t *)table_address;
    uint16_t length = read16(t + 4);
    if (memcmp(t, "PCMP", 4) != 0 || length < 44 || byte_sum(t, length) != 0) return 0;
    mp->table = t;
    mp->lapic_address = read32(t + 36);
    read_entries(mp, t + 44, t + length, read16(t + 34));
    return 1;
}
