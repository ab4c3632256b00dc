/*
 * Watchdogs: timeouts and timers counted in clock ticks, in one list ordered by expiry. Equal expiries
 * keep the order they were armed in, so timers due at the same tick fire in a reproducible order.
 */
#include "executive.h"

volatile rtems_interval _Watchdog_Ticks_since_boot;
static Chain_Control _Watchdog_Chain;

void _Watchdog_Initialize(void)
{
  _Chain_Initialize_empty(&_Watchdog_Chain);
}

/* a is due before b, modulo 2^32 ticks. */
static bool _Watchdog_Before(rtems_interval a, rtems_interval b)
{
  return (int32_t)(a - b) < 0;
}

void _Watchdog_Insert(Watchdog_Control *watchdog, rtems_interval interval)
{
  _Watchdog_Remove(watchdog);
  watchdog->expires = _Watchdog_Ticks_since_boot + interval;
  Chain_Node *before = &_Watchdog_Chain.sentinel;
  for (Chain_Node *node = _Chain_First(&_Watchdog_Chain); !_Chain_Is_sentinel(&_Watchdog_Chain, node); node = node->next) {
    if (_Watchdog_Before(watchdog->expires, CONTAINER_OF(node, Watchdog_Control, node)->expires)) {
      before = node;
      break;
    }
  }
  _Chain_Insert_before(before, &watchdog->node);
  watchdog->active = true;
}

void _Watchdog_Remove(Watchdog_Control *watchdog)
{
  if (!watchdog->active) return;
  _Chain_Extract(&watchdog->node);
  watchdog->active = false;
}

void _Watchdog_Tick(void)
{
  rtems_interval now = ++_Watchdog_Ticks_since_boot;
  while (!_Chain_Is_empty(&_Watchdog_Chain)) {
    Watchdog_Control *first = CONTAINER_OF(_Chain_First(&_Watchdog_Chain), Watchdog_Control, node);
    if (_Watchdog_Before(now, first->expires)) break;
    _Watchdog_Remove(first);
    first->routine(first); /* may re-arm itself: at least one tick later, so the loop ends */
  }
}
