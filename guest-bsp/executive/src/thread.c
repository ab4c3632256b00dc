/*
 * Threads: the scheduler's ready queues, blocking and unblocking, priorities (inheritance and ceilings),
 * dispatching, task stacks and object slots.
 */
#include "executive.h"

Thread_Control _Thread_Table[RTEMS_MAXIMUM_TASKS];
Thread_Control _Thread_Idle;
Thread_Control *volatile _Thread_Executing;
volatile bool _Thread_Dispatch_necessary;
bool _System_is_up;

/* The thread whose x87 state is in the FPU: floating-point state moves only between FP tasks. */
static Thread_Control *_Thread_Fp_owner;

/* ---- objects ---------------------------------------------------------------------------------------- */

static uint32_t _Objects_Free_counter;

static Objects_Control *_Objects_Slot(void *table, size_t stride, size_t index)
{
  return (Objects_Control *)(void *)((char *)table + index * stride);
}

Objects_Control *_Objects_Allocate(void *table, size_t stride, size_t count, uint32_t class_base, rtems_name name)
{
  Objects_Control *chosen = NULL;
  size_t chosen_index = 0;
  for (size_t i = 0; i < count; i++) {
    Objects_Control *object = _Objects_Slot(table, stride, i);
    if (!object->in_use && (chosen == NULL || object->freed_at < chosen->freed_at)) {
      chosen = object;
      chosen_index = i;
    }
  }
  if (chosen == NULL) return NULL;
  chosen->in_use = true;
  chosen->name = name;
  chosen->id = class_base | ((uint32_t)chosen->generation << 8) | (uint32_t)(chosen_index + 1);
  return chosen;
}

void _Objects_Free(Objects_Control *object)
{
  object->in_use = false;
  object->id = 0;
  object->generation++;
  object->freed_at = ++_Objects_Free_counter;
}

Objects_Control *_Objects_Get(void *table, size_t stride, size_t count, uint32_t class_base, rtems_id id)
{
  if ((id & 0xffff0000u) != class_base) return NULL;
  uint32_t index = id & 0xffu;
  if (index == 0 || index > count) return NULL;
  Objects_Control *object = _Objects_Slot(table, stride, index - 1);
  return object->in_use && object->id == id ? object : NULL;
}

Objects_Control *_Objects_Find_name(void *table, size_t stride, size_t count, rtems_name name)
{
  for (size_t i = 0; i < count; i++) {
    Objects_Control *object = _Objects_Slot(table, stride, i);
    if (object->in_use && object->name == name) return object;
  }
  return NULL;
}

/* ---- task stacks -------------------------------------------------------------------------------------- */

static uint8_t _Stack_Default_space[RTEMS_DEFAULT_STACK_SPACE_SIZE] __attribute__((aligned(16)));

/*
 * First fit between the stacks of the live tasks: no allocator metadata in the pool, so a stack overflow
 * can corrupt a neighbour but never the allocator.
 */
uint8_t *_Stack_Allocate(size_t size)
{
  uintptr_t start = (uintptr_t)(Configuration.stack_space != NULL ? Configuration.stack_space : _Stack_Default_space);
  size_t pool_size = Configuration.stack_space != NULL ? Configuration.stack_space_size : sizeof _Stack_Default_space;
  uintptr_t pool_end = (start + pool_size) & ~(uintptr_t)15;
  struct {
    uintptr_t start, end;
  } used[RTEMS_MAXIMUM_TASKS + 1];
  size_t n = 0;

  size = (size + 15) & ~(size_t)15;
  start = (start + 15) & ~(uintptr_t)15;
  for (size_t i = 0; i <= RTEMS_MAXIMUM_TASKS; i++) {
    Thread_Control *thread = i < RTEMS_MAXIMUM_TASKS ? &_Thread_Table[i] : &_Thread_Idle;
    if (thread->stack == NULL) continue;
    size_t j = n++;
    /* Insertion by address. */
    while (j > 0 && used[j - 1].start > (uintptr_t)thread->stack) {
      used[j] = used[j - 1];
      j--;
    }
    used[j].start = (uintptr_t)thread->stack;
    used[j].end = (uintptr_t)thread->stack + thread->stack_size;
  }
  uintptr_t cursor = start;
  for (size_t i = 0; i < n; i++) {
    if (used[i].start >= cursor && used[i].start - cursor >= size) break;
    if (used[i].end > cursor) cursor = used[i].end;
  }
  if (cursor > pool_end || pool_end - cursor < size) return NULL;
  /* Did the loop stop at a gap, or run past every stack? Either way, [cursor, cursor + size) is free. */
  return (uint8_t *)cursor;
}

