import type { BlockRequest, VcpuContext } from '../hypercall/context.js';
import { dispatchHypercall } from '../hypercall/dispatch.js';
import { EventNumber, Feature, hypercallByNumber, PvclockFlags, Status, Structs } from '../hypercall/generated/interface.js';
import type { LocalApic } from '../devices/lapic.js';
import type { Machine } from '../vm/machine.js';
import { CS, DS, EBX, ESP, Exit } from '../x86/state.js';
import { Action, ControlSlot, Request, RunState, StartSlot, StatSlot, statsWords, VcpuControl } from './control.js';

/** What a vCPU needs from the thread that hosts the VM: host I/O. Other vCPUs it reaches through their control blocks. */
export interface VcpuHost {
  console(bytes: Uint8Array): void;
  /** Up to `max` bytes of waiting console input. */
  consoleInput(max: number): Uint8Array;
  log(level: number, message: string): void;
  /** The VM's block devices; empty when it has none. */
  readonly drives: readonly DriveInfo[];
  /** Carries out a validated block request (asynchronously) and completes it in guest memory. */
  submitBlock(request: BlockRequest): void;
}

/** What a vCPU knows of a drive to validate requests: the I/O itself happens on the VM's I/O thread. */
export interface DriveInfo {
  readonly sectorCount: number;
  readonly readOnly: boolean;
  /** Requests in flight, shared by every vCPU: [count]. */
  readonly inFlight: Int32Array;
}

export type ClockKind = 'real' | 'virtual';

export interface VcpuOptions {
  vcpuId: number;
  clock: ClockKind;
  /** performance.timeOrigin + performance.now() at VM start, for the real clock (ms). */
  startTime: number;
  host: VcpuHost;
  /** Every vCPU's control block, by index (this vCPU's included): IPIs, vcpu_start, code invalidation. */
  peers: readonly VcpuControl[];
  /** Where this vCPU publishes its figures (shared, so the VM reads them while it runs). */
  stats?: Float64Array;
}

/** How a vCPU stopped. */
export type VcpuStop =
  | { kind: 'shutdown'; reason: number; code: number }
  | { kind: 'debug-exit'; code: number }
  | { kind: 'triple-fault'; reason: string; eip: number; bytes: number[] }
  | { kind: 'halted' }
  /** The guest pulsed the PC's reset line (port 0x92, i8042): the VM restarts, as for REBOOT. */
  | { kind: 'reset' }
  | { kind: 'stopped' };

export interface VcpuStats {
  instructions: number;
  /** Calls by hypercall name ("unknown" for numbers the spec does not define). */
  hypercalls: Record<string, number>;
  upcalls: number;
  /** Milliseconds spent asleep in wait_for_event or HLT. */
  waitMs: number;
  /** HLT exits and external interrupts delivered: what an unmodified guest costs instead of hypercalls. */
  halts: number;
  interrupts: number;
}

/** Stats slots: one per hypercall number, then UNKNOWN for numbers the spec does not define. */
const UNKNOWN = hypercallByNumber.length;
export const STATS_WORDS = statsWords(UNKNOWN);

/** Reads the figures a vCPU publishes. */
export function readStats(stats: Float64Array): VcpuStats {
  const hypercalls: Record<string, number> = {};
  for (let n = 0; n <= UNKNOWN; n++) {
    const count = stats[StatSlot.Hypercalls + n]!;
    if (count !== 0) hypercalls[hypercallByNumber[n]?.name ?? 'unknown'] = count;
  }
  return {
    instructions: stats[StatSlot.Instructions]!,
    hypercalls,
    upcalls: stats[StatSlot.Upcalls]!,
    waitMs: stats[StatSlot.WaitNs]! / 1e6,
    halts: stats[StatSlot.Halts]!,
    interrupts: stats[StatSlot.Interrupts]!,
  };
}

/**
 * Hypercalls after which the run loop has work: an upcall to deliver (wait_for_event and events_deliver
 * open the virtual IF on pending events; a registered page may already have some), a deadline that may
 * already have passed, a stop, a host yield. The others are served inside the CPU loop (the fast path).
 */
const LOOP_AFTER = new Set(['wait_for_event', 'events_deliver', 'shared_page_register', 'timer_set', 'yield', 'shutdown']);
const NEEDS_LOOP = hypercallByNumber.map((info) => info !== undefined && LOOP_AFTER.has(info.name));

