import { LockRank, RankedLock } from '../base/lock.js';
import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import { type ApicBus, type ApicMessage, messageFrom } from './apic-bus.js';
import type { IrqLine } from './irq-line.js';

/** Where a PC has its I/O APIC, and the MMIO window it decodes. */
export const IOAPIC_BASE = 0xfec00000;
export const IOAPIC_SIZE = 0x1000;
export const IOAPIC_PINS = 24;

/** MMIO offsets: the register select, the data window, and the EOI register of version 0x20 I/O APICs. */
export const IOAPIC_IOREGSEL = 0x00;
export const IOAPIC_IOWIN = 0x10;
export const IOAPIC_EOI = 0x40;

/** Indirect registers, selected through IOREGSEL. Redirection entry n is at 0x10 + 2n (low), 0x11 + 2n (high). */
export const IOAPIC_REG_ID = 0x00;
export const IOAPIC_REG_VERSION = 0x01;
export const IOAPIC_REG_ARBITRATION = 0x02;
export const IOAPIC_REG_REDIRECTION = 0x10;

/** Version 0x20 (has the EOI register), maximum redirection entry 23 in bits 16-23. */
export const IOAPIC_VERSION = ((IOAPIC_PINS - 1) << 16) | 0x20;

// Redirection entry low-word bits.
const DELIVERY_STATUS = 1 << 12;
const POLARITY_LOW = 1 << 13;
const REMOTE_IRR = 1 << 14;
const TRIGGER_LEVEL = 1 << 15;
const MASKED = 1 << 16;
/** The defined low-word bits a write sets: vector, mode, destination mode, polarity, trigger, mask. */
const LOW_WRITABLE = 0x1ffff & ~(DELIVERY_STATUS | REMOTE_IRR);
/** The high word holds only the destination, in bits 24-31. */
const HIGH_WRITABLE = 0xff000000 | 0;
const ID_SHIFT = 24;
const ID_MASK = 0xf;

// ---- shared state layout ----------------------------------------------------------------------------

const LOCK = 0;
const SELECT = 1;
/** The 4-bit I/O APIC ID (unshifted). */
const ID = 2;
/** The input pin levels as driven through pin(n), one bit per pin, before the polarity bit applies. */
const LEVEL = 3;
/** Redirection entry n: low word at ENTRIES + 2n (holding Remote IRR), high word at ENTRIES + 2n + 1. */
const ENTRIES = 4;
const STATE_WORDS = ENTRIES + 2 * IOAPIC_PINS;

/**
 * The 82093AA I/O APIC as a PC (and QEMU's PC) has it: 24 input pins, each routed by a 64-bit redirection
 * entry to an interrupt message on the APIC bus. The guest reaches the registers indirectly: it writes a
 * register index to IOREGSEL (0x00) and reads or writes it through IOWIN (0x10). Being version 0x20, it
 * also has the EOI register at 0x40, through which an OS can clear Remote IRR directly.
 *
 * All state lives in a shared Int32Array (`createState()`), under the lock in word 0, so the vCPU workers
 * that each build an IoApic over the same buffer share one device. Messages are collected under the lock
 * and handed to the ApicBus after it is released, so the bus may take its own locks.
 *
 * Datasheet and QEMU choices:
 * - Reset (createState): every entry masked, all else 0, ID 0 (the VM sets it with setId). The arbitration
 *   register reads the ID, as on QEMU. Delivery status always reads 0: a message is delivered at once.
 * - Each pin's input level is kept; the asserted level is the input XOR the polarity bit (active low).
 *   Reprogramming the polarity is not an edge: only a change of the input makes one.
 * - Edge-triggered: an assertion (rising edge of the asserted level) on an unmasked pin delivers once. An
 *   edge on a masked pin is ignored, not held pending (82093AA: "not delivered or held pending"); QEMU does
 *   the same, so unmasking an edge entry delivers nothing.
 * - Level-triggered: while the pin is asserted, the entry unmasked and Remote IRR clear, the message is
 *   delivered and Remote IRR set. An EOI for the entry's vector (endOfInterrupt(), the local APIC's
 *   broadcast, or the EOI register) clears Remote IRR of every level entry with that vector, masked or not,
 *   and delivers again if the pin is still asserted. The level is tracked while masked, so unmasking (or
 *   switching to level trigger, or inverting the polarity) while asserted delivers. Lowering the pin does
 *   not clear Remote IRR: only an EOI does.
 * - Remote IRR is meaningless for edge entries; like QEMU, making an entry edge-triggered clears it (the
 *   mask-and-flip-trigger trick OSes use on I/O APICs without an EOI register relies on this).
 * - Read-only bits (delivery status, Remote IRR) ignore writes; the reserved bits (low 17-31, high 0-23)
 *   read 0. ID bits 24-27 are writable, the rest of the ID register reads 0. The version and arbitration
 *   registers ignore writes; unknown register indexes read 0 and ignore writes.
 * - MMIO: IOREGSEL holds 8 bits. Reads of any size and alignment return the matching bytes of IOREGSEL
 *   (0x00-0x03) and of the selected register (0x10-0x13), 0 elsewhere (the EOI register is write-only).
 *   A write of any size at offset 0x00 sets IOREGSEL from its low byte; only aligned 32-bit writes at 0x10 write
 *   the selected register (QEMU ignores narrower ones too); any write at 0x40 is an EOI for its low byte.
 *   Other writes are ignored. The window is not aliased every 0x100 bytes.
 */
