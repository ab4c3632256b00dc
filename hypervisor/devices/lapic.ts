import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import type { InterruptSource } from '../x86/io.js';
import { DeliveryMode, messageFrom, type ApicMessage } from './apic-bus.js';

export const LAPIC_BASE = 0xfee00000;
export const LAPIC_SIZE = 0x1000;
export const MSR_APIC_BASE = 0x1b;
export const MSR_TSC_DEADLINE = 0x6e0;

/** Version 0x14 (an integrated APIC) with six LVT entries, as QEMU's. */
const VERSION = 0x14 | (5 << 16);

// ---- shared state: one block of words per local APIC, all blocks in one SharedArrayBuffer ------------
// The words other vCPUs touch (IRR, TMR, the summary, INIT and SIPI) change only by atomic operations,
// so the interrupt path needs no lock; everything else is written by the owning vCPU alone and read by
// others (ID, LDR, DFR, TPR, SVR for routing) with atomic loads.

const ID = 0;
const LDR = 1;
const DFR = 2;
const SVR = 3;
const TPR = 4;
/** Non-zero when IRR may hold a request: set by senders after the IRR bit, cleared by the owner when IRR is empty. */
const REQUESTED = 5;
/** INIT received and not yet acted on (count of INITs). */
const INIT = 6;
/** A start-up IPI: 0x100 | vector, until the vCPU takes it. */
const SIPI = 7;
const IRR = 8;
const ISR = 16;
const TMR = 24;
const LVT = 32; // six entries: timer, thermal, performance, LINT0, LINT1, error (register order 0x32-0x37)
const LVT_CMCI = 38;
const ICR_LOW = 39;
const ICR_HIGH = 40;
const TIMER_INITIAL = 41;
const TIMER_DIVIDE = 42;
const ESR = 43;
/** IA32_APIC_BASE bits 8-11: BSP (bit 8) and global enable (bit 11). */
const BASE_FLAGS = 44;
/** Float64 slots (index into a Float64Array over the block) for the timer, in guest ns. */
const F_TIMER_START = 24; // words 48-49
const F_TIMER_NEXT = 25; // words 50-51: next expiry, or -1
const F_TSC_DEADLINE = 26; // words 52-53: the IA32_TSC_DEADLINE value as written
export const LAPIC_BLOCK_WORDS = 64;

const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_COUNT = 6;

