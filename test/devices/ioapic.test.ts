import { afterEach, describe, expect, it } from 'vitest';
import { checkLockRanks, LockRank, RankedLock, RankViolation } from '../../hypervisor/base/lock.js';
import { mmioBus } from '../../hypervisor/bus/io-bus.js';
import { type ApicMessage, DeliveryMode } from '../../hypervisor/devices/apic-bus.js';
import { IOAPIC_BASE, IOAPIC_PINS, IOAPIC_SIZE, IoApic } from '../../hypervisor/devices/ioapic.js';

const IOREGSEL = IOAPIC_BASE;
const IOWIN = IOAPIC_BASE + 0x10;
const EOI_REGISTER = IOAPIC_BASE + 0x40;
const ID = 0x00;
const VERSION = 0x01;
const ARBITRATION = 0x02;
const redirLow = (n: number) => 0x10 + 2 * n;
const redirHigh = (n: number) => 0x11 + 2 * n;

const MASKED = 1 << 16;
const LEVEL = 1 << 15;
const REMOTE_IRR = 1 << 14;
const ACTIVE_LOW = 1 << 13;
const DELIVERY_STATUS = 1 << 12;
const LOGICAL = 1 << 11;

/** An I/O APIC on an MMIO bus, as the VM wires it, delivering to a recording APIC bus. */
function machine(state = IoApic.createState()) {
  const messages: ApicMessage[] = [];
  /** The lock word at each delivery: the bus must be called with the lock free. */
  const lockAtDelivery: number[] = [];
  const ioapic = new IoApic(state, {
    deliver: (message) => {
      lockAtDelivery.push(Atomics.load(state, 0));
      messages.push(message);
    },
  });
  const mmio = mmioBus();
  mmio.register(IOAPIC_BASE, IOAPIC_SIZE, ioapic);
  const readReg = (index: number) => (mmio.write(IOREGSEL, 4, index), mmio.read(IOWIN, 4) >>> 0);
  const writeReg = (index: number, value: number) => (mmio.write(IOREGSEL, 4, index), mmio.write(IOWIN, 4, value));
  /** Programs redirection entry n, high word first so that an unmask in the low word sees the destination. */
  const route = (n: number, low: number, destination = 0) => {
    writeReg(redirHigh(n), destination << 24);
    writeReg(redirLow(n), low);
  };
  const entry = (n: number) => readReg(redirLow(n));
  /** The messages delivered since the last call. */
  const take = () => messages.splice(0);
  const vectors = () => take().map((m) => m.vector);
  return { ioapic, state, mmio, messages, lockAtDelivery, readReg, writeReg, route, entry, take, vectors };
}

