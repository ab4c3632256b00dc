#include "runtime.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

uint32_t boot_magic, boot_info;

static void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts: the runtime polls */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xc7); /* FIFOs on and cleared, trigger 14 */
    outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 */
}

void serial_putc(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        ;
    outb(COM1, (uint8_t)c);
}

void puts_raw(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

void exit(int code)
{
    outb(DEBUG_EXIT, (uint8_t)code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}

static int checks, failures;

void check(int ok, const char *what)
{
    checks++;
    if (!ok)
        failures++;
    printf("%s %s\n", ok ? "PASS" : "FAIL", what);
}

int finish(void)
{
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}

/* ---- descriptor tables ---- */

static uint64_t gdt[GDT_ENTRIES] ALIGNED(8);
static struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) gdtr = { sizeof gdt - 1, (uint32_t)gdt };

void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    gdt[index] = (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
                 (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

void gdt_load(void)
{
    if (!gdt[1]) {
        gdt_set(1, 0, 0xfffff, 0x9a, 0xc); /* ring-0 code, 4 GiB, 32-bit */
        gdt_set(2, 0, 0xfffff, 0x92, 0xc); /* ring-0 data */
    }
    __asm__ volatile("lgdt %0" : : "m"(gdtr));
}

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t zero, type;
    uint16_t offset_high;
};
static struct idt_gate idt[256] ALIGNED(8);
static struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) idtr = { sizeof idt - 1, (uint32_t)idt };
static trap_handler handlers[256];

extern const uint32_t trap_stubs[TRAP_STUBS];
extern char trap_stub_syscall[], trap_stub_spurious[];

static void unexpected(struct trap_frame *f)
{
    printf("UNEXPECTED TRAP %u error=%x eip=%x cs=%x\n", f->vector, f->error, f->eip, f->cs);
    exit(0x7f);
}

void trap_dispatch(struct trap_frame *f)
{
    trap_handler h = handlers[f->vector & 0xff];
    (h ? h : unexpected)(f);
}

void trap_install(int vector, trap_handler handler, int dpl)
{
    uint32_t stub = vector == 0x80   ? (uint32_t)trap_stub_syscall
                    : vector == 0xff ? (uint32_t)trap_stub_spurious
                    : vector >= 0 && vector < TRAP_STUBS ? trap_stubs[vector]
                                                         : 0;
    if (!stub) {
        printf("trap_install: no stub for vector %d\n", vector);
        exit(0x7e);
    }
    idt[vector] = (struct idt_gate){ (uint16_t)stub, 0x08, 0, (uint8_t)(0x8e | (dpl & 3) << 5), (uint16_t)(stub >> 16) };
    handlers[vector] = handler;
}

void runtime_init(void)
{
    serial_init();
    for (int v = 0; v < 32; v++)
        trap_install(v, 0, 0);
    __asm__ volatile("lidt %0" : : "m"(idtr));
}
