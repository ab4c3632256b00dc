/**
 * A fake guest-bsp tree for the `pvrt build` and `pvrt compare` tests, laid out by the convention the real
 * one follows: a tiny executive (src/, cpu/i386/ with a .c and a .S, include/), a generated paravirtual
 * BSP "i386virt" (bsp.json says "generated": "i386"; its own include/ holds a decoy bsp.h that must lose
 * to the generated one) and a multiboot PC BSP "pc386" (COM1, isa-debug-exit, no include/).
 *
 * The fake executive's "BSP interface": fake_bsp_write, fake_bsp_exit, fake_bsp_idle(ns), fake_bsp_board.
 * It boots with fake_boot(), prints a banner, runs the application's Init(), and exits 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from '../helpers.js';

/** The start-up both fake BSPs share: a stack, then the fake executive's boot. */
const FAKE_START = `        .text
        .globl _start
_start:
        movl $stack_top, %esp
        call fake_boot
1:      hlt
        jmp 1b
        .bss
        .align 16
        .space 16384
stack_top:
`;

const FILES: Record<string, string> = {
  'executive/include/rtems.h': `#ifndef FAKE_RTEMS_H
#define FAKE_RTEMS_H
#include <stddef.h>
#include <stdint.h>
/* provided by each BSP */
void fake_bsp_write(const char *text, size_t length);
void fake_bsp_exit(uint32_t code) __attribute__((noreturn));
void fake_bsp_idle(uint64_t ns);
const char *fake_bsp_board(void);
/* provided by the executive */
void printk(const char *text);
void print_u32(uint32_t value);
uint64_t fake_now_ns(void);
uint32_t fake_cpu_model(void);
void fake_boot(void) __attribute__((noreturn));
/* provided by the application */
void Init(void);
#endif
`,
  'executive/src/boot.c': `#include <rtems.h>
void fake_boot(void)
{
  printk("executive up on " FAKE_BSP_NAME);
#ifdef FAKE_PARAVIRT
  printk(" (paravirtual)");
#endif
  printk(", cpu ");
  print_u32(fake_cpu_model());
  printk(", board ");
  printk(fake_bsp_board());
  printk("\\n");
  Init();
  fake_bsp_exit(0);
}
`,
  'executive/src/printk.c': `#include <rtems.h>
void printk(const char *text)
{
  size_t n = 0;
  while (text[n] != 0) n++;
  fake_bsp_write(text, n);
}
void print_u32(uint32_t v)
{
  char buf[12];
  int i = 11;
  buf[i] = 0;
  do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v != 0);
  printk(&buf[i]);
}
`,
  // What a real executive gives its BSP (rtems/bsp-interface.h), weak, so generated BSP code linking against it resolves.
  'executive/src/bsp-interface-stubs.c': `#include <stdint.h>
__attribute__((weak)) uint32_t rtems_configuration_get_nanoseconds_per_tick(void) { return 10000000u; }
__attribute__((weak)) void _ISR_Enter(void) {}
__attribute__((weak)) void _ISR_Leave(void) {}
__attribute__((weak)) void _ISR_Dispatch_vector(uint32_t vector) { (void)vector; }
__attribute__((weak)) void _ISR_Handler(uint32_t vector) { (void)vector; }
__attribute__((weak)) int rtems_clock_tick(void) { return 0; }
__attribute__((weak)) void boot_card(void) { for (;;) {} }
`,
  'executive/cpu/i386/cpu.c': `#include <rtems.h>
uint32_t fake_cpu_model(void) { return 386; }
`,
  'executive/cpu/i386/now.S': `        .text
        .globl fake_now_ns
fake_now_ns:                    /* the TSC counts guest nanoseconds */
        rdtsc
        ret
`,
  'i386virt/bsp.json': `{ "defines": ["FAKE_PARAVIRT", "FAKE_BSP_NAME=\\"i386virt\\""], "generated": "i386" }\n`,
  'i386virt/include/bsp.h': `#error "the generated BSP's include/ must come first: this decoy bsp.h was found"\n`,
  'i386virt/include/fake-board.h': `#define FAKE_BOARD_NAME "virt-board"\n`,
  'i386virt/start.S': FAKE_START,
  'i386virt/linker.ld': `ENTRY(_start)
SECTIONS
{
  . = 1M;
  .text : ALIGN(4096) { *(.text .text.*) }
  .rodata : ALIGN(4096) { *(.rodata .rodata.*) }
  .data : ALIGN(4096) { *(.data .data.*) }
  .bss : ALIGN(4096) { *(COMMON) *(.bss .bss.*) }
  /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
`,
  'i386virt/glue.c': `#include <bsp.h> /* the generated one: the hypercall wrappers */
#include <fake-board.h>
#include <rtems.h>
void fake_bsp_write(const char *text, size_t length) { (void)pvrt_console_write((pvrt_gpa_t)(uintptr_t)text, length, NULL); }
void fake_bsp_exit(uint32_t code)
{
  (void)pvrt_shutdown(PVRT_SHUTDOWN_REASON_POWEROFF, code);
  for (;;) {}
}
void fake_bsp_idle(uint64_t ns)
{
  uint64_t now = 0;
  (void)pvrt_clock_read(&now);
  uint64_t end = now + ns;
  (void)pvrt_timer_set(end);
  while (now < end) {
    (void)pvrt_wait_for_event();
    (void)pvrt_clock_read(&now);
  }
}
const char *fake_bsp_board(void) { return FAKE_BOARD_NAME; }
`,
  'pc386/bsp.json': `{ "defines": ["FAKE_BSP_NAME=\\"pc386\\""], "generated": null }\n`,
  'pc386/start.S': `        .section .multiboot, "a"
        .align 4
        .long 0x1BADB002, 0, -0x1BADB002
${FAKE_START}`,
  'pc386/linker.ld': `ENTRY(_start)
SECTIONS
{
  . = 1M;
  .text : ALIGN(4096) { KEEP(*(.multiboot)) *(.text .text.*) }
  .rodata : ALIGN(4096) { *(.rodata .rodata.*) }
  .data : ALIGN(4096) { *(.data .data.*) }
  .bss : ALIGN(4096) { *(COMMON) *(.bss .bss.*) }
  /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
`,
  'pc386/glue.c': `#include <rtems.h>
static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
void fake_bsp_write(const char *text, size_t length) { for (size_t i = 0; i < length; i++) outb(0x3f8, (uint8_t)text[i]); }
void fake_bsp_exit(uint32_t code)
{
  outb(0xf4, (uint8_t)code); /* isa-debug-exit */
  for (;;) __asm__ volatile("cli; hlt");
}
void fake_bsp_idle(uint64_t ns) { uint64_t end = fake_now_ns() + ns; while (fake_now_ns() < end) {} }
const char *fake_bsp_board(void) { return "pc"; }
`,
};

/** Writes the fake tree; returns its guest-bsp folder. */
export function fakeGuestBsp(): string {
  const root = join(tempDir('fake-guest-bsp'), 'guest-bsp');
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Writes a small example folder (`files`: name to text); returns its path. */
export function writeExample(name: string, files: Record<string, string>): string {
  const dir = join(tempDir('example'), name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}
