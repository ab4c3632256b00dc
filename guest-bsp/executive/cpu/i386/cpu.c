/*
 * i386 CPU port: initial task contexts and the x87 state.
 */
#include <rtems.h>

Context_Control_fp _CPU_Null_fp_context;

void _CPU_Initialize(void)
{
  /* The state every floating-point task starts from: FNINIT's (all exceptions masked, 64-bit precision). */
  __asm__ volatile("fninit\n\tfnsave %0" : "=m"(_CPU_Null_fp_context));
}

void _CPU_Context_save_fp(Context_Control_fp *fp)
{
  __asm__ volatile("fnsave %0\n\tfwait" : "=m"(*fp));
}

void _CPU_Context_restore_fp(const Context_Control_fp *fp)
{
  __asm__ volatile("frstor %0" : : "m"(*fp));
}

void _CPU_Context_Initialize(Context_Control *context, void *stack_area, size_t stack_size, void (*entry)(void))
{
  uintptr_t top = ((uintptr_t)stack_area + stack_size) & ~(uintptr_t)15;
  /*
   * The first switch to this context "returns" into entry. Place the return address so that entry
   * starts as if called with a 16-byte aligned stack (ESP + 4 aligned), with a zero return address above
   * it for debuggers and stack walkers.
   */
  uint32_t *slot = (uint32_t *)(top - 24);
  slot[0] = (uint32_t)(uintptr_t)entry;
  slot[1] = 0;
  context->esp = (uint32_t)(uintptr_t)slot;
  context->ebp = 0;
  context->ebx = 0;
  context->esi = 0;
  context->edi = 0;
  context->eflags = 0x00000002u; /* reserved bit 1; IF clear: the entry enables interrupts per the task's mode */
}
