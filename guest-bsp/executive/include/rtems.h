/*
 * pvrt's RTEMS-style executive: the application interface, in the shape of RTEMS's Classic API (names,
 * argument order, status codes, modes, attributes and options as RTEMS defines them), for a small
 * uniprocessor executive. An application defines `rtems_task Init(rtems_task_argument)`; the executive
 * starts it as the first task (priority 1, preemptive, interrupts enabled) once the BSP is up.
 *
 * Limits are compile-time (see RTEMS_MAXIMUM_* below); objects are never allocated from a heap. The tick
 * length, timeslice and Init task are configured as in RTEMS, with <rtems/confdefs.h> (see there).
 */
#ifndef PVRT_RTEMS_H
#define PVRT_RTEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- basic types ------------------------------------------------------------------------------ */

typedef uint32_t rtems_id;
typedef uint32_t rtems_name;
typedef uint32_t rtems_task_priority;
typedef uint32_t rtems_interval;       /* clock ticks */
typedef uint32_t rtems_mode;
typedef uint32_t rtems_attribute;
typedef uint32_t rtems_option;
typedef uint32_t rtems_event_set;
typedef uint32_t rtems_vector_number;
typedef uintptr_t rtems_task_argument;
typedef void rtems_task;
typedef rtems_task (*rtems_task_entry)(rtems_task_argument);
typedef uint32_t rtems_interrupt_level;

#define rtems_build_name(c1, c2, c3, c4) \
  ((rtems_name)(((uint32_t)(c1) << 24) | ((uint32_t)(c2) << 16) | ((uint32_t)(c3) << 8) | (uint32_t)(c4)))

typedef enum {
  RTEMS_SUCCESSFUL = 0,
  RTEMS_TASK_EXITTED = 1,
  RTEMS_MP_NOT_CONFIGURED = 2,
  RTEMS_INVALID_NAME = 3,
  RTEMS_INVALID_ID = 4,
  RTEMS_TOO_MANY = 5,
  RTEMS_TIMEOUT = 6,
  RTEMS_OBJECT_WAS_DELETED = 7,
  RTEMS_INVALID_SIZE = 8,
  RTEMS_INVALID_ADDRESS = 9,
  RTEMS_INVALID_NUMBER = 10,
  RTEMS_NOT_DEFINED = 11,
  RTEMS_RESOURCE_IN_USE = 12,
  RTEMS_UNSATISFIED = 13,
  RTEMS_INCORRECT_STATE = 14,
  RTEMS_ALREADY_SUSPENDED = 15,
  RTEMS_ILLEGAL_ON_SELF = 16,
  RTEMS_ILLEGAL_ON_REMOTE_OBJECT = 17,
  RTEMS_CALLED_FROM_ISR = 18,
  RTEMS_INVALID_PRIORITY = 19,
  RTEMS_INVALID_CLOCK = 20,
  RTEMS_INVALID_NODE = 21,
  RTEMS_NOT_CONFIGURED = 22,
  RTEMS_NOT_OWNER_OF_RESOURCE = 23,
  RTEMS_NOT_IMPLEMENTED = 24,
  RTEMS_INTERNAL_ERROR = 25,
  RTEMS_NO_MEMORY = 26,
  RTEMS_IO_ERROR = 27
} rtems_status_code;

/* A readable name for a status code ("RTEMS_TIMEOUT"). */
const char *rtems_status_text(rtems_status_code code);

/* ---- limits ------------------------------------------------------------------------------------- */

#define RTEMS_MAXIMUM_TASKS 32          /* besides the idle task */
#define RTEMS_MAXIMUM_SEMAPHORES 32
#define RTEMS_MAXIMUM_MESSAGE_QUEUES 16
#define RTEMS_MAXIMUM_TIMERS 32
#define RTEMS_MAXIMUM_MESSAGE_BYTES 4096 /* per queue: count * max size, rounded to words */
#define RTEMS_MINIMUM_STACK_SIZE 4096
#define RTEMS_MAXIMUM_STACK_SIZE 65536

/* ---- special values ------------------------------------------------------------------------------ */