/* ---- scheduler ------------------------------------------------------------------------------------------ */

#define PRIORITY_LEVELS (RTEMS_MAXIMUM_PRIORITY + 1)

static Chain_Control _Scheduler_Ready[PRIORITY_LEVELS];
static uint32_t _Scheduler_Bitmap[PRIORITY_LEVELS / 32];
/* A yield or timeslice switch happens even when the executing thread is not preemptible. */
static bool _Scheduler_Force_switch;

void _Scheduler_Initialize(void)
{
  for (size_t p = 0; p < PRIORITY_LEVELS; p++) _Chain_Initialize_empty(&_Scheduler_Ready[p]);
}

static void _Scheduler_Insert(Thread_Control *thread, bool prepend)
{
  rtems_task_priority p = thread->current_priority;
  if (prepend)
    _Chain_Prepend(&_Scheduler_Ready[p], &thread->scheduler_node);
  else
    _Chain_Append(&_Scheduler_Ready[p], &thread->scheduler_node);
  _Scheduler_Bitmap[p / 32] |= 1u << (p % 32);
  _Thread_Dispatch_necessary = true;
}

static void _Scheduler_Extract(Thread_Control *thread)
{
  rtems_task_priority p = thread->current_priority;
  _Chain_Extract(&thread->scheduler_node);
  if (_Chain_Is_empty(&_Scheduler_Ready[p])) _Scheduler_Bitmap[p / 32] &= ~(1u << (p % 32));
  _Thread_Dispatch_necessary = true;
}

void _Scheduler_Unblock(Thread_Control *thread)
{
  _Scheduler_Insert(thread, false);
}

void _Scheduler_Block(Thread_Control *thread)
{
  _Scheduler_Extract(thread);
}

void _Scheduler_Yield(Thread_Control *thread)
{
  if (thread->state == STATES_READY) {
    _Scheduler_Extract(thread);
    _Scheduler_Insert(thread, false);
  }
  _Scheduler_Force_switch = true;
  _Thread_Dispatch_necessary = true;
}

Thread_Control *_Scheduler_Highest(void)
{
  for (size_t word = 0; word < PRIORITY_LEVELS / 32; word++) {
    if (_Scheduler_Bitmap[word] != 0) {
      rtems_task_priority p = (rtems_task_priority)(word * 32 + (size_t)__builtin_ctz(_Scheduler_Bitmap[word]));
      return CONTAINER_OF(_Chain_First(&_Scheduler_Ready[p]), Thread_Control, scheduler_node);
    }
  }
  return NULL;
}

void _Scheduler_Tick(void)
{
  Thread_Control *executing = _Thread_Executing;
  if (executing == NULL || !executing->is_timeslicing || !executing->is_preemptible || executing->state != STATES_READY) return;
  if (executing->timeslice_budget > 1) {
    executing->timeslice_budget--;
    return;
  }
  executing->timeslice_budget = Configuration.ticks_per_timeslice;
  _Scheduler_Yield(executing);
}

/* ---- thread queues ---------------------------------------------------------------------------------------- */

void _Thread_queue_Initialize(Thread_queue_Control *queue, rtems_attribute attributes)
{
  _Chain_Initialize_empty(&queue->waiters);
  queue->priority_ordered = (attributes & RTEMS_PRIORITY) != 0;
}

Thread_Control *_Thread_queue_First(Thread_queue_Control *queue)
{
  if (_Chain_Is_empty(&queue->waiters)) return NULL;
  return CONTAINER_OF(_Chain_First(&queue->waiters), Thread_Control, wait_node);
}

