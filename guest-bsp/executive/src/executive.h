/*
 * The executive's private interface: objects, the scheduler, thread queues, watchdogs and dispatching.
 *
 * Concurrency model: one processor, and every executive data structure is changed only with interrupts
 * disabled (_CPU_ISR_Disable). A directive disables interrupts, does its work, may block or make a
 * dispatch necessary, and enables interrupts with the level it saved on its own stack. Interrupt handlers
 * run with interrupts disabled and never dispatch; _ISR_Leave dispatches once the outermost ends.
 */
#ifndef PVRT_EXECUTIVE_H
#define PVRT_EXECUTIVE_H

#include <rtems.h>
#include <rtems/bsp-interface.h>
#include <rtems/config.h>

/* ---- intrusive doubly linked lists with a sentinel --------------------------------------------- */

typedef struct Chain_Node {
  struct Chain_Node *next;
  struct Chain_Node *previous;
} Chain_Node;

typedef struct {
  Chain_Node sentinel;
} Chain_Control;

#define CONTAINER_OF(pointer, type, member) ((type *)(void *)((char *)(pointer) - offsetof(type, member)))

static inline void _Chain_Initialize_empty(Chain_Control *chain)
{
  chain->sentinel.next = &chain->sentinel;
  chain->sentinel.previous = &chain->sentinel;
}

static inline bool _Chain_Is_empty(const Chain_Control *chain)
{
  return chain->sentinel.next == &chain->sentinel;
}

static inline Chain_Node *_Chain_First(Chain_Control *chain)
{
  return chain->sentinel.next;
}

static inline bool _Chain_Is_sentinel(const Chain_Control *chain, const Chain_Node *node)
{
  return node == &chain->sentinel;
}

static inline void _Chain_Insert_before(Chain_Node *before, Chain_Node *node)
{
  node->next = before;
  node->previous = before->previous;
  before->previous->next = node;
  before->previous = node;
}

static inline void _Chain_Append(Chain_Control *chain, Chain_Node *node)
{
  _Chain_Insert_before(&chain->sentinel, node);
}

static inline void _Chain_Prepend(Chain_Control *chain, Chain_Node *node)
{
  _Chain_Insert_before(chain->sentinel.next, node);
}

static inline void _Chain_Extract(Chain_Node *node)
{
  node->previous->next = node->next;
  node->next->previous = node->previous;
  node->next = node;
  node->previous = node;
}

/* ---- object identifiers ------------------------------------------------------------------------- */

/*
 * RTEMS's layout: class in bits 27-31, API in 24-26, node 1 in 16-23, index in 0-15. The index is the
 * slot number plus one in its low byte and a generation count in its high byte, so an identifier of a
 * deleted object stays invalid after its slot is reused (the first object of a class gets RTEMS's
 * identifier, e.g. 0x0a010001 for the first task).
 */
#define OBJECTS_ID_TASK 0x0a010000u
#define OBJECTS_ID_TIMER 0x12010000u
#define OBJECTS_ID_SEMAPHORE 0x1a010000u
#define OBJECTS_ID_MESSAGE_QUEUE 0x22010000u
#define OBJECTS_ID_IDLE 0x09010001u

typedef struct {
  rtems_id id;
  rtems_name name;
  bool in_use;
  uint8_t generation;
  uint32_t freed_at; /* allocation order: the slot freed longest ago is reused first, as in RTEMS */
} Objects_Control;

/* Picks a free slot of `count` objects laid out `stride` bytes apart; NULL when all are used. */
Objects_Control *_Objects_Allocate(void *table, size_t stride, size_t count, uint32_t class_base, rtems_name name);
void _Objects_Free(Objects_Control *object);
/* The object `id` names in a table, or NULL. */
Objects_Control *_Objects_Get(void *table, size_t stride, size_t count, uint32_t class_base, rtems_id id);
/* The first object in use with this name, or NULL. */
Objects_Control *_Objects_Find_name(void *table, size_t stride, size_t count, rtems_name name);

