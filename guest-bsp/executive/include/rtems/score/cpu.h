/*
 * The i386 CPU port of pvrt's executive: interrupt-level macros, the task context and the context switch.
 *
 * Interrupt cookies (rtems_interrupt_level) are EFLAGS images: IF (0x200) set means interrupts were
 * enabled. Natively the macros are pushf/cli/popf; with -DRTEMS_PARAVIRT they call the BSP's hooks
 * (i386virt: the virtual interrupt flag in the page shared with the hypervisor), as RTEMS's i386 port does
 * under RTEMS_PARAVIRT. Task-mode interrupt levels (_CPU_ISR_Set_level/_Get_level) are 0 (enabled) or 1.
 */
#ifndef PVRT_RTEMS_SCORE_CPU_H
#define PVRT_RTEMS_SCORE_CPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPU_EFLAGS_INTERRUPTS_ENABLED 0x200u

#ifdef RTEMS_PARAVIRT

/* Provided by the paravirtual BSP (i386virt's irq/interrupt-hooks.c). */
uint32_t i386_disable_interrupts(void);
void i386_enable_interrupts(uint32_t level);
void i386_flash_interrupts(uint32_t level);
void i386_set_interrupt_level(uint32_t new_level);
uint32_t i386_get_interrupt_level(void);

#define _CPU_ISR_Disable(_level) \
  do {                           \
    (_level) = i386_disable_interrupts(); \
  } while (0)
#define _CPU_ISR_Enable(_level) i386_enable_interrupts(_level)
#define _CPU_ISR_Flash(_level) i386_flash_interrupts(_level)
#define _CPU_ISR_Set_level(_new_level) i386_set_interrupt_level(_new_level)
#define _CPU_ISR_Get_level() i386_get_interrupt_level()

#else /* native */

#define _CPU_ISR_Disable(_level)                                                   \
  do {                                                                             \
    uint32_t _cpu_eflags;                                                          \
    __asm__ volatile("pushfl\n\tpopl %0\n\tcli" : "=r"(_cpu_eflags) : : "memory"); \
    (_level) = _cpu_eflags;                                                        \
  } while (0)

#define _CPU_ISR_Enable(_level)                                                    \
  do {                                                                             \
    uint32_t _cpu_eflags = (_level);                                               \
    __asm__ volatile("pushl %0\n\tpopfl" : : "rm"(_cpu_eflags) : "memory", "cc");  \
  } while (0)

/* Lets pending interrupts in for a moment, then disables them again. */
#define _CPU_ISR_Flash(_level)                                                          \
  do {                                                                                  \
    uint32_t _cpu_eflags = (_level);                                                    \
    __asm__ volatile("pushl %0\n\tpopfl\n\tcli" : : "rm"(_cpu_eflags) : "memory", "cc"); \
  } while (0)

static inline void _CPU_ISR_Set_level(uint32_t new_level)
{
  if (new_level != 0)
    __asm__ volatile("cli" : : : "memory");
  else
    __asm__ volatile("sti" : : : "memory");
}

static inline uint32_t _CPU_ISR_Get_level(void)
{
  uint32_t eflags;
  __asm__ volatile("pushfl\n\tpopl %0" : "=r"(eflags) : : "memory");
  return (eflags & CPU_EFLAGS_INTERRUPTS_ENABLED) ? 0 : 1;
}

#endif /* RTEMS_PARAVIRT */

/* True when the cookie says interrupts were enabled. */
#define _CPU_ISR_Is_enabled(_level) ((((uint32_t)(_level)) & CPU_EFLAGS_INTERRUPTS_ENABLED) != 0)

/*
 * What a context switch keeps: the callee-saved registers, the stack pointer and EFLAGS. Everything else
 * is saved by the C calling convention of the caller of _CPU_Context_switch. Offsets are used by
 * cpu/i386/context.S; keep them in step.
 */
typedef struct {
  uint32_t eflags; /* 0 */
  uint32_t esp;    /* 4 */
  uint32_t ebp;    /* 8 */
  uint32_t ebx;    /* 12 */
  uint32_t esi;    /* 16 */
  uint32_t edi;    /* 20 */
} Context_Control;

/* The x87 state as FNSAVE stores it (108 bytes). */
typedef struct {
  uint8_t image[108];
} __attribute__((aligned(16))) Context_Control_fp;

/* Saves the running context in *run and resumes *heir; returns when *run is resumed. */
void _CPU_Context_switch(Context_Control *run, Context_Control *heir);
/* Resumes *heir without saving anything (leaving the boot stack). */
void _CPU_Context_restore(Context_Control *heir) __attribute__((noreturn));
/* Prepares a context that starts `entry` on the given stack with interrupts disabled. */
void _CPU_Context_Initialize(Context_Control *context, void *stack_area, size_t stack_size, void (*entry)(void));

/* x87: FNINIT state captured at start-up, and save/restore of a task's state. */
extern Context_Control_fp _CPU_Null_fp_context;
void _CPU_Initialize(void);
void _CPU_Context_save_fp(Context_Control_fp *fp);
void _CPU_Context_restore_fp(const Context_Control_fp *fp);

#ifdef __cplusplus
}
#endif

#endif /* PVRT_RTEMS_SCORE_CPU_H */