/** Instructions per run slice: how often the loop looks at events, timers, requests and actions while busy. */
const SLICE = 20_000;
const SHARED = Structs.vcpu_shared.offset;
const PVCLOCK = Structs.pvclock_time.offset;

/**
 * One vCPU: the CPU run loop with the paravirtual interface around it. At every slice boundary it looks at
 * its control block (requests, queued actions, events); events move into the shared page's bitmap and,
 * when the guest's virtual IF is clear, enter the guest through an upcall. The same class runs in a
 * worker (vcpu/worker.ts) or, for tests, on the calling thread.
 */
export class Vcpu implements VcpuContext {
  readonly memory;
  readonly vcpuId: number;
  readonly vcpuCount: number;
  readonly features: readonly number[];
  readonly stats: Float64Array;
  private readonly control: VcpuControl;
  private page = -1;
  private upcallEntry = 0;
  /** Armed one-shot deadline in ns, or -1. */
  private deadline = -1;
  /** Events taken from the control block but not yet in a shared page (none registered yet). */
  private held = 0;
  /** Virtual time skipped while asleep with a timer armed (virtual clock only). */
  private skipped = 0;
  private stopInfo: VcpuStop | undefined;
  private readonly action = [0, 0];
  /** cpu.instructions when the PC devices were last brought up to date. */
  private devicesUpdatedAt = -Infinity;

  constructor(
    readonly machine: Machine,
    private readonly options: VcpuOptions,
  ) {
    this.memory = machine.memory;
    this.vcpuId = options.vcpuId;
    this.vcpuCount = options.peers.length;
    this.control = options.peers[options.vcpuId]!;
    this.stats = options.stats ?? new Float64Array(STATS_WORDS);
    this.features = [
      Feature.PVCLOCK.mask | Feature.CONSOLE_INPUT.mask | (this.vcpuCount > 1 ? Feature.SMP.mask : 0) | (options.host.drives.length > 0 ? Feature.BLOCK.mask : 0),
    ];
    const cpu = machine.cpu;
    cpu.hypercalls = true;
    // The TSC counts guest nanoseconds, so the shared page's pvclock is fixed: ns = tsc.
    cpu.tscSource = () => this.now();
    // x86 makes a store visible to every processor's instruction fetch: the writer goes on only once the
    // vCPUs running that code have dropped it (or sleep, and will before they run again).
    cpu.onForeignCodeWrite = (page, owners) => this.crosscall(owners, Action.InvalidateCode, page);
    cpu.onHypercall = () => this.serveHypercall();
  }

  /** A VMCALL, served inside the CPU loop; back to the run loop only when the call left it work. */
  private serveHypercall(): void {
    const cpu = this.machine.cpu;
    const number = cpu.regs[0]! >>> 0;
    this.count(StatSlot.Hypercalls + (hypercallByNumber[number] === undefined ? UNKNOWN : number), 1);
    dispatchHypercall(cpu, this);
    // `held`: events raised on this vCPU by the call itself (an IPI to self), for the upcall.
    if (NEEDS_LOOP[number] === true || this.held !== 0 || this.stopInfo !== undefined) cpu.requestExit();
  }

  // ---- VcpuContext --------------------------------------------------------------------------------

  get hasSharedPage(): boolean {
    return this.page >= 0;
  }

  get drives(): readonly DriveInfo[] {
    return this.options.host.drives;
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
    // pvclock: the TSC already counts nanoseconds, so system_time = 0 at tsc 0 and the scale is 1
    // ((delta << 1) * 2^31 >> 32). Written once; it stays current because the scale never changes.
    const time = page + SHARED.time;
    m.write32(time + PVCLOCK.version, 1);
    m.writeBytes(time + 4, new Uint8Array(Structs.pvclock_time.size - 4));
    m.write32(time + PVCLOCK.tsc_to_system_mul, 0x8000_0000 | 0);
    m.write8(time + PVCLOCK.tsc_shift, 1);
    // Under the virtual clock every vCPU counts its own instructions: readings across vCPUs are not ordered.
    m.write8(time + PVCLOCK.flags, this.options.clock === 'real' || this.vcpuCount === 1 ? PvclockFlags.TSC_STABLE : 0);
    m.write32(time + PVCLOCK.version, 2);
    this.page = page;
    this.upcallEntry = entry >>> 0;
    if (this.deadline >= 0) this.writeDeadline(this.deadline);
  }