/* ---- watchdogs: tick-based timeouts, ordered by expiry ----------------------------------------- */

typedef struct Watchdog_Control {
  Chain_Node node;
  rtems_interval expires; /* in ticks since boot; compared modulo 2^32 */
  bool active;
  void (*routine)(struct Watchdog_Control *watchdog);
} Watchdog_Control;

void _Watchdog_Initialize(void);
/* Arms `watchdog` to run its routine `interval` ticks from now (interval > 0); re-arming moves it. */
void _Watchdog_Insert(Watchdog_Control *watchdog, rtems_interval interval);
void _Watchdog_Remove(Watchdog_Control *watchdog);
/* Counts one tick and runs the routines that are due (from the clock tick, in interrupt context). */
void _Watchdog_Tick(void);
extern volatile rtems_interval _Watchdog_Ticks_since_boot;

/* ---- thread queues ---------------------------------------------------------------------------------- */

typedef struct {
  Chain_Control waiters;
  bool priority_ordered; /* RTEMS_PRIORITY; else FIFO */
} Thread_queue_Control;

struct Thread_Control;
void _Thread_queue_Initialize(Thread_queue_Control *queue, rtems_attribute attributes);
struct Thread_Control *_Thread_queue_First(Thread_queue_Control *queue);
/* Wakes every waiter with `status` (flush, delete). Returns how many. */
uint32_t _Thread_queue_Flush(Thread_queue_Control *queue, rtems_status_code status);

/* ---- semaphores (here because mutexes take part in priority inheritance) ------------------------ */

typedef struct Semaphore_Control {
  Objects_Control object;
  rtems_attribute attributes;
  uint32_t count;                        /* counting and simple binary semaphores */
  rtems_task_priority ceiling;           /* RTEMS_PRIORITY_CEILING */
  struct Thread_Control *owner;          /* binary semaphores (mutexes) */
  uint32_t nest_count;
  struct Semaphore_Control *next_held;   /* the owner's list of mutexes it holds */
  Thread_queue_Control wait_queue;
} Semaphore_Control;

/* A mutex that was held by a deleted task: handed to its first waiter or freed. */
void _Semaphore_Surrender_on_delete(Semaphore_Control *mutex);

/* ---- threads ------------------------------------------------------------------------------------------ */

/* Thread states: 0 means ready (in the scheduler's ready queues). */
#define STATES_READY 0x00u
#define STATES_DORMANT 0x01u   /* created, not started */
#define STATES_SUSPENDED 0x02u
#define STATES_WAITING 0x04u   /* on a thread queue, for events, or for a delay */
#define STATES_DELETED 0x08u   /* deleted itself and waits for the switch away */

typedef enum { WAIT_NONE, WAIT_QUEUE, WAIT_EVENTS, WAIT_DELAY } Thread_Wait_kind;

typedef struct Thread_Control {
  Objects_Control object;
  Context_Control context;
  Chain_Node scheduler_node;   /* in a ready queue while ready */
  Chain_Node wait_node;        /* in a thread queue while waiting on one */
  uint32_t state;
  rtems_task_priority real_priority;     /* what create/set_priority gave it */
  rtems_task_priority current_priority;  /* what it runs at: raised by inheritance and ceilings */
  rtems_task_priority initial_priority;
  rtems_mode initial_modes;
  bool is_preemptible;
  bool is_timeslicing;
  bool asr_disabled;          /* stored for rtems_task_mode; signals (ASRs) are not implemented */
  uint32_t timeslice_budget;  /* ticks left in its timeslice */
  rtems_attribute attributes;
  bool is_fp;
  uint8_t *stack;
  size_t stack_size;
  rtems_task_entry entry;
  rtems_task_argument argument;
  struct {
    Thread_Wait_kind kind;
    Thread_queue_Control *queue;
    Semaphore_Control *mutex;       /* the mutex it waits for (inheritance chains) */
    rtems_status_code status;       /* what the directive returns once it runs again */
    rtems_status_code timeout_status;
    rtems_event_set events;         /* events: the condition */
    rtems_option option;
    rtems_event_set *event_out;
    void *buffer;                   /* message queues: where a message goes */
    size_t *size;
  } wait;
  Watchdog_Control timer;
  rtems_event_set pending_events;
  Semaphore_Control *held_mutexes;
  Context_Control_fp fp_context;
} Thread_Control;