export class IoApic implements BusDevice {
  static readonly STATE_WORDS = STATE_WORDS;

  /** The reset state: every redirection entry masked, everything else 0. */
  static createState(): Int32Array {
    const state = new Int32Array(new SharedArrayBuffer(STATE_WORDS * Int32Array.BYTES_PER_ELEMENT));
    for (let n = 0; n < IOAPIC_PINS; n++) state[ENTRIES + 2 * n] = MASKED;
    return state;
  }

  readonly name = 'ioapic';

  private readonly s: Int32Array;
  private readonly lock: RankedLock;
  private readonly pins: readonly IrqLine[];

  constructor(
    state: Int32Array,
    private readonly bus: ApicBus,
  ) {
    if (state.length < STATE_WORDS) throw new RangeError(`ioapic: the state needs ${STATE_WORDS} words, got ${state.length}`);
    this.s = state;
    this.lock = new RankedLock('ioapic', LockRank.InterruptController, state, LOCK);
    this.pins = Array.from({ length: IOAPIC_PINS }, (_, n) => ({
      raise: () => this.locked((out) => this.setInput(n, true, out)),
      lower: () => this.locked((out) => this.setInput(n, false, out)),
    }));
  }

  /** The input pin `n` (0-23), for a device or the VM's ISA/PCI routing to drive. */
  pin(n: number): IrqLine {
    const line = Number.isInteger(n) ? this.pins[n] : undefined;
    if (!line) throw new RangeError(`ioapic: no input pin ${n} (0-${IOAPIC_PINS - 1})`);
    return line;
  }