  waitForEvent(): void {
    this.memory.write8(this.page + SHARED.upcall_mask, 0);
    const start = performance.now();
    const words = this.control.words;
    for (;;) {
      // The wake word is read before looking: a kick that lands after the look changes it, so the sleep below returns at once.
      const wake = Atomics.load(words, ControlSlot.Wake);
      this.collectEvents();
      if (this.eventsPending() || this.control.requests() & Request.Stop) break;
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
      this.sleep(timeout, RunState.Waiting, wake);
      if (this.control.requests() & Request.Pause) this.park();
    }
    this.count(StatSlot.WaitNs, (performance.now() - start) * 1e6);
  }

  yieldHost(): void {
    // One vCPU per host thread: nothing of ours could run instead, so this is a short pause for the host.
    Atomics.wait(this.control.words, ControlSlot.Wake, Atomics.load(this.control.words, ControlSlot.Wake), 0);
  }

  setTimer(deadline: number): void {
    this.deadline = deadline;
    this.control.deadline = deadline;
    if (this.page >= 0) this.writeDeadline(deadline);
  }

  cancelTimer(): void {
    this.deadline = -1;
    this.control.deadline = undefined;
    if (this.page >= 0) this.writeDeadline(0);
  }

  raiseEvent(vcpu: number, event: number): void {
    if (vcpu === this.vcpuId) this.held |= 1 << event;
    else this.options.peers[vcpu]!.raiseEvent(event);
  }

  startVcpu(vcpu: number, entry: number, stack: number, argument: number): number {
    if (vcpu >= this.vcpuCount) return Status.ENODEV;
    if (!this.memory.contains(entry >>> 0, 1)) return Status.EINVAL;
    const target = this.options.peers[vcpu]!;
    const w = target.words;
    if (Atomics.compareExchange(w, ControlSlot.State, RunState.Created, RunState.Starting) !== RunState.Created) return Status.EALREADY;
    const cpu = this.machine.cpu;
    const record = [0, entry, stack, argument, cpu.cr0, cpu.cr3, cpu.cr4, cpu.gdtBase, cpu.gdtLimit, cpu.idtBase, cpu.idtLimit, cpu.segSelector[CS]!, cpu.segSelector[DS]!];
    for (let i = 1; i < record.length; i++) Atomics.store(w, ControlSlot.Start + i, record[i]! | 0);
    Atomics.store(w, ControlSlot.Start + StartSlot.Ready, 1);
    target.kick();
    return Status.OK;
  }

  submitBlock(request: BlockRequest): void {
    this.options.host.submitBlock({ ...request, vcpu: this.vcpuId });
  }

  // ---- start, sleep, requests and actions ---------------------------------------------------------

  /**
   * A secondary vCPU: sleeps until it is started, by either of the two ways a guest has. A paravirtual
   * guest's vcpu_start publishes a start record: the vCPU enters at the entry in the starter's execution
   * mode (control registers and descriptor tables; flat segments with the starter's selectors) with the
   * stack and the argument in EBX, the i386 first argument register. An unmodified guest sends its local
   * APIC INIT and start-up IPIs: the vCPU enters real mode at the start-up vector's page. False if the VM
   * stopped first.
   */
  awaitStart(): boolean {
    const w = this.control.words;
    const lapic = this.machine.pc?.lapic;
    for (;;) {
      if (this.control.requests() & Request.Stop) return false;
      const wake = Atomics.load(w, ControlSlot.Wake);
      if (Atomics.load(w, ControlSlot.Start + StartSlot.Ready) === 1) break;
      if (lapic !== undefined) {
        lapic.takeInit();
        const vector = lapic.takeStartUp();
        // The start-up IPI claims the vCPU as vcpu_start does; if a vcpu_start claimed it first, its record follows.
        if (vector >= 0 && Atomics.compareExchange(w, ControlSlot.State, RunState.Created, RunState.Starting) === RunState.Created) {
          this.machine.cpu.startUp(vector);
          return true;
        }
      }
      Atomics.wait(w, ControlSlot.Wake, wake);
    }
    const get = (slot: StartSlot) => Atomics.load(w, ControlSlot.Start + slot);
    const cpu = this.machine.cpu;
    this.machine.enterFlatProtectedMode(get(StartSlot.Entry));
    cpu.setCr4(get(StartSlot.Cr4));
    cpu.setCr3(get(StartSlot.Cr3));
    cpu.setCr0(get(StartSlot.Cr0));
    cpu.gdtBase = get(StartSlot.GdtBase) >>> 0;
    cpu.gdtLimit = get(StartSlot.GdtLimit);
    cpu.idtBase = get(StartSlot.IdtBase) >>> 0;
    cpu.idtLimit = get(StartSlot.IdtLimit);
    cpu.setFlatSegments(get(StartSlot.CodeSelector), get(StartSlot.DataSelector), 0);
    cpu.regs[ESP] = get(StartSlot.Stack);
    cpu.regs[EBX] = get(StartSlot.Argument);
    return true;
  }

