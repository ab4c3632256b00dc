/*
 * Kernel-level console output, as RTEMS's <rtems/bspIo.h> names it: printk (declared in <rtems.h>),
 * vprintk, putk, and the character hooks a BSP may provide (pc386 and i386virt do).
 */
#ifndef PVRT_RTEMS_BSPIO_H
#define PVRT_RTEMS_BSPIO_H

#include <stdarg.h>
#include <rtems.h>

#ifdef __cplusplus
extern "C" {
#endif

int vprintk(const char *format, va_list ap);
/* Writes the text and a newline. */
void putk(const char *text);

typedef void (*BSP_output_char_function_type)(char);
typedef int (*BSP_polling_getchar_function_type)(void);
/* Defined by the BSP: one character out; one character in, or -1 when none waits. */
extern BSP_output_char_function_type BSP_output_char;
extern BSP_polling_getchar_function_type BSP_poll_char;

#ifdef __cplusplus
}
#endif

#endif /* PVRT_RTEMS_BSPIO_H */