const LVT_MASKED = 1 << 16;
const TIMER_PERIODIC = 1 << 17;
const TIMER_TSC_DEADLINE = 2 << 17;
const TIMER_MODE = 3 << 17;
/** Writable bits of each LVT entry: vector, delivery mode, polarity, trigger, mask (the timer: its mode). */
const LVT_WRITABLE = [0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
const SVR_ENABLE = 0x100;
const BASE_BSP = 0x100;
const BASE_ENABLE = 0x800;
/** ICR bit 14: level assert; an INIT with this clear (INIT level de-assert) does nothing on these APICs. */
const ICR_ASSERT = 1 << 14;
const ICR_WRITABLE = 0xccfff;

/** Creates the shared state for `count` local APICs in their reset state, APIC IDs 0..count-1, the first the BSP. */
export function createLapicState(count: number): Int32Array {
  const state = new Int32Array(new SharedArrayBuffer(count * LAPIC_BLOCK_WORDS * 4));
  for (let i = 0; i < count; i++) {
    const block = state.subarray(i * LAPIC_BLOCK_WORDS, (i + 1) * LAPIC_BLOCK_WORDS);
    block[ID] = i;
    block[BASE_FLAGS] = BASE_ENABLE | (i === 0 ? BASE_BSP : 0);
    resetRegisters(block, i === 0);
  }
  return state;
}

/** The register state after reset or INIT (the ID and IA32_APIC_BASE survive both). */
function resetRegisters(block: Int32Array, bsp: boolean): void {
  for (const i of [TPR, REQUESTED, ICR_LOW, ICR_HIGH, TIMER_INITIAL, TIMER_DIVIDE, ESR, LDR]) block[i] = 0;
  for (let i = 0; i < 8; i++) block[IRR + i] = block[ISR + i] = block[TMR + i] = 0;
  block[DFR] = -1;
  block[SVR] = 0xff;
  for (let i = 0; i < LVT_COUNT; i++) block[LVT + i] = LVT_MASKED;
  block[LVT_CMCI] = LVT_MASKED;
  // The BSP's LINT0 takes the 8259's INTR as ExtINT (virtual wire mode), as a PC's firmware leaves it and
  // QEMU resets it: unmodified guests that never touch the APIC get their PIC interrupts.
  if (bsp) block[LVT + LVT_LINT0] = DeliveryMode.ExtInt << 8;
  const timer = new Float64Array(block.buffer, block.byteOffset, LAPIC_BLOCK_WORDS / 2);
  timer[F_TIMER_START] = 0;
  timer[F_TIMER_NEXT] = -1;
  timer[F_TSC_DEADLINE] = 0;
}

const highestBit = (word: number): number => 31 - Math.clz32(word);

/**
 * The local APICs of a VM as the sender of a message sees them: finds the destinations of a message and
 * accepts it into their registers. Lock-free: requests are atomic ORs into the target's IRR, and the target
 * is woken through `wake(index)`. It implements the ApicBus the IOAPIC and the local APICs deliver on.
 */
export class ApicRouter {
  constructor(
    private readonly state: Int32Array,
    readonly count: number,
    /** Makes vCPU `index` look at its local APIC soon (it may sleep in HLT). */
    private readonly wake: (index: number) => void,
  ) {
    if (state.length < count * LAPIC_BLOCK_WORDS) throw new RangeError(`lapic: the state holds ${state.length / LAPIC_BLOCK_WORDS} APICs, not ${count}`);
  }

  private word(index: number, slot: number): number {
    return Atomics.load(this.state, index * LAPIC_BLOCK_WORDS + slot);
  }

  /** Delivers by the message's destination (physical APIC ID, 0xff for all, or a logical mask). */
  deliver(message: ApicMessage): void {
    const targets: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.matches(i, message)) targets.push(i);
    this.deliverTo(targets, message);
  }

  /** Delivers to local APICs by index (the ICR's destination shorthands). */
  deliverTo(targets: readonly number[], message: ApicMessage): void {
    if (targets.length === 0) return;
    if (message.mode === DeliveryMode.LowestPriority) {
      // Arbitration: the lowest task priority wins, ties to the lowest index.
      let best = targets[0]!;
      for (const t of targets) if ((this.word(t, TPR) & 0xff) < (this.word(best, TPR) & 0xff)) best = t;
      targets = [best];
    }
    for (const t of targets) this.accept(t, message);
  }

  private matches(index: number, m: ApicMessage): boolean {
    if (!m.logical) return m.destination === 0xff || (this.word(index, ID) & 0xff) === m.destination;
    const logicalId = (this.word(index, LDR) >>> 24) & 0xff;
    if ((this.word(index, DFR) >>> 28) === 0xf) return (logicalId & m.destination) !== 0; // flat model
    // Cluster model: the high nibbles name the cluster (15 is all), the low nibbles are a mask within it.
    const cluster = m.destination >>> 4;
    return (cluster === 0xf || cluster === logicalId >>> 4) && (logicalId & m.destination & 0xf) !== 0;
  }

  private accept(index: number, m: ApicMessage): void {
    const base = index * LAPIC_BLOCK_WORDS;
    const s = this.state;
    switch (m.mode) {
      case DeliveryMode.Fixed:
      case DeliveryMode.LowestPriority: {
        const word = m.vector >>> 5;
        const bit = 1 << (m.vector & 31);
        if (m.level) Atomics.or(s, base + TMR + word, bit);
        else Atomics.and(s, base + TMR + word, ~bit);
        Atomics.or(s, base + IRR + word, bit);
        Atomics.store(s, base + REQUESTED, 1);
        break;
      }
      case DeliveryMode.Init:
        // A start-up IPI from before this INIT is void; the ones after it count.
        Atomics.store(s, base + SIPI, 0);
        Atomics.add(s, base + INIT, 1);
        break;
      case DeliveryMode.StartUp:
        Atomics.store(s, base + SIPI, 0x100 | (m.vector & 0xff));
        break;
      default:
        // SMI, NMI and ExtINT messages are not modelled: nothing on this platform sends them but a guest's
        // ICR, and they are dropped (see LocalApic's doc comment).
        return;
    }
    this.wake(index);
  }
}