/* FIFO, or by priority with arrival order among equals. */
static void _Thread_queue_Insert(Thread_queue_Control *queue, Thread_Control *thread)
{
  Chain_Node *before = &queue->waiters.sentinel;
  if (queue->priority_ordered) {
    for (Chain_Node *node = _Chain_First(&queue->waiters); !_Chain_Is_sentinel(&queue->waiters, node); node = node->next) {
      if (CONTAINER_OF(node, Thread_Control, wait_node)->current_priority > thread->current_priority) {
        before = node;
        break;
      }
    }
  }
  _Chain_Insert_before(before, &thread->wait_node);
}

uint32_t _Thread_queue_Flush(Thread_queue_Control *queue, rtems_status_code status)
{
  uint32_t count = 0;
  Thread_Control *waiter;
  while ((waiter = _Thread_queue_First(queue)) != NULL) {
    _Thread_Unblock(waiter, status);
    count++;
  }
  return count;
}

/* ---- priorities -------------------------------------------------------------------------------------------- */

void _Thread_Change_priority(Thread_Control *thread, rtems_task_priority priority, bool prepend)
{
  if (thread->current_priority == priority) return;
  if (thread->state == STATES_READY) {
    _Scheduler_Extract(thread);
    thread->current_priority = priority;
    _Scheduler_Insert(thread, prepend);
  } else {
    thread->current_priority = priority;
  }
  if (thread->wait.queue != NULL && thread->wait.queue->priority_ordered) {
    _Chain_Extract(&thread->wait_node);
    _Thread_queue_Insert(thread->wait.queue, thread);
  }
}

/* The priority a thread must run at: its own, or more important as its mutexes demand. */
static rtems_task_priority _Thread_Priority_needed(const Thread_Control *thread)
{
  rtems_task_priority priority = thread->real_priority;
  for (const Semaphore_Control *mutex = thread->held_mutexes; mutex != NULL; mutex = mutex->next_held) {
    if (mutex->attributes & RTEMS_PRIORITY_CEILING) {
      if (mutex->ceiling < priority) priority = mutex->ceiling;
    } else if (mutex->attributes & RTEMS_INHERIT_PRIORITY) {
      Thread_Control *first = _Thread_queue_First((Thread_queue_Control *)&mutex->wait_queue);
      if (first != NULL && first->current_priority < priority) priority = first->current_priority;
    }
  }
  return priority;
}

void _Thread_Update_priority(Thread_Control *thread, bool prepend)
{
  /* Follows owner -> mutex it waits for -> that mutex's owner; the bound stops a deadlocked cycle. */
  for (unsigned hops = 0; thread != NULL && hops <= RTEMS_MAXIMUM_TASKS + 1; hops++) {
    rtems_task_priority needed = _Thread_Priority_needed(thread);
    if (needed == thread->current_priority) return;
    _Thread_Change_priority(thread, needed, prepend);
    Semaphore_Control *awaited = thread->wait.mutex;
    if (!(thread->state & STATES_WAITING) || awaited == NULL || !(awaited->attributes & RTEMS_INHERIT_PRIORITY)) return;
    thread = awaited->owner;
  }
}

/* ---- blocking ------------------------------------------------------------------------------------------------ */

rtems_status_code _Thread_Block(Thread_Wait_kind kind, Thread_queue_Control *queue, Semaphore_Control *mutex,
                                rtems_interval timeout, rtems_status_code timeout_status)
{
  Thread_Control *executing = _Thread_Executing;
  executing->wait.kind = kind;
  executing->wait.status = RTEMS_SUCCESSFUL;
  executing->wait.timeout_status = timeout_status;
  executing->wait.mutex = mutex;
  executing->wait.queue = queue;
  if (queue != NULL) _Thread_queue_Insert(queue, executing);
  _Scheduler_Block(executing);
  executing->state |= STATES_WAITING;
  if (timeout != RTEMS_NO_TIMEOUT) _Watchdog_Insert(&executing->timer, timeout);
  if (mutex != NULL && (mutex->attributes & RTEMS_INHERIT_PRIORITY) && mutex->owner != NULL)
    _Thread_Update_priority(mutex->owner, true);
  _Thread_Do_dispatch();
  return executing->wait.status;
}