  /**
   * An INIT IPI arrived at a running vCPU: it stops where it is and waits for a start-up IPI (the SDM's
   * wait-for-SIPI state), then enters real mode at the vector's page. False if the VM stopped first.
   */
  private awaitStartUp(lapic: LocalApic): boolean {
    const w = this.control.words;
    for (;;) {
      const wake = Atomics.load(w, ControlSlot.Wake);
      if (this.control.requests() & Request.Stop) return false;
      lapic.takeInit(); // a second INIT changes nothing here
      const vector = lapic.takeStartUp();
      if (vector >= 0) {
        this.machine.cpu.startUp(vector);
        return true;
      }
      this.sleep(Infinity, RunState.Waiting, wake);
      if (this.control.requests() & Request.Pause) this.park();
    }
  }

  /**
   * Sleeps on the wake word in `state` until kicked (since the caller read `wake`, before it looked at what
   * it waits for) or `timeoutMs` passes. The queue is drained before the
   * state leaves Running and after it returns to Running, which is what makes `VcpuControl.answered` true.
   */
  private sleep(timeoutMs: number, state: RunState, wake: number): void {
    const w = this.control.words;
    this.drainActions();
    Atomics.store(w, ControlSlot.State, state);
    if (Atomics.wait(w, ControlSlot.Wake, wake, timeoutMs) !== 'timed-out') Atomics.add(w, ControlSlot.Wakeups, 1);
    Atomics.store(w, ControlSlot.State, RunState.Running);
    this.drainActions();
  }

  /**
   * A synchronous crosscall from this vCPU to the vCPUs in `targets` (a bitmap): returns once each has
   * answered (see VcpuControl.answered). While it waits it serves its own queue, so two vCPUs calling
   * each other cannot deadlock, and a stop request ends the wait.
   */
  crosscall(targets: number, kind: Action, argument: number): void {
    const peers = this.options.peers;
    const positions: number[] = [];
    for (let v = 0; v < peers.length; v++) if (targets & (1 << v)) positions[v] = peers[v]!.post(kind, argument);
    for (;;) {
      let waitingFor: VcpuControl | undefined;
      for (let v = 0; v < peers.length && waitingFor === undefined; v++) if (positions[v] !== undefined && !peers[v]!.answered(positions[v]!)) waitingFor = peers[v];
      if (waitingFor === undefined || this.control.requests() & Request.Stop) return;
      this.drainActions();
      const served = waitingFor.actions.served();
      Atomics.wait(waitingFor.words, waitingFor.actions.servedIndex, served, 0.05);
    }
  }

  /**
   * HLT with IF set, for unmodified guests on the PC platform: sleeps until the local APIC (or the PIC
   * through it) has an interrupt for this CPU, a timer's next event (skipped to on the virtual clock), or
   * a request. False when no interrupt can ever come: IF clear (the halt is final, even in an SMP VM: an
   * INIT does not revive a stopped vCPU), or a uniprocessor VM with no timer armed.
   */
  private haltUntilInterrupt(): boolean {
    const cpu = this.machine.cpu;
    const pc = this.machine.pc;
    if (pc === undefined || !cpu.interruptsEnabled) return false;
    const start = performance.now();
    let wake = 0;
    const woken = pc.haltUntilInterrupt(
      () => this.now(),
      (waitNs) => {
        if (this.control.requests() & Request.Stop) return false;
        if (this.options.clock === 'virtual' && waitNs !== Infinity) this.skipped += waitNs;
        else this.sleep(waitNs / 1e6, RunState.Waiting, wake);
        if (this.control.requests() & Request.Pause) this.park();
        return true;
      },
      // Another vCPU may still raise a line (SMP); alone, with no timer armed, nothing will.
      this.vcpuCount > 1,
      // Read before every look at the interrupts and requests: a kick after the look changes it, and the sleep returns at once.
      () => (wake = Atomics.load(this.control.words, ControlSlot.Wake)),
    );
    this.count(StatSlot.WaitNs, (performance.now() - start) * 1e6);
    return woken;
  }