export interface LocalApicOptions {
  /** Guest time in ns: the timer counts one tick per ns before the divider (a 1 GHz bus, as QEMU's). */
  now(): number;
  /** The TSC value now, for the TSC-deadline mode. */
  tsc(): number;
  /** What LINT0 is wired to: the 8259 pair's INTR, on the boot processor. */
  lint0?: InterruptSource;
  /** The EOI broadcast for a level-triggered vector, to the IOAPIC. */
  onLevelEoi?: (vector: number) => void;
}

/**
 * One vCPU's local APIC: the register page at 0xfee00000 (MMIO, per vCPU), IA32_APIC_BASE and
 * IA32_TSC_DEADLINE, and the CPU's interrupt source (its own requests, then LINT0's ExtINT from the PIC).
 * The timer has no host callback: `nextEventNs()` tells the run loop when it must come back, `update()`
 * raises what is due.
 *
 * Choices (Intel SDM vol. 3 ch. 10, and QEMU's PC where they differ on what a guest can see):
 * - Fixed and lowest-priority interrupts are accepted into IRR even while the APIC is software-disabled
 *   (SVR bit 8), but delivered only once it is enabled, as QEMU does. LINT0 passes the PIC's interrupt
 *   when unmasked, or when the APIC is globally disabled (IA32_APIC_BASE bit 11 clear).
 * - Software-disabling masks every LVT entry, and LVT writes keep the mask while disabled (SDM 10.4.7.2).
 *   The reset state is the exception a PC's firmware leaves: the BSP's LINT0 unmasked as ExtINT.
 * - The ICR sends at once: the delivery-status bit always reads 0. INIT level de-assert is ignored.
 *   SMI, NMI and ExtINT messages are dropped: no device here sends them and the CPU has no NMI input.
 * - ESR reads 0: illegal vectors are not reported (vectors below 16 are delivered like any other).
 * - The timer counts at 1 GHz divided by the divide configuration. A periodic timer that fell several
 *   periods behind raises one interrupt (IRR holds one request per vector) and keeps its phase.
 * - IA32_APIC_BASE keeps the register page at 0xfee00000: a written base is stored but the page does not
 *   move (no guest of this platform relocates it).
 * - TSC-deadline mode (CPUID.1:ECX bit 24): the deadline is in TSC units, which on this platform count
 *   guest ns; it fires when the TSC reaches it and then reads 0.
 */
export class LocalApic implements BusDevice, InterruptSource {
  readonly name = 'lapic';
  private readonly s: Int32Array;
  private readonly timer: Float64Array;

  constructor(
    state: Int32Array,
    readonly index: number,
    private readonly router: ApicRouter,
    private readonly options: LocalApicOptions,
  ) {
    if (index < 0 || index >= router.count) throw new RangeError(`lapic: no local APIC ${index} (0-${router.count - 1})`);
    this.s = state.subarray(index * LAPIC_BLOCK_WORDS, (index + 1) * LAPIC_BLOCK_WORDS);
    this.timer = new Float64Array(this.s.buffer, this.s.byteOffset, LAPIC_BLOCK_WORDS / 2);
  }

  get apicId(): number {
    return this.s[ID]! & 0xff;
  }

  get isBsp(): boolean {
    return (this.s[BASE_FLAGS]! & BASE_BSP) !== 0;
  }

  private get enabled(): boolean {
    return (this.s[BASE_FLAGS]! & BASE_ENABLE) !== 0 && (this.s[SVR]! & SVR_ENABLE) !== 0;
  }

  // ---- the CPU's interrupt source --------------------------------------------------------------------

