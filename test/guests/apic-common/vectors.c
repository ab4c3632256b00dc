/* vector_install for the stubs in vectors.S: writes the gate straight into the IDT that sidt reports. */
#include "hw.h"

#define FIRST_VECTOR 0x30
#define LAST_VECTOR 0x5f
#define SPURIOUS_VECTOR 0xff

extern const uint32_t vector_stubs[LAST_VECTOR - FIRST_VECTOR + 1];
extern char vector_stub_spurious[];

static trap_handler vector_handlers[256];

void vector_dispatch(struct trap_frame *f)
{
    trap_handler h = vector_handlers[f->vector & 0xff];
    if (!h) {
        printf("UNEXPECTED INTERRUPT %x on apic id %u\n", f->vector, lapic_id());
        exit(0x7d);
    }
    h(f);
}

void vector_install(int vector, trap_handler handler)
{
    uint32_t stub = vector == SPURIOUS_VECTOR                       ? (uint32_t)vector_stub_spurious
                    : vector >= FIRST_VECTOR && vector <= LAST_VECTOR ? vector_stubs[vector - FIRST_VECTOR]
                                                                     : 0;
    if (!stub) {
        printf("vector_install: no stub for vector %x\n", vector);
        exit(0x7e);
    }
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    volatile uint32_t *gate = (volatile uint32_t *)(idtr.base + 8 * vector);
    vector_handlers[vector] = handler;
    gate[1] = (stub & 0xffff0000u) | 0x8e00; /* present, DPL 0, 32-bit interrupt gate */
    gate[0] = 0x08u << 16 | (stub & 0xffff);
}