extern Thread_Control _Thread_Table[RTEMS_MAXIMUM_TASKS];
extern Thread_Control _Thread_Idle;
extern Thread_Control *volatile _Thread_Executing;
extern volatile bool _Thread_Dispatch_necessary;
extern volatile uint32_t _ISR_Nest_level;
extern bool _System_is_up;

static inline bool _ISR_Is_in_progress(void)
{
  return _ISR_Nest_level != 0;
}

/* The task `id` names (RTEMS_SELF: the executing one), or NULL. */
Thread_Control *_Thread_Get(rtems_id id);
/* Fills in a thread that was allocated, with its stack; it stays dormant. */
void _Thread_Initialize(Thread_Control *thread, rtems_task_priority priority, rtems_mode modes, rtems_attribute attributes);
void _Thread_Start(Thread_Control *thread, rtems_task_entry entry, rtems_task_argument argument);
/* Removes a thread from everything it takes part in (delete). */
void _Thread_Close(Thread_Control *thread);

/* A task stack from the configured stack space; freed by clearing the owner's stack pointer. */
uint8_t *_Stack_Allocate(size_t size);

/* Scheduler: a FIFO per priority and a bitmap of the non-empty ones. */
void _Scheduler_Initialize(void);
void _Scheduler_Unblock(Thread_Control *thread);   /* to the tail of its priority */
void _Scheduler_Block(Thread_Control *thread);
void _Scheduler_Yield(Thread_Control *thread);     /* to the tail of its priority, even when not preemptible */
Thread_Control *_Scheduler_Highest(void);

/*
 * Blocks the executing thread (interrupts disabled): on `queue` if not NULL, for `timeout` ticks if not
 * RTEMS_NO_TIMEOUT (then it gets `timeout_status`). Waiting on a mutex with inheritance passes its
 * priority on to the owner. Returns, interrupts still disabled, the status the waker gave.
 */
rtems_status_code _Thread_Block(Thread_Wait_kind kind, Thread_queue_Control *queue, Semaphore_Control *mutex,
                                rtems_interval timeout, rtems_status_code timeout_status);
/* Ends a thread's wait with `status` (interrupts disabled; legal in interrupt context). */
void _Thread_Unblock(Thread_Control *thread, rtems_status_code status);
/* Recomputes a thread's current priority from its real one and the mutexes it holds, and passes changes
   on along the chain of mutex owners. */
void _Thread_Update_priority(Thread_Control *thread, bool prepend);
/* Changes the priority a thread runs at, moving it in the ready queue or its thread queue. */
void _Thread_Change_priority(Thread_Control *thread, rtems_task_priority priority, bool prepend);

/* Switches to the heir while a dispatch is necessary; interrupts disabled, not in an interrupt. */
void _Thread_Do_dispatch(void);
/* Directive epilogue: dispatches if needed and allowed (with interrupts disabled). */
static inline void _Thread_Dispatch_if_needed(void)
{
  if (_Thread_Dispatch_necessary && _System_is_up && !_ISR_Is_in_progress()) _Thread_Do_dispatch();
}
void _Thread_Start_multitasking(void) __attribute__((noreturn));

/* Tick accounting for the executing thread's timeslice. */
void _Scheduler_Tick(void);

/* Copies without the C library (interrupts may be disabled; the size is bounded by the caller). */
void _Executive_copy(void *destination, const void *source, size_t size);

/* The fatal path shared by the executive's own checks. */
void _Internal_error(uint32_t code) __attribute__((noreturn));

#endif /* PVRT_EXECUTIVE_H */