  /** The vector that would be delivered now, or -1. */
  private deliverable(): number {
    if (Atomics.load(this.s, REQUESTED) === 0 || !this.enabled) return -1;
    let vector = this.highest(IRR);
    if (vector < 0) {
      // Clear the summary, then look again: a sender that set a bit meanwhile also set the summary after it.
      Atomics.store(this.s, REQUESTED, 0);
      vector = this.highest(IRR);
      if (vector < 0) return -1;
      Atomics.store(this.s, REQUESTED, 1);
    }
    return vector >>> 4 > this.processorPriority() >>> 4 ? vector : -1;
  }

  pending(): boolean {
    return this.deliverable() >= 0 || this.extIntPending();
  }

  acknowledge(): number {
    const vector = this.deliverable();
    if (vector >= 0) {
      Atomics.and(this.s, IRR + (vector >>> 5), ~(1 << (vector & 31)));
      this.s[ISR + (vector >>> 5)]! |= 1 << (vector & 31);
      return vector;
    }
    if (this.extIntPending()) return this.options.lint0!.acknowledge();
    // The request went away between pending() and here: the spurious vector, as the SDM's INTA race.
    return this.s[SVR]! & 0xff;
  }

  private extIntPending(): boolean {
    const lint0 = this.options.lint0;
    if (lint0 === undefined) return false;
    const passes = (this.s[BASE_FLAGS]! & BASE_ENABLE) === 0 || (this.s[LVT + LVT_LINT0]! & LVT_MASKED) === 0;
    return passes && lint0.pending();
  }

  /** Highest set bit of a 256-bit register (IRR, ISR), or -1. */
  private highest(register: number): number {
    for (let w = 7; w >= 0; w--) {
      const bits = register === IRR ? Atomics.load(this.s, IRR + w) : this.s[register + w]!;
      if (bits !== 0) return w * 32 + highestBit(bits);
    }
    return -1;
  }

  private processorPriority(): number {
    const tpr = this.s[TPR]! & 0xff;
    const isrv = Math.max(this.highest(ISR), 0);
    return (tpr >>> 4) >= (isrv >>> 4) ? tpr : isrv & 0xf0;
  }

  // ---- INIT and start-up IPIs, taken by the vCPU ----------------------------------------------------

  /** True once if an INIT arrived since the last call: the APIC's registers are reset (ID and base kept). */
  takeInit(): boolean {
    if (Atomics.load(this.s, INIT) === 0) return false;
    Atomics.store(this.s, INIT, 0);
    resetRegisters(this.s, false);
    return true;
  }

  /** The vector of a start-up IPI that arrived, once; -1 when none. */
  takeStartUp(): number {
    const sipi = Atomics.exchange(this.s, SIPI, 0);
    return sipi === 0 ? -1 : sipi & 0xff;
  }

  // ---- the timer ------------------------------------------------------------------------------------

  private get timerMode(): number {
    return this.s[LVT + LVT_TIMER]! & TIMER_MODE;
  }

  /** Guest ns per timer tick: the divide configuration's 1, 2, 4 ... 128. */
  private get tickNs(): number {
    const d = this.s[TIMER_DIVIDE]!;
    const shift = (((d >>> 1) & 4) | (d & 3)) + 1;
    return shift === 8 ? 1 : 1 << shift;
  }

  /** When the timer next needs the run loop (guest ns), or undefined. */
  nextEventNs(): number | undefined {
    const next = this.timer[F_TIMER_NEXT]!;
    return next < 0 ? undefined : next;
  }

  /** Raises the timer's interrupt if it is due. */
  update(): void {
    const next = this.timer[F_TIMER_NEXT]!;
    if (next < 0) return;
    const now = this.options.now();
    if (now < next) return;
    const lvt = this.s[LVT + LVT_TIMER]!;
    if ((lvt & LVT_MASKED) === 0) this.router.deliverTo([this.index], { vector: lvt & 0xff, mode: DeliveryMode.Fixed, logical: false, destination: 0, level: false });
    if ((lvt & TIMER_MODE) === TIMER_PERIODIC) {
      const period = (this.s[TIMER_INITIAL]! >>> 0) * this.tickNs; // unsigned: counts of 2^31 and more
      this.timer[F_TIMER_NEXT] = next + period * (Math.floor((now - next) / period) + 1);
    } else {
      this.timer[F_TIMER_NEXT] = -1;
      if ((lvt & TIMER_MODE) === TIMER_TSC_DEADLINE) this.timer[F_TSC_DEADLINE] = 0;
    }
  }

