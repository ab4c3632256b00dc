/*
 * pc386 interrupts: the 8259 pair, the entry from the stubs, and software-raised vectors.
 */
#include <bsp.h>

#define PIC1_COMMAND 0x20
#define PIC1_DATA 0x21
#define PIC2_COMMAND 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC_CASCADE_IRQ 2

/* Every IRQ masked but the cascade until bsp_interrupt_vector_enable. */
static uint16_t pc386_irq_mask = 0xffffu & ~(1u << PIC_CASCADE_IRQ);

/* The vector bsp_interrupt_raise asks the test vector's stub to run. */
static volatile rtems_vector_number pc386_raised_vector;
/* Vectors raised while interrupts were disabled: delivered with the next interrupt. */
static volatile uint32_t pc386_latched_vectors;
/* Which vectors are enabled, and software-raised ones held while their vector was disabled (as the PIC
   holds a masked request). */
static uint32_t pc386_enabled_vectors;
static uint32_t pc386_held_vectors;

static void pc386_pic_write_mask(void)
{
  pc386_outb(PIC1_DATA, (uint8_t)pc386_irq_mask);
  pc386_outb(PIC2_DATA, (uint8_t)(pc386_irq_mask >> 8));
}

void pc386_pic_initialize(void)
{
  pc386_outb(PIC1_COMMAND, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
  pc386_outb(PIC2_COMMAND, 0x11);
  pc386_outb(PIC1_DATA, PC386_IDT_IRQ_BASE);     /* ICW2: IRQ 0-7 at 0x20-0x27 */
  pc386_outb(PIC2_DATA, PC386_IDT_IRQ_BASE + 8); /* IRQ 8-15 at 0x28-0x2f */
  pc386_outb(PIC1_DATA, 1u << PIC_CASCADE_IRQ);  /* ICW3: the slave on IR2 */
  pc386_outb(PIC2_DATA, PIC_CASCADE_IRQ);
  pc386_outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode, normal EOI */
  pc386_outb(PIC2_DATA, 0x01);
  pc386_pic_write_mask();
  /* OCW3: reads of the command ports return the in-service register, to tell spurious IRQs 7 and 15. */
  pc386_outb(PIC1_COMMAND, 0x0b);
  pc386_outb(PIC2_COMMAND, 0x0b);
}

void bsp_interrupt_vector_enable(rtems_vector_number vector)
{
  if (vector >= BSP_INTERRUPT_VECTOR_COUNT) return;
  rtems_interrupt_level level;
  rtems_interrupt_disable(level);
  pc386_enabled_vectors |= 1u << vector;
  if (vector < 16) {
    pc386_irq_mask &= (uint16_t)~(1u << vector);
    pc386_pic_write_mask();
  }
  bool held = (pc386_held_vectors & (1u << vector)) != 0;
  pc386_held_vectors &= ~(1u << vector);
  rtems_interrupt_enable(level);
  if (held) bsp_interrupt_raise(vector);
}

void bsp_interrupt_vector_disable(rtems_vector_number vector)
{
  if (vector >= BSP_INTERRUPT_VECTOR_COUNT) return;
  rtems_interrupt_level level;
  rtems_interrupt_disable(level);
  pc386_enabled_vectors &= ~(1u << vector);
  if (vector < 16 && vector != PIC_CASCADE_IRQ) {
    pc386_irq_mask |= (uint16_t)(1u << vector);
    pc386_pic_write_mask();
  }
  rtems_interrupt_enable(level);
}

/* Ends the IRQ at the PIC(s) before its handlers run (they run with interrupts disabled, so no IRQ
   nests); false for a spurious IRQ 7 or 15, which is not in service and gets no handler. */
static bool pc386_acknowledge(uint32_t irq)
{
  if (irq < 8) {
    if (irq == 7 && !(pc386_inb(PIC1_COMMAND) & 0x80)) return false;
    pc386_outb(PIC1_COMMAND, PIC_EOI);
    return true;
  }
  if (irq == 15 && !(pc386_inb(PIC2_COMMAND) & 0x80)) {
    pc386_outb(PIC1_COMMAND, PIC_EOI); /* the master did see the cascade */
    return false;
  }
  pc386_outb(PIC2_COMMAND, PIC_EOI);
  pc386_outb(PIC1_COMMAND, PIC_EOI);
  return true;
}

static void pc386_deliver_latched(void)
{
  uint32_t latched;
  /* Handlers may raise more: run until none is latched. */
  while ((latched = pc386_latched_vectors) != 0) {
    pc386_latched_vectors = 0;
    while (latched != 0) {
      rtems_vector_number vector = (rtems_vector_number)__builtin_ctz(latched);
      latched &= latched - 1;
      if (pc386_enabled_vectors & (1u << vector))
        _ISR_Dispatch_vector(vector);
      else
        pc386_held_vectors |= 1u << vector; /* disabled since it was raised */
    }
  }
}

/* Called by the stubs in start.S with interrupts disabled: vector 0-15 for an IRQ, 16 for the test vector. */
void pc386_interrupt(uint32_t vector);

void pc386_interrupt(uint32_t vector)
{
  if (vector == BSP_VECTOR_TEST)
    vector = pc386_raised_vector;
  else if (!pc386_acknowledge(vector))
    return;
  _ISR_Enter();
  _ISR_Dispatch_vector(vector);
  if (pc386_latched_vectors != 0) pc386_deliver_latched();
  _ISR_Leave();
}

void bsp_interrupt_raise(rtems_vector_number vector)
{
  if (vector >= BSP_INTERRUPT_VECTOR_COUNT) return;
  rtems_interrupt_level level;
  rtems_interrupt_disable(level);
  if (!(pc386_enabled_vectors & (1u << vector))) {
    pc386_held_vectors |= 1u << vector;
  } else if (_CPU_ISR_Is_enabled(level) && !rtems_interrupt_is_in_progress()) {
    /* Through the test vector's gate, so the handler runs by the same _ISR_Enter/_ISR_Leave path as an IRQ. */
    pc386_raised_vector = vector;
    __asm__ volatile("int %0" : : "i"(PC386_IDT_TEST_VECTOR) : "memory");
  } else {
    /* As an interrupt controller holds a request while the processor masks interrupts (handlers run
       masked too): it runs after the current handlers, or with the next interrupt. */
    pc386_latched_vectors |= 1u << vector;
  }
  rtems_interrupt_enable(level);
}