describe('82093AA I/O APIC', () => {
  afterEach(() => checkLockRanks(false));

  it('comes out of reset with every entry masked, version 0x20 with 24 entries, ID 0', () => {
    const m = machine();
    expect(m.readReg(VERSION)).toBe(0x00170020);
    expect(m.readReg(ID)).toBe(0);
    expect(m.readReg(ARBITRATION)).toBe(0);
    for (let n = 0; n < IOAPIC_PINS; n++) {
      expect(m.readReg(redirLow(n)), `entry ${n}`).toBe(MASKED);
      expect(m.readReg(redirHigh(n)), `entry ${n}`).toBe(0);
    }
    for (let n = 0; n < IOAPIC_PINS; n++) m.ioapic.pin(n).raise();
    expect(m.messages).toEqual([]); // masked edges are lost
  });

  it('lets only ID bits 24-27 be written; version and arbitration ignore writes; setId sets the ID', () => {
    const m = machine();
    m.writeReg(ID, 0xffffffff);
    expect(m.readReg(ID)).toBe(0x0f000000);
    expect(m.readReg(ARBITRATION)).toBe(0x0f000000); // reads the ID, as on QEMU
    m.writeReg(ID, 0x05000000);
    expect(m.readReg(ID)).toBe(0x05000000);
    m.writeReg(VERSION, 0);
    m.writeReg(ARBITRATION, 0);
    expect(m.readReg(VERSION)).toBe(0x00170020);
    expect(m.readReg(ID)).toBe(0x05000000);
    m.ioapic.setId(4);
    expect(m.readReg(ID)).toBe(0x04000000);
    for (const bad of [-1, 16, 1.5, NaN]) expect(() => m.ioapic.setId(bad)).toThrow(RangeError);
  });

  it('stores redirection entries, with delivery status and Remote IRR read-only and reserved bits 0', () => {
    const m = machine();
    m.writeReg(redirLow(5), 0xffffffff);
    expect(m.readReg(redirLow(5))).toBe(0x1ffff & ~(DELIVERY_STATUS | REMOTE_IRR));
    m.writeReg(redirHigh(5), 0xffffffff);
    expect(m.readReg(redirHigh(5))).toBe(0xff000000);
    m.writeReg(redirLow(23), 0x000089ab);
    m.writeReg(redirHigh(23), 0x12000000);
    expect([m.readReg(redirLow(23)), m.readReg(redirHigh(23))]).toEqual([0x89ab, 0x12000000]);
    expect(m.readReg(redirLow(22))).toBe(MASKED); // neighbours untouched
    // Remote IRR, once set by a delivery, survives writes that try to clear it.
    m.route(3, LEVEL | 0x33);
    m.ioapic.pin(3).raise();
    expect(m.entry(3)).toBe(LEVEL | REMOTE_IRR | 0x33);
    m.writeReg(redirLow(3), LEVEL | 0x34);
    expect(m.entry(3)).toBe(LEVEL | REMOTE_IRR | 0x34);
    // Unknown registers read 0 and ignore writes.
    for (const index of [0x03, 0x0f, 0x40, 0xff]) {
      m.writeReg(index, 0xffffffff);
      expect(m.readReg(index), `register ${index}`).toBe(0);
    }
  });

  it('delivers an edge entry once per rising edge', () => {
    const m = machine();
    m.route(4, 0x24);
    const pin = m.ioapic.pin(4);
    pin.raise();
    expect(m.vectors()).toEqual([0x24]);
    pin.raise(); // still high: no edge
    expect(m.vectors()).toEqual([]);
    pin.lower();
    expect(m.vectors()).toEqual([]);
    pin.raise();
    expect(m.vectors()).toEqual([0x24]);
    expect(m.entry(4)).toBe(0x24); // no Remote IRR for edge entries
  });

  it('loses edges that arrive while masked, and delivers nothing when unmasked', () => {
    const m = machine();
    m.route(1, MASKED | 0x31);
    m.ioapic.pin(1).raise();
    m.route(1, 0x31);
    expect(m.vectors()).toEqual([]);
    m.ioapic.pin(1).lower();
    m.ioapic.pin(1).raise();
    expect(m.vectors()).toEqual([0x31]);
  });

  it('inverts the pin for active-low entries: the falling edge of the input is the assertion', () => {
    const m = machine();
    m.route(9, ACTIVE_LOW | 0x49);
    const pin = m.ioapic.pin(9);
    pin.raise();
    expect(m.vectors()).toEqual([]);
    pin.lower();
    expect(m.vectors()).toEqual([0x49]);
    pin.lower();
    expect(m.vectors()).toEqual([]);
    // Level-triggered, active low: a low input is asserted (the pin sits low from above).
    m.route(9, ACTIVE_LOW | LEVEL | 0x49);
    expect(m.vectors()).toEqual([0x49]);
    m.ioapic.endOfInterrupt(0x49);
    expect(m.vectors()).toEqual([0x49]); // still asserted
    pin.raise(); // deasserts
    m.ioapic.endOfInterrupt(0x49);
    expect(m.vectors()).toEqual([]);
    expect(m.entry(9) & REMOTE_IRR).toBe(0);
  });

  it('holds a level entry off with Remote IRR until endOfInterrupt, then delivers again if still asserted', () => {
    const m = machine();
    m.route(11, LEVEL | 0x51);
    const pin = m.ioapic.pin(11);
    pin.raise();
    expect(m.take()).toEqual([{ vector: 0x51, mode: DeliveryMode.Fixed, logical: false, destination: 0, level: true }]);
    expect(m.entry(11) & REMOTE_IRR).toBe(REMOTE_IRR);
    pin.lower();
    pin.raise();
    expect(m.vectors()).toEqual([]); // Remote IRR still set: no new delivery
    m.ioapic.endOfInterrupt(0x52); // another vector: no effect
    expect(m.entry(11) & REMOTE_IRR).toBe(REMOTE_IRR);
    m.ioapic.endOfInterrupt(0x51);
    expect(m.vectors()).toEqual([0x51]); // still asserted: delivered again, Remote IRR set again
    expect(m.entry(11) & REMOTE_IRR).toBe(REMOTE_IRR);
    pin.lower();
    m.ioapic.endOfInterrupt(0x51);
    expect(m.vectors()).toEqual([]);
    expect(m.entry(11) & REMOTE_IRR).toBe(0);
    pin.raise();
    expect(m.vectors()).toEqual([0x51]);
  });

  it('takes the EOI through the EOI register at 0x40 like the broadcast, for every level entry of the vector', () => {
    const m = machine();
    m.route(16, LEVEL | 0x61);
    m.route(17, LEVEL | 0x61); // a shared vector
    m.route(18, 0x61); // edge: has no Remote IRR to clear
    m.ioapic.pin(16).raise();
    m.ioapic.pin(17).raise();
    expect(m.vectors()).toEqual([0x61, 0x61]);
    m.ioapic.pin(16).lower();
    m.mmio.write(EOI_REGISTER, 4, 0x60);
    expect(m.entry(16) & REMOTE_IRR).toBe(REMOTE_IRR);
    m.mmio.write(EOI_REGISTER, 4, 0x61);
    expect(m.entry(16) & REMOTE_IRR).toBe(0);
    expect(m.vectors()).toEqual([0x61]); // pin 17 is still high
    expect(m.entry(17) & REMOTE_IRR).toBe(REMOTE_IRR);
    expect(m.mmio.read(EOI_REGISTER, 4)).toBe(0); // write-only
  });

  it('delivers when a level entry is unmasked, switched to level or inverted while its pin is asserted', () => {
    const m = machine();
    m.route(20, MASKED | LEVEL | 0x70);
    m.ioapic.pin(20).raise();
    expect(m.vectors()).toEqual([]); // masked: the level is tracked, not delivered
    m.route(20, LEVEL | 0x70);
    expect(m.vectors()).toEqual([0x70]);
    m.route(20, MASKED | LEVEL | 0x70);
    m.ioapic.endOfInterrupt(0x70); // Remote IRR cleared on a masked entry, nothing delivered
    expect([m.vectors(), m.entry(20) & REMOTE_IRR]).toEqual([[], 0]);
    // Edge, then level while high.
    m.route(21, MASKED | 0x71);
    m.ioapic.pin(21).raise();
    m.route(21, LEVEL | 0x71);
    expect(m.vectors()).toEqual([0x71]);
    // Active low while low, made active high while still low: no; then the input rises: yes.
    m.route(22, ACTIVE_LOW | LEVEL | 0x72);
    expect(m.vectors()).toEqual([0x72]);
    m.ioapic.endOfInterrupt(0x72);
    expect(m.vectors()).toEqual([0x72]);
    m.route(22, LEVEL | 0x72); // Remote IRR is held; polarity flip does not clear it
    m.ioapic.endOfInterrupt(0x72);
    expect(m.vectors()).toEqual([]);
    m.ioapic.pin(22).raise();
    expect(m.vectors()).toEqual([0x72]);
  });

  it('clears Remote IRR when an entry is made edge-triggered', () => {
    const m = machine();
    m.route(6, LEVEL | 0x36);
    m.ioapic.pin(6).raise();
    expect(m.entry(6) & REMOTE_IRR).toBe(REMOTE_IRR);
    m.writeReg(redirLow(6), MASKED | 0x36);
    expect(m.entry(6)).toBe(MASKED | 0x36);
    m.writeReg(redirLow(6), LEVEL | 0x36);
    expect(m.vectors()).toEqual([0x36, 0x36]); // the OS's edge-flip EOI works: still high, delivered again
  });

  it('puts the destination, its mode, the delivery mode and the trigger mode into the message', () => {
    const m = machine();
    m.route(2, LOGICAL | (DeliveryMode.LowestPriority << 8) | 0x30, 0x0f);
    m.route(8, (DeliveryMode.Nmi << 8) | 0x02, 0x03);
    m.route(10, LEVEL | LOGICAL | 0x3a, 0xff);
    m.route(0, (DeliveryMode.ExtInt << 8) | 0x00, 0x00);
    m.ioapic.pin(2).raise();
    m.ioapic.pin(8).raise();
    m.ioapic.pin(10).raise();
    m.ioapic.pin(0).raise();
    expect(m.take()).toEqual([
      { vector: 0x30, mode: DeliveryMode.LowestPriority, logical: true, destination: 0x0f, level: false },
      { vector: 0x02, mode: DeliveryMode.Nmi, logical: false, destination: 0x03, level: false },
      { vector: 0x3a, mode: DeliveryMode.Fixed, logical: true, destination: 0xff, level: true },
      { vector: 0x00, mode: DeliveryMode.ExtInt, logical: false, destination: 0x00, level: false },
    ]);
  });

  it('answers narrow and odd MMIO accesses with register bytes or 0, and never throws', () => {
    const m = machine();
    m.route(0, 0x2834, 0xab);
    m.mmio.write(IOREGSEL, 1, 0x10);
    expect(m.mmio.read(IOREGSEL, 4)).toBe(0x10);
    expect(m.mmio.read(IOWIN, 2)).toBe(0x2834);
    expect(m.mmio.read(IOWIN + 1, 1)).toBe(0x28);
    m.mmio.write(IOREGSEL, 4, 0x111); // 8 bits of register select
    expect(m.mmio.read(IOREGSEL, 4)).toBe(0x11);
    expect(m.mmio.read(IOWIN + 3, 1)).toBe(0xab);
    expect(m.mmio.read(IOWIN, 4)).toBe(0xab000000 | 0); // 32-bit reads are signed, as the bus passes them
    m.mmio.write(IOWIN, 2, 0); // narrow IOWIN writes are ignored
    m.mmio.write(IOWIN + 1, 1, 0);
    expect(m.readReg(redirHigh(0))).toBe(0xab000000);
    for (const offset of [0x04, 0x20, 0x44, 0x100, 0xffc]) {
      expect(() => m.mmio.write(IOAPIC_BASE + offset, 4, -1)).not.toThrow();
      expect(m.mmio.read(IOAPIC_BASE + offset, 4), `offset ${offset}`).toBe(0);
    }
    expect(m.readReg(redirLow(0))).toBe(0x2834);
  });

  it('refuses pins outside 0-23 and a state that is too short', () => {
    const { ioapic } = machine();
    for (const bad of [-1, 24, 2.5, NaN]) expect(() => ioapic.pin(bad)).toThrow(`ioapic: no input pin ${bad} (0-23)`);
    expect(() => ioapic.pin(24)).toThrow(RangeError);
    expect(() => new IoApic(new Int32Array(new SharedArrayBuffer(8)), { deliver: () => {} })).toThrow(RangeError);
  });

  it('behaves as one device across two instances over the same state buffer', () => {
    const state = IoApic.createState();
    expect(state.length).toBe(IoApic.STATE_WORDS);
    expect(state.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = machine(state);
    const b = machine(state);
    a.route(12, LEVEL | 0x5c);
    expect(b.entry(12)).toBe(LEVEL | 0x5c);
    b.ioapic.pin(12).raise();
    expect([a.vectors(), b.vectors()]).toEqual([[], [0x5c]]); // the raising instance delivers
    a.ioapic.pin(12).raise(); // the level is shared: already high, Remote IRR already set
    expect(a.vectors()).toEqual([]);
    a.ioapic.endOfInterrupt(0x5c);
    expect(a.vectors()).toEqual([0x5c]);
    a.mmio.write(IOREGSEL, 4, VERSION); // the register select is shared too
    expect(b.mmio.read(IOWIN, 4)).toBe(0x00170020);
    b.ioapic.setId(3);
    expect(a.readReg(ID)).toBe(0x03000000);
    expect(state[0]).toBe(0); // the lock word is free
  });

  it('takes its lock, of interrupt-controller rank, in every entry point, and delivers with it released', () => {
    const m = machine();
    m.route(0, LEVEL | 0x20);
    m.route(1, 0x21);
    const entries: [string, () => unknown][] = [
      ['read', () => m.ioapic.read(0x10, 4)],
      ['write', () => m.ioapic.write(0x00, 4, 0x10)],
      ['raise', () => m.ioapic.pin(1).raise()],
      ['lower', () => m.ioapic.pin(1).lower()],
      ['endOfInterrupt', () => m.ioapic.endOfInterrupt(0x20)],
      ['setId', () => m.ioapic.setId(1)],
    ];
    const peer = new RankedLock('pic', LockRank.InterruptController, new Int32Array(new SharedArrayBuffer(4)), 0);
    const device = new RankedLock('uart', LockRank.Device, new Int32Array(new SharedArrayBuffer(4)), 0);
    checkLockRanks(true);
    for (const [what, call] of entries) {
      expect(() => peer.with(call), what).toThrow(RankViolation);
      expect(() => peer.with(call), what).toThrow('acquiring ioapic (rank 20)');
      expect(() => device.with(call), what).not.toThrow(); // a device may raise lines under its own lock
    }
    m.ioapic.pin(0).raise();
    m.ioapic.endOfInterrupt(0x20);
    m.mmio.write(EOI_REGISTER, 4, 0x20);
    expect(m.lockAtDelivery.length).toBeGreaterThanOrEqual(4);
    expect(m.lockAtDelivery.every((word) => word === 0)).toBe(true);
    expect(m.state[0]).toBe(0);
  });
});
