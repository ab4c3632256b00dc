/*
 * pc386 descriptor tables and processor exceptions.
 */
#include <bsp.h>

typedef struct {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t zero;
  uint8_t type;
  uint16_t offset_high;
} __attribute__((packed)) Idt_gate;

/* What the exception stub pushed, lowest address first. */
typedef struct {
  uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
  uint32_t vector, error_code;
  uint32_t eip, cs, eflags;
} Exception_frame;

extern const uint32_t pc386_exception_stubs[32];
extern const uint32_t pc386_irq_stubs[17];

static Idt_gate pc386_idt[256] __attribute__((aligned(8)));

static void pc386_idt_set(unsigned vector, uint32_t handler)
{
  pc386_idt[vector] = (Idt_gate){
    .offset_low = (uint16_t)handler,
    .selector = 0x08,
    .zero = 0,
    .type = 0x8e, /* present, ring 0, 32-bit interrupt gate: IF cleared on entry */
    .offset_high = (uint16_t)(handler >> 16),
  };
}

void pc386_idt_install(void)
{
  struct {
    uint16_t limit;
    uint32_t base;
  } __attribute__((packed)) idtr = { sizeof pc386_idt - 1, (uint32_t)(uintptr_t)pc386_idt };
  for (unsigned v = 0; v < 32; v++) pc386_idt_set(v, pc386_exception_stubs[v]);
  for (unsigned irq = 0; irq < 16; irq++) pc386_idt_set(PC386_IDT_IRQ_BASE + irq, pc386_irq_stubs[irq]);
  pc386_idt_set(PC386_IDT_TEST_VECTOR, pc386_irq_stubs[16]);
  /* Every other vector is not present: an int to one raises #NP, which is reported as below. */
  __asm__ volatile("lidt %0" : : "m"(idtr));
}

static const char *pc386_exception_name(uint32_t vector)
{
  static const char *const names[] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "BOUND range exceeded", "invalid opcode",
    "device not available", "double fault", "coprocessor segment overrun", "invalid TSS", "segment not present",
    "stack-segment fault", "general protection", "page fault", "reserved", "x87 floating-point error",
    "alignment check", "machine check", "SIMD floating-point", "virtualization", "control protection",
  };
  return vector < sizeof names / sizeof names[0] ? names[vector] : "reserved";
}

void pc386_exception(const Exception_frame *frame) __attribute__((noreturn));

void pc386_exception(const Exception_frame *frame)
{
  printk("\npc386: unexpected exception %u (%s) at eip 0x%08x, error code 0x%x\n", (unsigned)frame->vector,
         pc386_exception_name(frame->vector), (unsigned)frame->eip, (unsigned)frame->error_code);
  printk("eax 0x%08x ebx 0x%08x ecx 0x%08x edx 0x%08x esi 0x%08x edi 0x%08x ebp 0x%08x esp 0x%08x eflags 0x%08x\n",
         (unsigned)frame->eax, (unsigned)frame->ebx, (unsigned)frame->ecx, (unsigned)frame->edx, (unsigned)frame->esi,
         (unsigned)frame->edi, (unsigned)frame->ebp, (unsigned)(frame->esp + 20), (unsigned)frame->eflags);
  rtems_fatal(RTEMS_FATAL_SOURCE_EXCEPTION, frame->vector);
}
