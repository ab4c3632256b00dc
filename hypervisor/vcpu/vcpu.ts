import type { VcpuContext } from '../hypercall/context.js';
import { dispatchHypercall } from '../hypercall/dispatch.js';
import { EventNumber, hypercallByNumber, Structs } from '../hypercall/generated/interface.js';
import type { Machine } from '../vm/machine.js';
import { CS, Exit } from '../x86/state.js';
import { ControlSlot, Request, RunState } from './control.js';

/** What a vCPU needs from the thread that hosts it: host I/O and the other vCPUs. */
export interface VcpuHost {
  console(bytes: Uint8Array): void;
  /** Up to `max` bytes of waiting console input. */
  consoleInput(max: number): Uint8Array;
  log(level: number, message: string): void;
  /** Raises an event on another vCPU of the VM. */
  raiseEvent(vcpu: number, event: number): void;
}

export type ClockKind = 'real' | 'virtual';

export interface VcpuOptions {
  vcpuId: number;
  vcpuCount: number;
  clock: ClockKind;
  /** performance.timeOrigin + performance.now() at VM start, for the real clock (ms). */
  startTime: number;
  host: VcpuHost;
}

/** How a vCPU stopped. */
export type VcpuStop =
  | { kind: 'shutdown'; reason: number; code: number }
  | { kind: 'debug-exit'; code: number }
  | { kind: 'triple-fault'; reason: string; eip: number; bytes: number[] }
  | { kind: 'halted' }
  | { kind: 'stopped' };

export interface VcpuStats {
  instructions: number;
  hypercalls: Record<string, number>;
  upcalls: number;
  /** Milliseconds spent asleep in wait_for_event. */
  waitMs: number;
}

/** Instructions per run slice: how often the loop looks at events, timers and requests while busy. */
const SLICE = 20_000;

const SHARED = Structs.vcpu_shared.offset;

/**
 * One vCPU: the CPU run loop with the paravirtual interface around it. Events raised on the control block
 * move into the shared page's bitmap at instruction-slice boundaries and, when the guest's virtual IF is
 * clear, enter the guest through an upcall. The same class runs in a worker (vcpu/worker.ts) or, for
 * tests, on the calling thread.
 */
export class Vcpu implements VcpuContext {
  readonly memory;
  readonly vcpuId: number;
  readonly vcpuCount: number;
  readonly features: readonly number[];
  private page = -1;
  private upcallEntry = 0;
  /** Armed one-shot deadline in ns, or -1. */
  private deadline = -1;
  /** Events taken from the control block but not yet in a shared page (none registered yet). */
  private held = 0;
  /** Virtual time skipped while asleep with a timer armed (virtual clock only). */
  private skipped = 0;
  private stopInfo: VcpuStop | undefined;
  readonly stats: VcpuStats = { instructions: 0, hypercalls: {}, upcalls: 0, waitMs: 0 };

  constructor(
    readonly machine: Machine,
    private readonly control: Int32Array,
    private readonly options: VcpuOptions,
  ) {
    this.memory = machine.memory;
    this.vcpuId = options.vcpuId;
    this.vcpuCount = options.vcpuCount;
    // Word 0: SMP when there is more than one vCPU; console input is always connected.
    this.features = [(options.vcpuCount > 1 ? 1 << 1 : 0) | (1 << 2)];
  }

  // ---- VcpuContext --------------------------------------------------------------------------------

  get hasSharedPage(): boolean {
    return this.page >= 0;
  }

  consoleWrite(bytes: Uint8Array): void {
    this.options.host.console(bytes);
  }

  consoleRead(max: number): Uint8Array {
    return this.options.host.consoleInput(max);
  }

  now(): number {
    if (this.options.clock === 'virtual') return this.machine.cpu.instructions + this.skipped;
    return Math.floor((performance.timeOrigin + performance.now() - this.options.startTime) * 1e6);
  }

  shutdown(reason: number, code: number): void {
    this.stopInfo = { kind: 'shutdown', reason, code };
    this.machine.cpu.requestExit();
  }

  log(level: number, message: string): void {
    this.options.host.log(level, message);
  }

  registerSharedPage(page: number, entry: number): void {
    const m = this.memory;
    m.write32(page + SHARED.vcpu_id, this.vcpuId);
    m.write32(page + SHARED.vcpu_count, this.vcpuCount);
    m.write8(page + SHARED.upcall_mask, 1); // masked until the guest unmasks
    this.page = page;
    this.upcallEntry = entry >>> 0;
  }

  waitForEvent(): void {
    this.memory.write8(this.page + SHARED.upcall_mask, 0);
    const start = performance.now();
    const control = this.control;
    for (;;) {
      this.collectEvents();
      if (this.eventsPending() || Atomics.load(control, ControlSlot.Requests) & Request.Stop) break;
      let timeout = Infinity;
      if (this.deadline >= 0) {
        const wait = this.deadline - this.now();
        if (this.options.clock === 'virtual') {
          // Nothing runs while the guest waits: jump virtual time to the deadline.
          this.skipped += Math.max(wait, 0);
          continue;
        }
        timeout = Math.max(wait / 1e6, 0);
      }
      const wake = Atomics.load(control, ControlSlot.Wake);
      Atomics.store(control, ControlSlot.State, RunState.Waiting);
      Atomics.wait(control, ControlSlot.Wake, wake, timeout);
      Atomics.store(control, ControlSlot.State, RunState.Running);
    }
    this.stats.waitMs += performance.now() - start;
  }