  private startTimer(): void {
    const initial = this.s[TIMER_INITIAL]! >>> 0;
    const now = this.options.now();
    this.timer[F_TIMER_START] = now;
    this.timer[F_TIMER_NEXT] = initial === 0 || this.timerMode === TIMER_TSC_DEADLINE ? -1 : now + initial * this.tickNs;
  }

  private currentCount(): number {
    const next = this.timer[F_TIMER_NEXT]!;
    const initial = this.s[TIMER_INITIAL]! >>> 0;
    // A stopped timer reads 0, in periodic mode too (a mode change stops it).
    if (this.timerMode === TIMER_TSC_DEADLINE || initial === 0 || next < 0) return 0;
    const elapsed = Math.floor((this.options.now() - this.timer[F_TIMER_START]!) / this.tickNs);
    if (this.timerMode === TIMER_PERIODIC) return initial - (elapsed % initial);
    return Math.max(initial - elapsed, 0);
  }

  private armDeadline(deadline: number): void {
    // SDM 10.5.4.1: in other timer modes IA32_TSC_DEADLINE ignores writes and reads 0.
    if (this.timerMode !== TIMER_TSC_DEADLINE) return;
    this.timer[F_TSC_DEADLINE] = deadline;
    // The TSC counts guest ns here, so the deadline's distance in TSC units is its distance in ns.
    this.timer[F_TIMER_NEXT] = deadline === 0 ? -1 : this.options.now() + Math.max(deadline - this.options.tsc(), 0);
  }

  // ---- MSRs -------------------------------------------------------------------------------------------

  readMsr(index: number): [number, number] | undefined {
    if (index === MSR_APIC_BASE) return [LAPIC_BASE | this.s[BASE_FLAGS]!, 0];
    if (index === MSR_TSC_DEADLINE) {
      const d = this.timer[F_TSC_DEADLINE]!;
      return [d % 4294967296 | 0, Math.floor(d / 4294967296) | 0];
    }
    return undefined;
  }

  writeMsr(index: number, low: number, high: number): boolean {
    if (index === MSR_APIC_BASE) {
      Atomics.store(this.s, BASE_FLAGS, (this.s[BASE_FLAGS]! & BASE_BSP) | (low & BASE_ENABLE));
      return true;
    }
    if (index === MSR_TSC_DEADLINE) {
      this.armDeadline((high >>> 0) * 4294967296 + (low >>> 0));
      return true;
    }
    return false;
  }

  // ---- the register page ------------------------------------------------------------------------------

  read(offset: number, size: AccessSize): number {
    // Registers are 32 bits wide on 16-byte boundaries; narrower reads see the low bytes of the register.
    const value = this.readRegister(offset >>> 4);
    return (value >>> ((offset & 3) * 8)) & (size === 4 ? -1 : size === 2 ? 0xffff : 0xff);
  }

  write(offset: number, size: AccessSize, value: number): void {
    // Only aligned 32-bit writes reach a register, as on hardware (narrower writes are undefined there).
    if (size !== 4 || (offset & 15) !== 0) return;
    this.writeRegister(offset >>> 4, value);
  }

