/* COM1 interrupt-driven, in loopback: bytes written to THR come back to RBR and raise received-data
   interrupts on IRQ 4; the transmitter-empty interrupt too. Output resumes when loopback is off. */
#include "runtime.h"

#define PIC1 0x20
#define PIC2 0xa0
#define COM1 0x3f8
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5

static volatile char received[16];
static volatile uint32_t count;
static volatile uint32_t thre_interrupts, rda_interrupts, other;

static void com1_irq(struct trap_frame *f)
{
    (void)f;
    for (;;) {
        uint8_t iir = inb(COM1 + IIR);
        if (iir & 1) break; /* nothing pending */
        switch (iir & 0x0e) {
        case 0x04: /* received data */
        case 0x0c: /* character timeout */
            rda_interrupts++;
            while (inb(COM1 + LSR) & 1) {
                uint8_t c = inb(COM1);
                if (count < sizeof received - 1) received[count++] = (char)c;
            }
            break;
        case 0x02: /* THR empty: reading IIR cleared it */
            thre_interrupts++;
            break;
        default:
            other++;
            (void)inb(COM1 + LSR);
            (void)inb(COM1 + 6);
        }
    }
    outb(PIC1, 0x20);
}

int main(void)
{
    outb(PIC1, 0x11); outb(PIC2, 0x11);
    outb(PIC1 + 1, 0x20); outb(PIC2 + 1, 0x28);
    outb(PIC1 + 1, 0x04); outb(PIC2 + 1, 0x02);
    outb(PIC1 + 1, 0x01); outb(PIC2 + 1, 0x01);
    outb(PIC1 + 1, 0xef); /* only IRQ 4 */
    outb(PIC2 + 1, 0xff);
    trap_install(0x24, com1_irq, 0);

    outb(COM1 + FCR, 0x07); /* FIFOs on and cleared, trigger level 1 */
    outb(COM1 + MCR, 0x18); /* loopback, OUT2 (gates the IRQ on a PC) */
    uint8_t msr = inb(COM1 + 6);
    outb(COM1 + IER, 0x01); /* received data available */
    __asm__ volatile("sti");
    const char *text = "loop";
    for (int i = 0; text[i]; i++) {
        while (!(inb(COM1 + LSR) & 0x20)) {
        }
        outb(COM1, (uint8_t)text[i]);
    }
    /* Busy-wait with a bound rather than hlt: no timer runs here, so a lost interrupt would halt forever. */
    for (uint32_t spins = 0; count < 4 && spins < 10000000; spins++) __asm__ volatile("pause");
    outb(COM1 + IER, 0x02); /* now transmitter empty: interrupts at once, THR being empty */
    for (uint32_t spins = 0; thre_interrupts == 0 && spins < 10000000; spins++) __asm__ volatile("pause");
    __asm__ volatile("cli");
    outb(COM1 + IER, 0x00);
    outb(COM1 + MCR, 0x0b); /* loopback off: output reaches the host again */

    received[count] = 0;
    printf("received \"%s\"\n", (const char *)received);
    printf("modem status in loopback %x\n", msr & 0xf0);
    check(count == 4, "four bytes came back through loopback");
    check(rda_interrupts >= 1, "received-data interrupts on IRQ 4");
    check(thre_interrupts >= 1, "a transmitter-empty interrupt on IRQ 4");
    check(other == 0, "no other interrupt causes");
    return finish();
}
