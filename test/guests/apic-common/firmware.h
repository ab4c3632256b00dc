/* Little helpers for reading firmware tables (MP, ACPI): byte sums, unaligned little-endian fields, and
   the BIOS data area. */
#ifndef FIRMWARE_H
#define FIRMWARE_H
#include "runtime.h"

static inline uint8_t byte_sum(const uint8_t *p, uint32_t n)
{
    uint8_t sum = 0;
    while (n--) sum += *p++;
    return sum;
}

static inline uint16_t read16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t read32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* A word of the BIOS data area. The address goes through an empty asm so gcc does not take a pointer
   into the first page for a null-pointer dereference. */
static inline uint16_t bios_data_word(uint32_t address)
{
    __asm__("" : "+r"(address));
    return *(volatile uint16_t *)address;
}

#endif
