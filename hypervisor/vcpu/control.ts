/**
 * The per-vCPU control block: an Int32Array over its own SharedArrayBuffer, shared by the vCPU worker
 * (the one consumer) and every producer (the main thread, timers, other vCPUs). Producers set event
 * bits atomically and bump the wake word; the worker sleeps on the wake word with Atomics.wait.
 */
export const enum ControlSlot {
  /** RunState of the vCPU (written by the worker). */
  State = 0,
  /** Pending event bitmap: bit n is event n of the spec (set by producers, taken by the worker). */
  Events = 1,
  /** Incremented with every kick; the worker waits on its value. */
  Wake = 2,
  /** Requests from the main thread (Request bits). */
  Requests = 3,
}

export const CONTROL_WORDS = 8;

export const enum RunState {
  Created = 0,
  Running = 1,
  /** Sleeping in wait_for_event (or HLT): costs no host CPU. */
  Waiting = 2,
  Stopped = 3,
}

export const enum Request {
  Stop = 1,
}

export function createControlBlock(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
}

/** Wakes the vCPU if it sleeps, so it looks at its events and requests at its next instruction boundary. */
export function kick(control: Int32Array): void {
  Atomics.add(control, ControlSlot.Wake, 1);
  Atomics.notify(control, ControlSlot.Wake);
}

/** Raises an event on a vCPU: sets its bit and kicks it. Safe from any thread. */
export function raiseEvent(control: Int32Array, event: number): void {
  Atomics.or(control, ControlSlot.Events, 1 << event);
  kick(control);
}

export function request(control: Int32Array, bits: number): void {
  Atomics.or(control, ControlSlot.Requests, bits);
  kick(control);
}
