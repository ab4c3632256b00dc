import { RecordQueue } from '../base/rings.js';

/**
 * The per-vCPU control block: an Int32Array over its own SharedArrayBuffer, shared by the vCPU (the one
 * consumer) and every producer (the main thread, device completions, other vCPUs). Idempotent things are
 * bits (events, requests); things that carry an argument are records in the action queue. Producers kick
 * the wake word; the vCPU sleeps on it with Atomics.wait.
 */
export const enum ControlSlot {
  /** RunState of the vCPU (written by the vCPU, or Created -> Starting by vcpu_start). */
  State = 0,
  /** Pending event bitmap: bit n is event n of the spec (set by producers, taken by the vCPU). */
  Events = 1,
  /** Incremented with every kick; the vCPU waits on its value. */
  Wake = 2,
  /** Request bits (Request), idempotent. */
  Requests = 3,
  /** Times the vCPU returned from a sleep because it was kicked (not by its own timeout). */
  Wakeups = 4,
  /**
   * How a secondary vCPU starts (StartSlot words from here): written by the vCPU whose vcpu_start claimed
   * it (State Created -> Starting), then published by StartReady = 1.
   */
  Start = 5,
  /** The armed one-shot deadline in ns (low and high words; -1, -1 when none), for whoever looks on. */
  DeadlineLow = 5 + 13,
  DeadlineHigh = 5 + 14,
  /** The action queue's words start here. */
  Queue = 5 + 15,
}

/** The start record vcpu_start leaves for a secondary vCPU: where it enters and the starter's execution mode. */
export const enum StartSlot {
  Ready = 0,
  Entry = 1,
  Stack = 2,
  Argument = 3,
  Cr0 = 4,
  Cr3 = 5,
  Cr4 = 6,
  GdtBase = 7,
  GdtLimit = 8,
  IdtBase = 9,
  IdtLimit = 10,
  CodeSelector = 11,
  DataSelector = 12,
}

export const enum RunState {
  /** Not started: a secondary vCPU waits for vcpu_start. */
  Created = 0,
  /** vcpu_start has given it an entry; it is on its way to Running. */
  Starting = 1,
  Running = 2,
  /** Sleeping in wait_for_event (or HLT): costs no host CPU. */
  Waiting = 3,
  /** Parked at an instruction boundary by a pause request (stop-the-world). */
  Paused = 4,
  Stopped = 5,
}

export const enum Request {
  Stop = 1,
  /** Park at the next instruction boundary until the bit clears. */
  Pause = 2,
  /** Forget every decoded instruction (what a full action queue degrades to). */
  InvalidateAllCode = 4,
}

/** Queued actions: records of [kind, argument]. */
export const enum Action {
  /** Forget decoded code of the physical page in the argument (another vCPU or a device wrote it). */
  InvalidateCode = 1,
  /** Nothing but an answer: a crosscall barrier ("you have passed an instruction boundary"). */
  Sync = 2,
}

const QUEUE_CAPACITY = 64;
const RECORD_WORDS = 2;
export const CONTROL_WORDS = ControlSlot.Queue + RecordQueue.wordsFor(QUEUE_CAPACITY, RECORD_WORDS);

/** A vCPU's control block and action queue, built over a SharedArrayBuffer any thread can hold. */
export class VcpuControl {
  readonly words: Int32Array;
  readonly actions: RecordQueue;

  constructor(
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(CONTROL_WORDS * 4),
    init = true,
  ) {
    this.words = new Int32Array(buffer);
    this.actions = new RecordQueue(this.words, ControlSlot.Queue, QUEUE_CAPACITY, RECORD_WORDS, init);
    if (init) this.deadline = undefined;
  }

  /** The same control block seen from another thread. */
  static attach(buffer: SharedArrayBuffer): VcpuControl {
    return new VcpuControl(buffer, false);
  }

  get state(): RunState {
    return Atomics.load(this.words, ControlSlot.State) as RunState;
  }

  /** The armed timer deadline in ns, or undefined. Written by the vCPU, read by anyone. */
  get deadline(): number | undefined {
    const high = Atomics.load(this.words, ControlSlot.DeadlineHigh);
    return high < 0 ? undefined : high * 4294967296 + (Atomics.load(this.words, ControlSlot.DeadlineLow) >>> 0);
  }

  set deadline(ns: number | undefined) {
    Atomics.store(this.words, ControlSlot.DeadlineLow, ns === undefined ? -1 : ns % 4294967296 | 0);
    Atomics.store(this.words, ControlSlot.DeadlineHigh, ns === undefined ? -1 : Math.floor(ns / 4294967296));
  }

  /** Wakes the vCPU if it sleeps, so it looks at its events and requests at its next instruction boundary. */
  kick(): void {
    Atomics.add(this.words, ControlSlot.Wake, 1);
    Atomics.notify(this.words, ControlSlot.Wake);
  }

  /** Raises an event: sets its bit and kicks. Safe from any thread. */
  raiseEvent(event: number): void {
    Atomics.or(this.words, ControlSlot.Events, 1 << event);
    this.kick();
  }

  request(bits: number): void {
    Atomics.or(this.words, ControlSlot.Requests, bits);
    this.kick();
  }

  clearRequest(bits: number): void {
    Atomics.and(this.words, ControlSlot.Requests, ~bits);
    this.kick();
  }

  requests(): number {
    return Atomics.load(this.words, ControlSlot.Requests);
  }

  /**
   * Queues an action without waking a sleeping vCPU: it is drained when the vCPU next passes an instruction
   * boundary, which for a waiting vCPU is when it wakes for a reason of its own (VMware's offlining). A
   * running vCPU looks at its queue every slice. Returns the record's position, or -1 when the queue was full
   * and the action degraded to its idempotent request bit.
   */
  post(kind: Action, argument = 0): number {
    const position = this.actions.push([kind, argument]);
    if (position >= 0) return position;
    // Only code invalidation is ever posted in bulk; forgetting all code is always a correct superset.
    Atomics.or(this.words, ControlSlot.Requests, Request.InvalidateAllCode);
    return -1;
  }

  /**
   * Whether the vCPU has answered the action at `position`: it took it from the queue, or it is at an
   * instruction boundary it cannot leave without draining the queue first (waiting, paused, stopped, not
   * started). The vCPU's side of that promise: it sets Running before it drains, and drains before it sleeps.
   */
  answered(position: number): boolean {
    if (position >= 0 && this.actions.served() - position > 0) return true;
    return this.state !== RunState.Running;
  }
}

/**
 * Per-vCPU figures in shared memory, written only by the vCPU (so plain stores suffice) and read by anyone
 * at any time: `vm.stats()` needs no crosscall and never wakes a sleeping vCPU.
 */
export const enum StatSlot {
  Instructions = 0,
  Upcalls = 1,
  WaitNs = 2,
  /** HLT exits (unmodified guests). */
  Halts = 3,
  /** External interrupts delivered from the PIC (unmodified guests). */
  Interrupts = 4,
  /** Then one counter per hypercall number, then one for unknown numbers. */
  Hypercalls = 5,
}

export function statsWords(hypercallCount: number): number {
  return StatSlot.Hypercalls + hypercallCount + 1;
}


/** Device counters per bus in a vCPU's figures (the last one counts accesses that reached no device). */
export const DEVICE_SLOTS = 64;