void _Thread_Unblock(Thread_Control *thread, rtems_status_code status)
{
  if (!(thread->state & STATES_WAITING)) return;
  Semaphore_Control *mutex = thread->wait.mutex;
  if (thread->wait.queue != NULL) {
    _Chain_Extract(&thread->wait_node);
    thread->wait.queue = NULL;
  }
  thread->wait.mutex = NULL;
  thread->wait.kind = WAIT_NONE;
  _Watchdog_Remove(&thread->timer);
  thread->wait.status = status;
  thread->state &= ~STATES_WAITING;
  if (thread->state == STATES_READY) _Scheduler_Unblock(thread);
  /* A waiter that leaves (timeout, deletion) no longer lends its priority to the owner. */
  if (mutex != NULL && (mutex->attributes & RTEMS_INHERIT_PRIORITY) && mutex->owner != NULL)
    _Thread_Update_priority(mutex->owner, true);
}

static void _Thread_Timeout(Watchdog_Control *watchdog)
{
  Thread_Control *thread = CONTAINER_OF(watchdog, Thread_Control, timer);
  _Thread_Unblock(thread, thread->wait.timeout_status);
}

/* ---- stack guard: a pattern at the bottom of every stack, checked when its task is switched out ---------- */

#define STACK_GUARD_WORDS 4
#define STACK_GUARD_PATTERN 0xa5a5a5a5u

static void _Stack_Guard_set(const Thread_Control *thread)
{
  uint32_t *bottom = (uint32_t *)(void *)thread->stack;
  for (int i = 0; i < STACK_GUARD_WORDS; i++) bottom[i] = STACK_GUARD_PATTERN;
}

static void _Stack_Guard_check(const Thread_Control *thread)
{
  const uint32_t *bottom = (const uint32_t *)(const void *)thread->stack;
  for (int i = 0; i < STACK_GUARD_WORDS; i++) {
    if (bottom[i] != STACK_GUARD_PATTERN) {
      printk("fatal: task 0x%08x overflowed its stack of %u bytes\n", (unsigned)thread->object.id, (unsigned)thread->stack_size);
      _Internal_error(RTEMS_INVALID_SIZE);
    }
  }
}

/* ---- dispatching ---------------------------------------------------------------------------------------------- */

void _Thread_Do_dispatch(void)
{
  while (_Thread_Dispatch_necessary) {
    _Thread_Dispatch_necessary = false;
    Thread_Control *executing = _Thread_Executing;
    Thread_Control *heir = _Scheduler_Highest();
    /* A ready executing thread keeps the processor against equals, and against everyone when it is not
       preemptible, unless it gave the processor up (yield, timeslice). */
    if (executing->state == STATES_READY && !_Scheduler_Force_switch &&
        (!executing->is_preemptible || heir->current_priority >= executing->current_priority))
      heir = executing;
    _Scheduler_Force_switch = false;
    if (heir == executing) continue;

    if (executing->stack != NULL) _Stack_Guard_check(executing);
    heir->timeslice_budget = Configuration.ticks_per_timeslice;
    _Thread_Executing = heir;
    if (heir->is_fp && _Thread_Fp_owner != heir) {
      if (_Thread_Fp_owner != NULL) _CPU_Context_save_fp(&_Thread_Fp_owner->fp_context);
      _CPU_Context_restore_fp(&heir->fp_context);
      _Thread_Fp_owner = heir;
    }
    _CPU_Context_switch(&executing->context, &heir->context);
    /* Running again, interrupts still disabled: look once more in case something changed meanwhile. */
  }
}

void _Thread_Start_multitasking(void)
{
  Thread_Control *heir = _Scheduler_Highest();
  _Thread_Executing = heir;
  heir->timeslice_budget = Configuration.ticks_per_timeslice;
  _Thread_Dispatch_necessary = false;
  _Scheduler_Force_switch = false;
  _System_is_up = true;
  if (heir->is_fp) {
    _CPU_Context_restore_fp(&heir->fp_context);
    _Thread_Fp_owner = heir;
  }
  _CPU_Context_restore(&heir->context);
}