  yieldHost(): void {
    // One vCPU per host thread: there is nothing of ours to run instead, so this is a pause for the host.
    Atomics.wait(this.control, ControlSlot.Wake, Atomics.load(this.control, ControlSlot.Wake), 0);
  }

  setTimer(deadline: number): void {
    this.deadline = deadline;
    if (this.page >= 0) this.writeDeadline(deadline);
  }

  cancelTimer(): void {
    this.deadline = -1;
    if (this.page >= 0) this.writeDeadline(0);
  }

  raiseEvent(vcpu: number, event: number): void {
    if (vcpu === this.vcpuId) this.held |= 1 << event;
    else this.options.host.raiseEvent(vcpu, event);
  }

  // ---- events and upcalls -------------------------------------------------------------------------

  private writeDeadline(ns: number): void {
    this.memory.write32(this.page + SHARED.timer_deadline, ns % 4294967296);
    this.memory.write32(this.page + SHARED.timer_deadline + 4, Math.floor(ns / 4294967296));
  }

  /** Takes raised events (and a due timer) and posts them to the shared page when there is one. */
  private collectEvents(): void {
    if (this.deadline >= 0 && this.now() >= this.deadline) {
      this.deadline = -1;
      if (this.page >= 0) this.writeDeadline(0);
      this.held |= 1 << EventNumber.TIMER;
    }
    this.held |= Atomics.exchange(this.control, ControlSlot.Events, 0);
    if (this.held !== 0 && this.page >= 0) {
      Atomics.or(this.memory.i32, (this.page + SHARED.events_pending) >> 2, this.held);
      this.memory.write8(this.page + SHARED.upcall_pending, 1);
      this.held = 0;
    }
  }

  private eventsPending(): boolean {
    return this.page >= 0 && (Atomics.load(this.memory.i32, (this.page + SHARED.events_pending) >> 2) !== 0 || this.memory.read8(this.page + SHARED.upcall_pending) !== 0);
  }

  /**
   * Enters the upcall if events are pending and the virtual IF is clear, as a ring-0 interrupt gate
   * would: EFLAGS, CS and EIP pushed on the current stack, the mask set, EIP at the registered entry.
   */
  private deliverUpcall(): void {
    if (this.page < 0 || this.memory.read8(this.page + SHARED.upcall_mask) !== 0 || !this.eventsPending()) return;
    const cpu = this.machine.cpu;
    cpu.push(cpu.getFlags(), 4);
    cpu.push(cpu.segSelector[CS]!, 4);
    cpu.push(cpu.eip, 4);
    this.memory.write8(this.page + SHARED.upcall_mask, 1);
    this.memory.write32(this.page + SHARED.upcall_count, this.memory.read32(this.page + SHARED.upcall_count) + 1);
    cpu.eip = this.upcallEntry;
    this.stats.upcalls++;
  }

  // ---- the run loop -------------------------------------------------------------------------------

  /** Runs until the guest stops, a triple fault, or a stop request; returns how it stopped. */
  run(): VcpuStop {
    const cpu = this.machine.cpu;
    cpu.hypercalls = true;
    Atomics.store(this.control, ControlSlot.State, RunState.Running);
    while (this.stopInfo === undefined) {
      if (Atomics.load(this.control, ControlSlot.Requests) & Request.Stop) {
        this.stopInfo = { kind: 'stopped' };
        break;
      }
      this.collectEvents();
      try {
        this.deliverUpcall();
      } catch (e) {
        if (e !== cpu.fault) throw e;
        this.stopInfo = { kind: 'triple-fault', reason: 'the upcall frame could not be pushed', eip: cpu.eip >>> 0, bytes: [] };
        break;
      }
      const exit = cpu.run(SLICE);
      if (this.machine.exitCode !== undefined) this.stopInfo = { kind: 'debug-exit', code: this.machine.exitCode };
      else if (exit === Exit.Hypercall) {
        const name = hypercallByNumber[cpu.regs[0]! >>> 0]?.name ?? 'unknown';
        this.stats.hypercalls[name] = (this.stats.hypercalls[name] ?? 0) + 1;
        dispatchHypercall(cpu, this);
      } else if (exit === Exit.Shutdown) {
        const info = cpu.shutdownInfo!;
        this.stopInfo = { kind: 'triple-fault', reason: info.reason, eip: info.eip, bytes: info.bytes };
      } else if (exit === Exit.Hlt) {
        // Nothing can interrupt a paravirtual vCPU through its IF: a halt with no upcall possible is final.
        this.stopInfo = { kind: 'halted' };
      }
    }
    this.stats.instructions = cpu.instructions;
    Atomics.store(this.control, ControlSlot.State, RunState.Stopped);
    return this.stopInfo!;
  }
}