#define RTEMS_SELF 0                    /* the calling task, where a task id is expected */
#define RTEMS_CURRENT_PRIORITY 0        /* rtems_task_set_priority: only read the priority */
#define RTEMS_MINIMUM_PRIORITY 1        /* the most important */
#define RTEMS_MAXIMUM_PRIORITY 255      /* the idle task's; applications use 1-254 */
#define RTEMS_NO_TIMEOUT 0              /* wait forever */
#define RTEMS_YIELD_PROCESSOR 0         /* rtems_task_wake_after: yield to tasks of equal priority */
#define RTEMS_PENDING_EVENTS 0          /* rtems_event_receive: only read the pending set */
#define RTEMS_MINIMUM_STACK_SIZE_DEFAULT RTEMS_MINIMUM_STACK_SIZE
#define RTEMS_WHO_AM_I 0                /* rtems_task_ident: the calling task */
#define RTEMS_SEARCH_ALL_NODES 0        /* *_ident node arguments (one node: all mean "here") */
#define RTEMS_SEARCH_OTHER_NODES 0x7ffffffe
#define RTEMS_SEARCH_LOCAL_NODE 0x7fffffff

/* ---- modes (rtems_task_create, rtems_task_mode) ------------------------------------------------- */

#define RTEMS_DEFAULT_MODES 0x00000000
#define RTEMS_ALL_MODE_MASKS 0x0000ffff
#define RTEMS_PREEMPT_MASK 0x00000100
#define RTEMS_TIMESLICE_MASK 0x00000200
#define RTEMS_ASR_MASK 0x00000400
#define RTEMS_INTERRUPT_MASK 0x000000ff
#define RTEMS_PREEMPT 0x00000000
#define RTEMS_NO_PREEMPT 0x00000100
#define RTEMS_NO_TIMESLICE 0x00000000
#define RTEMS_TIMESLICE 0x00000200
#define RTEMS_ASR 0x00000000
#define RTEMS_NO_ASR 0x00000400
/* Interrupt level 0 enables interrupts; any other level disables them (a PC has one level). */
#define RTEMS_INTERRUPT_LEVEL(level) ((rtems_mode)(level) & RTEMS_INTERRUPT_MASK)

/* ---- attributes ---------------------------------------------------------------------------------- */

#define RTEMS_DEFAULT_ATTRIBUTES 0x00000000
#define RTEMS_LOCAL 0x00000000
#define RTEMS_FIFO 0x00000000                 /* waiters in arrival order */
#define RTEMS_PRIORITY 0x00000004             /* waiters by task priority */
#define RTEMS_COUNTING_SEMAPHORE 0x00000000
#define RTEMS_BINARY_SEMAPHORE 0x00000010     /* a mutex: owner, nesting, inheritance or ceiling */
#define RTEMS_SIMPLE_BINARY_SEMAPHORE 0x00000020
#define RTEMS_SEMAPHORE_CLASS 0x00000030
#define RTEMS_NO_INHERIT_PRIORITY 0x00000000
#define RTEMS_INHERIT_PRIORITY 0x00000040
#define RTEMS_NO_PRIORITY_CEILING 0x00000000
#define RTEMS_PRIORITY_CEILING 0x00000080
#define RTEMS_NO_FLOATING_POINT 0x00000000
#define RTEMS_FLOATING_POINT 0x00000001

/* ---- options ------------------------------------------------------------------------------------- */

#define RTEMS_DEFAULT_OPTIONS 0x00000000
#define RTEMS_WAIT 0x00000000
#define RTEMS_NO_WAIT 0x00000001
#define RTEMS_EVENT_ALL 0x00000000
#define RTEMS_EVENT_ANY 0x00000002
#define RTEMS_INTERRUPT_UNIQUE 0x00000001     /* rtems_interrupt_handler_install */
#define RTEMS_INTERRUPT_SHARED 0x00000000

/* ---- events -------------------------------------------------------------------------------------- */

#define RTEMS_ALL_EVENTS 0xffffffff
#define RTEMS_EVENT_0 0x00000001
#define RTEMS_EVENT_1 0x00000002
#define RTEMS_EVENT_2 0x00000004
#define RTEMS_EVENT_3 0x00000008
#define RTEMS_EVENT_4 0x00000010
#define RTEMS_EVENT_5 0x00000020
#define RTEMS_EVENT_6 0x00000040
#define RTEMS_EVENT_7 0x00000080
#define RTEMS_EVENT_8 0x00000100
#define RTEMS_EVENT_9 0x00000200
#define RTEMS_EVENT_10 0x00000400
#define RTEMS_EVENT_11 0x00000800
#define RTEMS_EVENT_12 0x00001000
#define RTEMS_EVENT_13 0x00002000
#define RTEMS_EVENT_14 0x00004000
#define RTEMS_EVENT_15 0x00008000
#define RTEMS_EVENT_16 0x00010000
#define RTEMS_EVENT_17 0x00020000
#define RTEMS_EVENT_18 0x00040000
#define RTEMS_EVENT_19 0x00080000
#define RTEMS_EVENT_20 0x00100000
#define RTEMS_EVENT_21 0x00200000
#define RTEMS_EVENT_22 0x00400000
#define RTEMS_EVENT_23 0x00800000
#define RTEMS_EVENT_24 0x01000000
#define RTEMS_EVENT_25 0x02000000
#define RTEMS_EVENT_26 0x04000000
#define RTEMS_EVENT_27 0x08000000
#define RTEMS_EVENT_28 0x10000000
#define RTEMS_EVENT_29 0x20000000
#define RTEMS_EVENT_30 0x40000000
#define RTEMS_EVENT_31 0x80000000