/* Every task begins here, interrupts disabled, on its own stack. */
static void _Thread_Handler(void)
{
  Thread_Control *executing = _Thread_Executing;
  _CPU_ISR_Set_level(executing->initial_modes & RTEMS_INTERRUPT_MASK);
  executing->entry(executing->argument);
  /* Returning from a task body is a fatal error, as in RTEMS: a task ends with rtems_task_delete(RTEMS_SELF). */
  rtems_fatal(RTEMS_FATAL_SOURCE_EXECUTIVE, RTEMS_TASK_EXITTED);
}

/* ---- life cycle ------------------------------------------------------------------------------------------------ */

Thread_Control *_Thread_Get(rtems_id id)
{
  /* The idle task is no application task: RTEMS_SELF in an interrupt that came while idling names none. */
  if (id == RTEMS_SELF) return _Thread_Executing == &_Thread_Idle ? NULL : _Thread_Executing;
  return (Thread_Control *)_Objects_Get(_Thread_Table, sizeof _Thread_Table[0], RTEMS_MAXIMUM_TASKS, OBJECTS_ID_TASK, id);
}

void _Thread_Initialize(Thread_Control *thread, rtems_task_priority priority, rtems_mode modes, rtems_attribute attributes)
{
  thread->state = STATES_DORMANT;
  thread->real_priority = priority;
  thread->current_priority = priority;
  thread->initial_priority = priority;
  thread->initial_modes = modes;
  thread->is_preemptible = (modes & RTEMS_PREEMPT_MASK) == RTEMS_PREEMPT;
  thread->is_timeslicing = (modes & RTEMS_TIMESLICE_MASK) == RTEMS_TIMESLICE;
  thread->asr_disabled = (modes & RTEMS_ASR_MASK) == RTEMS_NO_ASR;
  thread->timeslice_budget = Configuration.ticks_per_timeslice;
  thread->attributes = attributes;
  thread->is_fp = (attributes & RTEMS_FLOATING_POINT) != 0;
  thread->entry = NULL;
  thread->argument = 0;
  thread->wait.kind = WAIT_NONE;
  thread->wait.queue = NULL;
  thread->wait.mutex = NULL;
  thread->wait.status = RTEMS_SUCCESSFUL;
  thread->timer.active = false;
  thread->timer.routine = _Thread_Timeout;
  thread->pending_events = 0;
  thread->held_mutexes = NULL;
  /* Self-linked nodes: in no chain. */
  thread->wait_node.next = thread->wait_node.previous = &thread->wait_node;
  thread->scheduler_node.next = thread->scheduler_node.previous = &thread->scheduler_node;
  if (thread->is_fp) thread->fp_context = _CPU_Null_fp_context;
}

void _Thread_Start(Thread_Control *thread, rtems_task_entry entry, rtems_task_argument argument)
{
  thread->entry = entry;
  thread->argument = argument;
  _Stack_Guard_set(thread);
  _CPU_Context_Initialize(&thread->context, thread->stack, thread->stack_size, _Thread_Handler);
  thread->state &= ~STATES_DORMANT;
  if (thread->state == STATES_READY) _Scheduler_Unblock(thread);
}

void _Thread_Close(Thread_Control *thread)
{
  if (thread->state & STATES_WAITING) _Thread_Unblock(thread, RTEMS_OBJECT_WAS_DELETED);
  if (thread->state == STATES_READY) _Scheduler_Extract(thread);
  _Watchdog_Remove(&thread->timer);
  while (thread->held_mutexes != NULL) {
    Semaphore_Control *mutex = thread->held_mutexes;
    thread->held_mutexes = mutex->next_held;
    mutex->next_held = NULL;
    _Semaphore_Surrender_on_delete(mutex);
  }
  if (_Thread_Fp_owner == thread) _Thread_Fp_owner = NULL;
  thread->state = STATES_DELETED;
  thread->stack = NULL; /* frees the stack */
  _Objects_Free(&thread->object);
}
