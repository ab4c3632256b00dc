/*
 * pc386 console: polled output on COM1 (16550), and polled input for BSP_poll_char.
 */
#include <bsp.h>

#define COM1 0x3f8
#define UART_DATA 0
#define UART_INTERRUPT_ENABLE 1
#define UART_FIFO_CONTROL 2
#define UART_LINE_CONTROL 3
#define UART_MODEM_CONTROL 4
#define UART_LINE_STATUS 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

void pc386_console_initialize(void)
{
  pc386_outb(COM1 + UART_INTERRUPT_ENABLE, 0x00); /* polled: no UART interrupts */
  pc386_outb(COM1 + UART_LINE_CONTROL, 0x80);     /* DLAB */
  pc386_outb(COM1 + UART_DATA, 0x01);             /* divisor 1: 115200 baud */
  pc386_outb(COM1 + UART_INTERRUPT_ENABLE, 0x00);
  pc386_outb(COM1 + UART_LINE_CONTROL, 0x03);     /* 8N1 */
  pc386_outb(COM1 + UART_FIFO_CONTROL, 0xc7);     /* FIFOs on and cleared */
  pc386_outb(COM1 + UART_MODEM_CONTROL, 0x03);    /* DTR, RTS */
}

static void pc386_output_char(char c)
{
  while (!(pc386_inb(COM1 + UART_LINE_STATUS) & LSR_THR_EMPTY)) {
  }
  pc386_outb(COM1 + UART_DATA, (uint8_t)c);
}

static int pc386_poll_char(void)
{
  if (!(pc386_inb(COM1 + UART_LINE_STATUS) & LSR_DATA_READY)) return -1;
  return pc386_inb(COM1 + UART_DATA);
}

BSP_output_char_function_type BSP_output_char = pc386_output_char;
BSP_polling_getchar_function_type BSP_poll_char = pc386_poll_char;

void bsp_console_write(const char *text, size_t length)
{
  for (size_t i = 0; i < length; i++) pc386_output_char(text[i]);
}