/* ---- tasks ---------------------------------------------------------------------------------------- */

rtems_status_code rtems_task_create(rtems_name name, rtems_task_priority initial_priority, size_t stack_size,
                                    rtems_mode initial_modes, rtems_attribute attribute_set, rtems_id *id);
rtems_status_code rtems_task_start(rtems_id id, rtems_task_entry entry_point, rtems_task_argument argument);
rtems_status_code rtems_task_delete(rtems_id id);
rtems_status_code rtems_task_suspend(rtems_id id);
rtems_status_code rtems_task_resume(rtems_id id);
rtems_status_code rtems_task_is_suspended(rtems_id id);
rtems_status_code rtems_task_set_priority(rtems_id id, rtems_task_priority new_priority, rtems_task_priority *old_priority);
rtems_status_code rtems_task_mode(rtems_mode mode_set, rtems_mode mask, rtems_mode *previous_mode_set);
rtems_status_code rtems_task_wake_after(rtems_interval ticks);
rtems_status_code rtems_task_ident(rtems_name name, uint32_t node, rtems_id *id);
rtems_id rtems_task_self(void);
/* Deletes the calling task (RTEMS 5): never returns. */
void rtems_task_exit(void) __attribute__((noreturn));
/* The task's current priority (raised while a mutex protocol raises it). */
rtems_status_code rtems_task_get_priority(rtems_id id, rtems_task_priority *priority);
/* The application's first task. */
rtems_task Init(rtems_task_argument argument);

/* ---- semaphores ------------------------------------------------------------------------------------ */

rtems_status_code rtems_semaphore_create(rtems_name name, uint32_t count, rtems_attribute attribute_set,
                                         rtems_task_priority priority_ceiling, rtems_id *id);
rtems_status_code rtems_semaphore_obtain(rtems_id id, rtems_option option_set, rtems_interval timeout);
rtems_status_code rtems_semaphore_release(rtems_id id);   /* legal from an ISR for counting/simple binary */
rtems_status_code rtems_semaphore_flush(rtems_id id);
rtems_status_code rtems_semaphore_delete(rtems_id id);
rtems_status_code rtems_semaphore_ident(rtems_name name, uint32_t node, rtems_id *id);

/* ---- message queues ---------------------------------------------------------------------------- */

rtems_status_code rtems_message_queue_create(rtems_name name, uint32_t count, size_t max_message_size,
                                             rtems_attribute attribute_set, rtems_id *id);
rtems_status_code rtems_message_queue_send(rtems_id id, const void *buffer, size_t size);   /* ISR-legal */
rtems_status_code rtems_message_queue_urgent(rtems_id id, const void *buffer, size_t size); /* ISR-legal */
rtems_status_code rtems_message_queue_broadcast(rtems_id id, const void *buffer, size_t size, uint32_t *count);
rtems_status_code rtems_message_queue_receive(rtems_id id, void *buffer, size_t *size, rtems_option option_set,
                                              rtems_interval timeout);
rtems_status_code rtems_message_queue_get_number_pending(rtems_id id, uint32_t *count);
rtems_status_code rtems_message_queue_flush(rtems_id id, uint32_t *count);
rtems_status_code rtems_message_queue_delete(rtems_id id);
rtems_status_code rtems_message_queue_ident(rtems_name name, uint32_t node, rtems_id *id);

/* ---- events ------------------------------------------------------------------------------------------ */

rtems_status_code rtems_event_send(rtems_id id, rtems_event_set event_in);                   /* ISR-legal */
rtems_status_code rtems_event_receive(rtems_event_set event_in, rtems_option option_set, rtems_interval ticks,
                                      rtems_event_set *event_out);

/* ---- timers (run from the clock tick, in interrupt context) ------------------------------------- */