  /** Stop-the-world: stays at this instruction boundary while the pause request stands. */
  private park(): void {
    for (;;) {
      const wake = Atomics.load(this.control.words, ControlSlot.Wake);
      if ((this.control.requests() & (Request.Pause | Request.Stop)) !== Request.Pause) return;
      this.sleep(Infinity, RunState.Paused, wake);
    }
  }

  private drainActions(): void {
    const cpu = this.machine.cpu;
    if (this.control.requests() & Request.InvalidateAllCode) {
      Atomics.and(this.control.words, ControlSlot.Requests, ~Request.InvalidateAllCode);
      cpu.invalidateAllCode();
    }
    const action = this.action;
    while (this.control.actions.pop(action)) {
      if (action[0] === Action.InvalidateCode) cpu.invalidateCode(action[1]! >>> 0);
      // Action.Sync needs nothing but being taken: the crosscaller waits for that.
    }
  }

  /** The slice boundary: requests, actions. False when the vCPU must stop. */
  private boundary(): boolean {
    const requests = this.control.requests();
    if (requests & Request.Stop) return false;
    if (requests & Request.Pause) {
      this.park();
      if (this.control.requests() & Request.Stop) return false;
    }
    if (requests & Request.InvalidateAllCode || this.control.actions.maybeReady()) this.drainActions();
    return true;
  }

  private count(slot: number, amount: number): void {
    this.stats[slot] = this.stats[slot]! + amount;
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
      this.control.deadline = undefined;
      if (this.page >= 0) this.writeDeadline(0);
      this.held |= 1 << EventNumber.TIMER;
    }
    this.held |= Atomics.exchange(this.control.words, ControlSlot.Events, 0);
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
    this.count(StatSlot.Upcalls, 1);
  }

  // ---- the run loop -------------------------------------------------------------------------------

  /** Runs until the guest stops, a triple fault, or a stop request; returns how it stopped. */
  run(): VcpuStop {
    const cpu = this.machine.cpu;
    const stats = this.stats;
    Atomics.store(this.control.words, ControlSlot.State, RunState.Running);
    this.drainActions();
    while (this.stopInfo === undefined) {
      if (!this.boundary()) {
        this.stopInfo = { kind: 'stopped' };
        break;
      }
      const lapic = this.machine.pc?.lapic;
      if (lapic?.takeInit() && !this.awaitStartUp(lapic)) {
        this.stopInfo = { kind: 'stopped' };
        break;
      }
      this.collectEvents();
      // The PC timers' lines, once per slice of instructions: not after every exit, which would put two
      // device locks on every hypercall's path.
      if (cpu.instructions - this.devicesUpdatedAt >= SLICE) {
        this.devicesUpdatedAt = cpu.instructions;
        this.machine.pc?.update();
      }
      try {
        this.deliverUpcall();
      } catch (e) {
        if (e !== cpu.fault) throw e;
        this.stopInfo = { kind: 'triple-fault', reason: 'the upcall frame could not be pushed', eip: cpu.eip >>> 0, bytes: [] };
        break;
      }
      const exit = cpu.run(SLICE);
      stats[StatSlot.Instructions] = cpu.instructions;
      stats[StatSlot.Interrupts] = cpu.interruptsTaken;
      if (this.machine.exitCode !== undefined) this.stopInfo = { kind: 'debug-exit', code: this.machine.exitCode };
      else if (this.machine.resetRequested) this.stopInfo = { kind: 'reset' };
      else if (exit === Exit.Shutdown) {
        const info = cpu.shutdownInfo!;
        this.stopInfo = { kind: 'triple-fault', reason: info.reason, eip: info.eip, bytes: info.bytes };
      } else if (exit === Exit.Hlt) {
        this.count(StatSlot.Halts, 1);
        // Interrupts off, or nothing that could ever raise one: the halt is final.
        if (!this.haltUntilInterrupt()) this.stopInfo = { kind: 'halted' };
      }
    }
    stats[StatSlot.Instructions] = cpu.instructions;
    Atomics.store(this.control.words, ControlSlot.State, RunState.Stopped);
    return this.stopInfo!;
  }
}