  /** Sets the I/O APIC ID (0-15), as firmware would before the OS starts. */
  setId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id > ID_MASK) throw new RangeError(`ioapic: ID ${id} does not fit the 4-bit ID field (0-15)`);
    this.locked(() => {
      this.s[ID] = id;
    });
  }

  /** A local APIC's EOI broadcast for a level-triggered vector. */
  endOfInterrupt(vector: number): void {
    this.locked((out) => this.eoi(vector & 0xff, out));
  }

  read(offset: number, size: AccessSize): number {
    return this.locked(() => {
      let value = 0;
      for (let i = 0; i < size; i++) value |= this.readByte(offset + i) << (8 * i);
      return size === 4 ? value | 0 : value;
    });
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.locked((out) => {
      if (offset === IOAPIC_IOREGSEL) this.s[SELECT] = value & 0xff;
      else if (offset === IOAPIC_IOWIN && size === 4) this.writeRegister(this.w(SELECT), value, out);
      else if (offset === IOAPIC_EOI) this.eoi(value & 0xff, out);
    });
  }

  /** Runs `body` under the lock, then delivers the messages it produced, outside the lock. */
  private locked<T>(body: (out: ApicMessage[]) => T): T {
    const out: ApicMessage[] = [];
    const result = this.lock.with(() => body(out));
    for (const message of out) this.bus.deliver(message);
    return result;
  }

  // ---- everything below runs under the lock ---------------------------------------------------------

  private w(i: number): number {
    return this.s[i]!;
  }

  private low(n: number): number {
    return this.w(ENTRIES + 2 * n);
  }

  private high(n: number): number {
    return this.w(ENTRIES + 2 * n + 1);
  }

  private asserted(n: number): boolean {
    const input = (this.w(LEVEL) >>> n) & 1;
    const activeLow = this.low(n) & POLARITY_LOW ? 1 : 0;
    return (input ^ activeLow) !== 0;
  }

  private message(n: number): ApicMessage {
    return messageFrom(this.low(n), this.high(n) >>> 24);
  }

  /** Delivers a level entry if it is asserted, unmasked and not awaiting its EOI. */
  private serviceLevel(n: number, out: ApicMessage[]): void {
    const low = this.low(n);
    if (!(low & TRIGGER_LEVEL) || low & (MASKED | REMOTE_IRR) || !this.asserted(n)) return;
    this.s[ENTRIES + 2 * n] = low | REMOTE_IRR;
    out.push(this.message(n));
  }

  private setInput(n: number, high: boolean, out: ApicMessage[]): void {
    const wasAsserted = this.asserted(n);
    const bit = 1 << n;
    this.s[LEVEL] = high ? this.w(LEVEL) | bit : this.w(LEVEL) & ~bit;
    const low = this.low(n);
    if (low & TRIGGER_LEVEL) this.serviceLevel(n, out);
    else if (!wasAsserted && this.asserted(n) && !(low & MASKED)) out.push(this.message(n));
  }

  private eoi(vector: number, out: ApicMessage[]): void {
    for (let n = 0; n < IOAPIC_PINS; n++) {
      const low = this.low(n);
      if ((low & 0xff) !== vector || !(low & TRIGGER_LEVEL) || !(low & REMOTE_IRR)) continue;
      this.s[ENTRIES + 2 * n] = low & ~REMOTE_IRR;
      this.serviceLevel(n, out);
    }
  }

  private readRegister(index: number): number {
    switch (index) {
      case IOAPIC_REG_ID:
      case IOAPIC_REG_ARBITRATION:
        return this.w(ID) << ID_SHIFT;
      case IOAPIC_REG_VERSION:
        return IOAPIC_VERSION;
    }
    const n = (index - IOAPIC_REG_REDIRECTION) >> 1;
    if (index < IOAPIC_REG_REDIRECTION || n >= IOAPIC_PINS) return 0;
    return index & 1 ? this.high(n) : this.low(n);
  }

  private writeRegister(index: number, value: number, out: ApicMessage[]): void {
    if (index === IOAPIC_REG_ID) {
      this.s[ID] = (value >>> ID_SHIFT) & ID_MASK;
      return;
    }
    const n = (index - IOAPIC_REG_REDIRECTION) >> 1;
    if (index < IOAPIC_REG_REDIRECTION || n >= IOAPIC_PINS) return;
    if (index & 1) {
      this.s[ENTRIES + 2 * n + 1] = value & HIGH_WRITABLE;
    } else {
      let low = (value & LOW_WRITABLE) | (this.low(n) & REMOTE_IRR);
      if (!(low & TRIGGER_LEVEL)) low &= ~REMOTE_IRR;
      this.s[ENTRIES + 2 * n] = low;
    }
    this.serviceLevel(n, out);
  }

  private readByte(offset: number): number {
    const shift = 8 * (offset & 3);
    const register = offset & ~3;
    if (register === IOAPIC_IOREGSEL) return (this.w(SELECT) >>> shift) & 0xff;
    if (register === IOAPIC_IOWIN) return (this.readRegister(this.w(SELECT)) >>> shift) & 0xff;
    return 0;
  }
}