typedef void rtems_timer_service_routine;
typedef rtems_timer_service_routine (*rtems_timer_service_routine_entry)(rtems_id timer, void *user_data);
rtems_status_code rtems_timer_create(rtems_name name, rtems_id *id);
rtems_status_code rtems_timer_fire_after(rtems_id id, rtems_interval ticks, rtems_timer_service_routine_entry routine,
                                         void *user_data);
rtems_status_code rtems_timer_reset(rtems_id id);
rtems_status_code rtems_timer_cancel(rtems_id id);
rtems_status_code rtems_timer_delete(rtems_id id);
rtems_status_code rtems_timer_ident(rtems_name name, uint32_t node, rtems_id *id);

/* ---- clock --------------------------------------------------------------------------------------------- */

rtems_interval rtems_clock_get_ticks_since_boot(void);
rtems_interval rtems_clock_get_ticks_per_second(void);
/* Nanoseconds since boot, from the BSP's fine clock (not rounded to ticks). */
uint64_t rtems_clock_get_uptime_nanoseconds(void);
/* Announces one clock tick: the clock driver calls it from its interrupt. */
rtems_status_code rtems_clock_tick(void);

/* The configuration (see <rtems/confdefs.h>): tick length and timeslice. */
uint32_t rtems_configuration_get_nanoseconds_per_tick(void);
uint32_t rtems_configuration_get_microseconds_per_tick(void);
uint32_t rtems_configuration_get_milliseconds_per_tick(void);
uint32_t rtems_configuration_get_ticks_per_timeslice(void);
#define RTEMS_MILLISECONDS_TO_TICKS(ms) \
  ((rtems_interval)(((uint64_t)(ms) * 1000u) / rtems_configuration_get_microseconds_per_tick()))
#define RTEMS_MICROSECONDS_TO_TICKS(us) \
  ((rtems_interval)((uint64_t)(us) / rtems_configuration_get_microseconds_per_tick()))

/* ---- interrupts ------------------------------------------------------------------------------------ */

typedef void (*rtems_interrupt_handler)(void *arg);
/* Installs a handler for a BSP vector (bsp.h names them: BSP_VECTOR_*) and enables the vector. */
rtems_status_code rtems_interrupt_handler_install(rtems_vector_number vector, const char *info, rtems_option options,
                                                  rtems_interrupt_handler handler, void *arg);
rtems_status_code rtems_interrupt_handler_remove(rtems_vector_number vector, rtems_interrupt_handler handler, void *arg);
/* True in an interrupt handler (and timer service routines). */
bool rtems_interrupt_is_in_progress(void);
/* Critical sections on the CPU port's _CPU_ISR_Disable/_Enable/_Flash (virtual IF on i386virt). */
#define rtems_interrupt_disable(level) _CPU_ISR_Disable(level)
#define rtems_interrupt_enable(level) _CPU_ISR_Enable(level)
#define rtems_interrupt_flash(level) _CPU_ISR_Flash(level)
#define rtems_interrupt_local_disable(level) _CPU_ISR_Disable(level)
#define rtems_interrupt_local_enable(level) _CPU_ISR_Enable(level)

/* ---- fatal errors and shutdown -------------------------------------------------------------------- */

typedef enum {
  RTEMS_FATAL_SOURCE_EXIT = 5,             /* rtems_shutdown_executive / exit: code is the exit status */
  RTEMS_FATAL_SOURCE_APPLICATION = 6,      /* rtems_fatal_error_occurred */
  RTEMS_FATAL_SOURCE_EXECUTIVE = 7,        /* the executive: a task returned, an internal inconsistency */
  RTEMS_FATAL_SOURCE_EXCEPTION = 9         /* an unexpected processor exception; the code is the vector */
} rtems_fatal_source;
typedef uintptr_t rtems_fatal_code;
/* Ends the system: the fatal path runs to bsp_reset(source, code) and never returns. */
void rtems_fatal(rtems_fatal_source source, uint32_t code) __attribute__((noreturn));
void rtems_fatal_error_occurred(uint32_t code) __attribute__((noreturn));
/* Normal end of the application: powers off with `status` as the exit code. */
void rtems_shutdown_executive(uint32_t status) __attribute__((noreturn));

/* ---- console ---------------------------------------------------------------------------------------- */

/* Formatted output on the BSP console: %d %i %u %x %X %o %s %c %p %%, with l/ll/z/h, width (or *),
   precision for %s, and the 0 - + space # flags. Usable with interrupts disabled and in handlers. */
int printk(const char *format, ...) __attribute__((format(printf, 1, 2)));
void rtems_putc(char c);

#include <rtems/score/cpu.h>

#ifdef __cplusplus
}
#endif

#endif /* PVRT_RTEMS_H */