  private readRegister(r: number): number {
    const s = this.s;
    if (r >= 0x10 && r < 0x18) return s[ISR + r - 0x10]!;
    if (r >= 0x18 && r < 0x20) return s[TMR + r - 0x18]!;
    if (r >= 0x20 && r < 0x28) return Atomics.load(s, IRR + r - 0x20);
    if (r >= 0x32 && r < 0x38) return s[LVT + r - 0x32]!;
    switch (r) {
      case 0x02: return s[ID]! << 24;
      case 0x03: return VERSION;
      case 0x08: return s[TPR]!;
      case 0x0a: return this.processorPriority();
      case 0x0d: return s[LDR]!;
      case 0x0e: return s[DFR]! | 0x0fffffff;
      case 0x0f: return s[SVR]!;
      case 0x28: return s[ESR]!;
      case 0x2f: return s[LVT_CMCI]!;
      case 0x30: return s[ICR_LOW]!;
      case 0x31: return s[ICR_HIGH]!;
      case 0x38: return s[TIMER_INITIAL]!;
      case 0x39: return this.currentCount();
      case 0x3e: return s[TIMER_DIVIDE]!;
      default: return 0; // APR, RRD, the EOI register and reserved offsets
    }
  }

  private writeRegister(r: number, value: number): void {
    const s = this.s;
    if (r >= 0x32 && r < 0x38) {
      const n = r - 0x32;
      const old = s[LVT + n]!;
      s[LVT + n] = (value & LVT_WRITABLE[n]!) | (this.enabled ? 0 : LVT_MASKED);
      // Entering or leaving TSC-deadline mode disarms the timer (SDM 10.5.4.1); between one-shot and
      // periodic it runs on under the new mode, as on QEMU and KVM (the SDM leaves that case open).
      if (n === LVT_TIMER && ((old ^ s[LVT]!) & TIMER_TSC_DEADLINE) !== 0) {
        this.timer[F_TIMER_NEXT] = -1;
        this.timer[F_TSC_DEADLINE] = 0;
      }
      return;
    }
    switch (r) {
      case 0x02: Atomics.store(s, ID, (value >>> 24) & 0xff); return;
      case 0x08: Atomics.store(s, TPR, value & 0xff); return;
      case 0x0b: this.endOfInterrupt(); return;
      case 0x0d: Atomics.store(s, LDR, value & 0xff000000); return;
      case 0x0e: Atomics.store(s, DFR, value | 0x0fffffff); return;
      case 0x0f: {
        // Bit 12 (EOI-broadcast suppression) is reserved: VERSION bit 24 does not offer it.
        Atomics.store(s, SVR, value & 0x1ff);
        if ((value & SVR_ENABLE) === 0) {
          for (let i = 0; i < LVT_COUNT; i++) s[LVT + i]! |= LVT_MASKED;
          s[LVT_CMCI]! |= LVT_MASKED; // an LVT entry too
        }
        return;
      }
      case 0x28: s[ESR] = 0; return;
      case 0x2f: s[LVT_CMCI] = (value & 0x107ff) | (this.enabled ? 0 : LVT_MASKED); return;
      case 0x30: s[ICR_LOW] = value & ICR_WRITABLE; this.sendIpi(); return;
      case 0x31: s[ICR_HIGH] = value & 0xff000000; return;
      case 0x38:
        if (this.timerMode === TIMER_TSC_DEADLINE) return; // ignored in TSC-deadline mode (SDM 10.5.4.1): must not disarm it
        s[TIMER_INITIAL] = value;
        this.startTimer();
        return;
      case 0x3e: s[TIMER_DIVIDE] = value & 0xb; return;
      default: return; // read-only and reserved registers ignore writes
    }
  }

  private endOfInterrupt(): void {
    const vector = this.highest(ISR);
    if (vector < 0) return;
    const word = vector >>> 5;
    const bit = 1 << (vector & 31);
    this.s[ISR + word]! &= ~bit;
    if (Atomics.load(this.s, TMR + word) & bit) this.options.onLevelEoi?.(vector);
  }

  private sendIpi(): void {
    const low = this.s[ICR_LOW]!;
    const message = messageFrom(low, this.s[ICR_HIGH]! >>> 24);
    if (message.mode === DeliveryMode.Init && message.level && (low & ICR_ASSERT) === 0) return;
    const shorthand = (low >>> 18) & 3;
    if (shorthand === 0) return this.router.deliver(message);
    const all = Array.from({ length: this.router.count }, (_, i) => i);
    this.router.deliverTo(shorthand === 1 ? [this.index] : shorthand === 2 ? all : all.filter((i) => i !== this.index), message);
  }
}
