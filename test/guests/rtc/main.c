/* The RTC and CMOS: the memory-size fields QEMU fills, status registers, a valid BCD date, and the
   periodic interrupt at 1024 Hz on IRQ 8 through the slave PIC, counted while the CPU halts. */
#include "runtime.h"

#define PIC1 0x20
#define PIC2 0xa0

static uint8_t cmos(uint8_t index)
{
    outb(0x70, index | 0x80); /* NMI stays disabled */
    return inb(0x71);
}

static void cmos_write(uint8_t index, uint8_t value)
{
    outb(0x70, index | 0x80);
    outb(0x71, value);
}

static volatile uint32_t periodic, flags_wrong;

static void rtc_irq(struct trap_frame *f)
{
    (void)f;
    uint8_t c = cmos(0x0c); /* reading C acknowledges */
    if ((c & 0xc0) != 0xc0) flags_wrong++; /* IRQF and PF */
    periodic++;
    outb(PIC2, 0x20);
    outb(PIC1, 0x20);
}

static int bcd_ok(uint8_t v, int max)
{
    return (v & 0x0f) <= 9 && (v >> 4) <= 9 && ((v >> 4) * 10 + (v & 0x0f)) <= max;
}

int main(void)
{
    printf("extended memory %u KiB\n", cmos(0x30) | cmos(0x31) << 8);
    printf("memory above 16 MiB %u x 64 KiB\n", cmos(0x34) | cmos(0x35) << 8);
    printf("register B %x, D %x\n", cmos(0x0b), cmos(0x0d));
    check(bcd_ok(cmos(0x00), 59) && bcd_ok(cmos(0x02), 59) && bcd_ok(cmos(0x04), 23), "time in BCD");
    check(bcd_ok(cmos(0x07), 31) && bcd_ok(cmos(0x08), 12) && bcd_ok(cmos(0x09), 99), "date in BCD");

    /* The seconds advance within about a second. (UIP's 244 us window is checked by the device's unit
       tests: a poll loop here could miss it on a loaded host.) */
    uint32_t spins = 0;
    uint8_t before = cmos(0x00);
    while (cmos(0x00) == before && spins < 200000000) spins++;
    check(cmos(0x00) != before, "the seconds advance");

    outb(PIC1, 0x11); outb(PIC2, 0x11);
    outb(PIC1 + 1, 0x20); outb(PIC2 + 1, 0x28);
    outb(PIC1 + 1, 0x04); outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01); outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xfb); /* only the cascade */
    outb(PIC2 + 1, 0xfe); /* only IRQ 8 */
    trap_install(0x28, rtc_irq, 0);

    cmos_write(0x0a, (cmos(0x0a) & 0xf0) | 0x06); /* 1024 Hz */
    (void)cmos(0x0c);
    cmos_write(0x0b, cmos(0x0b) | 0x40); /* PIE */
    __asm__ volatile("sti");
    while (periodic < 64) __asm__ volatile("hlt");
    __asm__ volatile("cli");
    cmos_write(0x0b, cmos(0x0b) & ~0x40);
    printf("periodic interrupts %s\n", periodic >= 64 ? "64" : "too few");
    check(flags_wrong == 0, "register C showed IRQF and PF in every interrupt");
    return finish();
}
