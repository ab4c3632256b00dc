/* The guest runtime: polled COM1, printf, exit through isa-debug-exit, GDT/IDT helpers, checks. */
#ifndef RUNTIME_H
#define RUNTIME_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned int size_t;
typedef unsigned int uintptr_t;

#define NORETURN __attribute__((noreturn))
#define NOINLINE __attribute__((noinline))
#define ALIGNED(n) __attribute__((aligned(n)))

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* Serial console (COM1, polled) and formatted output. */
void serial_putc(char c);
void puts_raw(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ends the VM through isa-debug-exit: QEMU's status is (code << 1) | 1. */
void exit(int code) NORETURN;

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Self-checks: each prints a PASS or FAIL line; finish() prints the tally and returns main's result. */
void check(int ok, const char *what);
int finish(void);

/* Multiboot registers at entry. */
extern uint32_t boot_magic, boot_info;

/* GDT: 0x08 flat 32-bit code, 0x10 flat 32-bit data; entries 3-9 are the guest's. */
#define GDT_ENTRIES 10
void gdt_set(int index, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void gdt_load(void);

/* Traps: the frame trap_common builds. user_esp and user_ss exist only when the trap came from ring 3. */
struct trap_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, pusha_esp, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t user_esp, user_ss;
};
typedef void (*trap_handler)(struct trap_frame *frame);
/* Vectors 0 to TRAP_STUBS - 1, 0x80 and 0xff; dpl 3 lets ring 3 raise it with int. */
#define TRAP_STUBS 96
void trap_install(int vector, trap_handler handler, int dpl);

#endif
