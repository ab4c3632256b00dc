/* The PIT through the PIC: channel 0 in mode 2 at 100 Hz on IRQ 0, counted by an interrupt handler while
   the CPU halts between ticks; the latch and read-back commands; channel 2 through port 0x61. */
#include "runtime.h"

#define PIC1 0x20
#define PIC2 0xa0
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT61 0x61
#define TICKS 20
#define RELOAD 11932 /* 1193182 Hz / 100 */

static volatile uint32_t ticks;
static volatile uint32_t wrong_vector;

static void tick(struct trap_frame *f)
{
    if (f->vector != 0x20) wrong_vector++;
    ticks++;
    outb(PIC1, 0x20); /* non-specific EOI */
}

static void pic_init(void)
{
    outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 */
    outb(PIC2, 0x11);
    outb(PIC1 + 1, 0x20); /* ICW2: IRQ 0-7 at vectors 0x20-0x27 */
    outb(PIC2 + 1, 0x28); /* IRQ 8-15 at 0x28-0x2f */
    outb(PIC1 + 1, 0x04); /* ICW3: slave on IR2 */
    outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
    outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xfe); /* only IRQ 0 */
    outb(PIC2 + 1, 0xff);
}

int main(void)
{
    pic_init();
    check(inb(PIC1 + 1) == 0xfe, "PIC mask reads back");
    trap_install(0x20, tick, 0);

    outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
    outb(PIT_CH0, RELOAD & 0xff);
    outb(PIT_CH0, RELOAD >> 8);
    __asm__ volatile("sti");
    while (ticks < TICKS) __asm__ volatile("hlt");
    __asm__ volatile("cli");
    uint32_t seen = ticks;
    printf("ticks %s\n", seen >= TICKS && seen <= TICKS + 1 ? "20" : "wrong");
    check(seen >= TICKS && seen <= TICKS + 1, "20 ticks of IRQ 0 woke the halted CPU");
    check(wrong_vector == 0, "every tick arrived at vector 0x20");

    outb(PIT_CMD, 0x00); /* latch channel 0 */
    uint32_t count = inb(PIT_CH0);
    count |= (uint32_t)inb(PIT_CH0) << 8;
    check(count >= 1 && count <= RELOAD, "the latched count lies within the period");

    outb(PIT_CMD, 0xe2); /* read-back: latch status of channel 0 */
    uint8_t status = inb(PIT_CH0);
    printf("channel 0 status %x\n", status & 0x3f);
    check((status & 0x3f) == 0x34, "read-back status: lobyte/hibyte, mode 2, binary");

    /* Channel 2, mode 0, gated by port 0x61 bit 0: OUT (bit 5) goes high at terminal count. */
    outb(PORT61, (inb(PORT61) & 0xfc) | 0x01);
    outb(PIT_CMD, 0xb0); /* channel 2, lobyte/hibyte, mode 0 */
    outb(PIT_CH2, 0x00);
    outb(PIT_CH2, 0x10); /* 4096 ticks, about 3.4 ms */
    int low_seen = (inb(PORT61) & 0x20) == 0;
    uint32_t spins = 0;
    while ((inb(PORT61) & 0x20) == 0 && spins < 100000000) spins++;
    check(low_seen, "channel 2 OUT low while counting");
    check((inb(PORT61) & 0x20) != 0, "channel 2 OUT high at terminal count");
    return finish();
}
