import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type ApicMessage, DeliveryMode } from '../../hypervisor/devices/apic-bus.js';
import { IoApic } from '../../hypervisor/devices/ioapic.js';
import { ApicRouter, createLapicState, LAPIC_BLOCK_WORDS, LocalApic, MSR_APIC_BASE, MSR_TSC_DEADLINE } from '../../hypervisor/devices/lapic.js';
import type { InterruptSource } from '../../hypervisor/x86/io.js';

// Register offsets in the 4 KiB page (SDM vol. 3A table 10-1).
const ID = 0x20;
const VERSION = 0x30;
const TPR = 0x80;
const PPR = 0xa0;
const EOI = 0xb0;
const LDR = 0xd0;
const DFR = 0xe0;
const SVR = 0xf0;
const ISR = 0x100;
const TMR = 0x180;
const IRR = 0x200;
const ESR = 0x280;
const LVT_CMCI = 0x2f0;
const ICR_LOW = 0x300;
const ICR_HIGH = 0x310;
const LVT_TIMER = 0x320;
const LVT_THERMAL = 0x330;
const LVT_PERF = 0x340;
const LVT_LINT0 = 0x350;
const LVT_LINT1 = 0x360;
const LVT_ERROR = 0x370;
const TIMER_INITIAL = 0x380;
const TIMER_CURRENT = 0x390;
const TIMER_DIVIDE = 0x3e0;
const LVTS = [LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR];

const MASKED = 1 << 16;
const PERIODIC = 1 << 17;
const TSC_DEADLINE = 2 << 17;
const SVR_ENABLE = 0x100;
const BASE_BSP = 0x100;
const BASE_ENABLE = 0x800;
// ICR low-word fields.
const LOGICAL = 1 << 11;
const ASSERT = 1 << 14;
const LEVEL = 1 << 15;
const SELF = 1 << 18;
const ALL = 2 << 18;
const OTHERS = 3 << 18;
const LOWEST = DeliveryMode.LowestPriority << 8;
const INIT = DeliveryMode.Init << 8;
const STARTUP = DeliveryMode.StartUp << 8;
/** What the TSC reads ahead of guest ns in these tests, so that a deadline taken as ns would be caught. */
const TSC_OFFSET = 1_000_000;

/** A fake 8259 pair on LINT0: counts how often the APIC asks it. */
class FakePic implements InterruptSource {
  request = false;
  vector = 0x08;
  asked = 0;
  acks = 0;
  pending(): boolean {
    this.asked++;
    return this.request;
  }
  acknowledge(): number {
    this.acks++;
    this.request = false;
    return this.vector;
  }
}

/** `count` vCPUs' local APICs over one shared state, wired as vm/pc.ts does (the PIC on the BSP's LINT0 only). */
function machine(count = 2) {
  const state = createLapicState(count);
  const clock = { ns: 0 };
  const woken: number[] = [];
  const pic = new FakePic();
  const levelEois: number[][] = Array.from({ length: count }, () => []);
  const router = new ApicRouter(state, count, (index) => woken.push(index));
  const apics = Array.from(
    { length: count },
    (_, i) =>
      new LocalApic(state, i, router, {
        now: () => clock.ns,
        tsc: () => clock.ns + TSC_OFFSET,
        ...(i === 0 ? { lint0: pic } : {}),
        onLevelEoi: (vector) => levelEois[i]!.push(vector),
      }),
  );
  const apic = (i: number): LocalApic => apics[i]!;
  /** A 32-bit register, unsigned. */
  const reg = (i: number, offset: number): number => apic(i).read(offset, 4) >>> 0;
  const set = (i: number, offset: number, value: number): void => apic(i).write(offset, 4, value);
  /** A vector's bit in a 256-bit register (ISR, TMR, IRR). */
  const bit = (i: number, base: number, vector: number): boolean => ((reg(i, base + (vector >>> 5) * 0x10) >>> (vector & 31)) & 1) === 1;
  const vectorsIn = (i: number, base: number): number[] => {
    const out: number[] = [];
    for (let v = 0; v < 256; v++) if (bit(i, base, v)) out.push(v);
    return out;
  };
  /** Software-enables APIC i with spurious vector 0xf7 (so that a spurious acknowledge is told apart from 0xff). */
  const enable = (i: number): void => set(i, SVR, SVR_ENABLE | 0xf7);
  /** Sends an IPI from APIC i: the high word, then the low word, which sends. */
  const ipi = (i: number, low: number, destination = 0): void => {
    set(i, ICR_HIGH, destination << 24);
    set(i, ICR_LOW, low);
  };
  /** The woken indexes since the last call. */
  const wakes = (): number[] => woken.splice(0);
  /** Which APICs have `vector` in IRR. */
  const holders = (vector: number): number[] => apics.flatMap((_, i) => (bit(i, IRR, vector) ? [i] : []));
  const at = (ns: number): void => {
    clock.ns = ns;
  };
  const msr = (i: number, index: number): [number, number] | undefined => {
    const value = apic(i).readMsr(index);
    return value === undefined ? undefined : [value[0] >>> 0, value[1] >>> 0];
  };
  /** Acknowledges and EOIs everything deliverable on APIC i, returning the vectors. */
  const drain = (i: number): number[] => {
    const out: number[] = [];
    while (apic(i).pending()) {
      out.push(apic(i).acknowledge());
      set(i, EOI, 0);
    }
    return out;
  };
  const send = (message: Partial<ApicMessage> & { vector: number }): void =>
    router.deliver({ mode: DeliveryMode.Fixed, logical: false, destination: 0, level: false, ...message });
  return { state, clock, pic, levelEois, router, apics, apic, reg, set, bit, vectorsIn, enable, ipi, wakes, holders, at, msr, drain, send };
}

type Machine = ReturnType<typeof machine>;

/** A machine with every APIC software-enabled and the wake log empty. */
function enabled(count = 4): Machine {
  const m = machine(count);
  for (let i = 0; i < count; i++) m.enable(i);
  m.wakes();
  return m;
}

describe('local APIC', () => {
  describe('reset state', () => {
    it('has the ID, version, SVR, DFR, masked LVTs (but the BSP LINT0 as ExtINT) and IA32_APIC_BASE of SDM 10.4.7.1', () => {
      const m = machine(3);
      for (let i = 0; i < 3; i++) {
        const at = `APIC ${i}`;
        expect(m.reg(i, ID), at).toBe((i << 24) >>> 0);
        expect(m.apic(i).apicId, at).toBe(i);
        expect(m.reg(i, VERSION), at).toBe(0x00050014);
        expect(m.reg(i, SVR), at).toBe(0xff);
        expect(m.reg(i, DFR), at).toBe(0xffffffff);
        for (const r of [TPR, PPR, LDR, ESR, ICR_LOW, ICR_HIGH, TIMER_INITIAL, TIMER_CURRENT, TIMER_DIVIDE]) expect(m.reg(i, r), `${at} ${r.toString(16)}`).toBe(0);
        for (const base of [ISR, TMR, IRR]) expect(m.vectorsIn(i, base), at).toEqual([]);
        for (const lvt of [LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT1, LVT_ERROR, LVT_CMCI]) expect(m.reg(i, lvt), `${at} ${lvt.toString(16)}`).toBe(MASKED);
        expect(m.reg(i, LVT_LINT0), at).toBe(i === 0 ? 0x700 : MASKED);
        expect(m.msr(i, MSR_APIC_BASE), at).toEqual([(0xfee00000 | BASE_ENABLE | (i === 0 ? BASE_BSP : 0)) >>> 0, 0]);
        expect(m.apic(i).isBsp, at).toBe(i === 0);
        expect(m.msr(i, MSR_TSC_DEADLINE), at).toEqual([0, 0]);
        expect(m.apic(i).nextEventNs(), at).toBeUndefined();
        expect(m.apic(i).pending(), at).toBe(false);
      }
      expect(m.apic(0).readMsr(0x10)).toBeUndefined();
      expect(m.apic(0).writeMsr(0x10, 1, 0)).toBe(false);
    });

    it('rejects an index the state or router does not have', () => {
      const m = machine(2);
      expect(() => new LocalApic(m.state, 2, m.router, { now: () => 0, tsc: () => 0 })).toThrow(RangeError);
      expect(() => new ApicRouter(m.state, 3, () => {})).toThrow(RangeError);
    });
  });

  describe('software enable (SVR)', () => {
    it('delivers only while SVR bit 8 is set; requests wait in IRR meanwhile', () => {
      const m = machine(1);
      m.send({ vector: 0x40 });
      expect(m.bit(0, IRR, 0x40)).toBe(true);
      expect(m.apic(0).pending()).toBe(false);
      m.enable(0);
      expect(m.reg(0, SVR)).toBe(0x1f7);
      expect(m.apic(0).pending()).toBe(true);
      expect(m.apic(0).acknowledge()).toBe(0x40);
    });

    it('stores the vector and enable bit only (EOI-broadcast suppression is reserved: version bit 24 is clear)', () => {
      const m = machine(1);
      expect(m.reg(0, VERSION) & (1 << 24)).toBe(0);
      m.set(0, SVR, 0xffffffff);
      expect(m.reg(0, SVR)).toBe(0x1ff);
    });

    it('keeps the defined bits of each LVT entry; delivery status and remote IRR read 0', () => {
      const m = enabled(1);
      const writable = [0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
      LVTS.forEach((lvt, n) => {
        m.set(0, lvt, 0xffffffff);
        expect(m.reg(0, lvt), lvt.toString(16)).toBe(writable[n]);
      });
    });

    it('masks every LVT entry when disabled, keeps them masked on LVT writes while disabled and after re-enabling', () => {
      const m = enabled(1);
      const values = [0x20031, 0x32, 0x33, 0x8734, 0x435, 0x36];
      LVTS.forEach((lvt, n) => m.set(0, lvt, values[n]!));
      m.set(0, LVT_CMCI, 0x37);
      expect(LVTS.map((lvt) => m.reg(0, lvt))).toEqual(values);
      expect(m.reg(0, LVT_CMCI)).toBe(0x37);
      m.set(0, SVR, 0xff);
      // SDM 10.4.7.2: the mask bits of all the LVT entries are set, the rest kept.
      expect(LVTS.map((lvt) => m.reg(0, lvt))).toEqual(values.map((v) => v | MASKED));
      expect(m.reg(0, LVT_CMCI)).toBe(0x37 | MASKED);
      // "Attempts to reset these bits will be ignored" while disabled.
      m.set(0, LVT_LINT0, 0x700);
      m.set(0, LVT_TIMER, 0x40);
      m.set(0, LVT_CMCI, 0x38);
      expect([m.reg(0, LVT_LINT0), m.reg(0, LVT_TIMER), m.reg(0, LVT_CMCI)]).toEqual([0x700 | MASKED, 0x40 | MASKED, 0x38 | MASKED]);
      // Re-enabling does not unmask; a write afterwards does.
      m.enable(0);
      expect(m.reg(0, LVT_TIMER)).toBe(0x40 | MASKED);
      m.set(0, LVT_TIMER, 0x40);
      expect(m.reg(0, LVT_TIMER)).toBe(0x40);
    });

    it('does not deliver the timer while disabled: the timer LVT is masked', () => {
      const m = enabled(1);
      m.set(0, TIMER_DIVIDE, 0xb);
      m.set(0, LVT_TIMER, 0x30);
      m.set(0, TIMER_INITIAL, 100);
      m.set(0, SVR, 0xff);
      m.at(100);
      m.apic(0).update();
      expect(m.bit(0, IRR, 0x30)).toBe(false);
    });
  });

  describe('IPIs through the ICR', () => {
    it('sends a fixed IPI to a physical APIC ID, the ID register deciding, and wakes the target', () => {
      const m = enabled(4);
      m.ipi(0, 0x40, 2);
      expect(m.holders(0x40)).toEqual([2]);
      expect(m.wakes()).toEqual([2]);
      expect(m.apic(2).pending()).toBe(true);
      expect(m.apic(2).acknowledge()).toBe(0x40);
      // The ID register is writable (bits 24-31) and routes.
      m.set(3, ID, 0x07000000);
      expect(m.reg(3, ID)).toBe(0x07000000);
      expect(m.apic(3).apicId).toBe(7);
      m.ipi(1, 0x41, 7);
      expect(m.holders(0x41)).toEqual([3]);
      m.ipi(1, 0x42, 3); // nobody has ID 3 now
      expect(m.holders(0x42)).toEqual([]);
      expect(m.wakes()).toEqual([3]);
    });

    it('reads back the ICR with delivery status 0 (idle) and only the defined bits', () => {
      const m = enabled(2);
      m.ipi(0, ASSERT | 0x45, 1);
      expect(m.reg(0, ICR_LOW)).toBe(ASSERT | 0x45);
      expect(m.reg(0, ICR_HIGH)).toBe(0x01000000);
      // All ones: an ExtINT to all-but-self, which nothing accepts; bits 12, 13, 16, 17, 20-31 are not defined.
      m.set(0, ICR_HIGH, 0xffffffff);
      m.set(0, ICR_LOW, 0xffffffff);
      expect(m.reg(0, ICR_LOW)).toBe(0x000ccfff);
      expect(m.reg(0, ICR_HIGH)).toBe(0xff000000);
      expect(m.holders(0xff)).toEqual([]);
    });

    it('broadcasts to physical destination 0xff, the sender included', () => {
      const m = enabled(4);
      m.ipi(1, 0x50, 0xff);
      expect(m.holders(0x50)).toEqual([0, 1, 2, 3]);
      expect(m.wakes().sort()).toEqual([0, 1, 2, 3]);
    });

    it('matches logical destinations against the LDR in the flat model', () => {
      const m = enabled(4);
      for (let i = 0; i < 4; i++) m.set(i, LDR, (1 << i) << 24);
      expect(m.reg(2, LDR)).toBe(0x04000000);
      m.set(3, LDR, 0xffffffff);
      expect(m.reg(3, LDR)).toBe(0xff000000); // bits 0-23 reserved
      m.set(3, LDR, 0x08000000);
      m.ipi(0, LOGICAL | 0x51, 0x06);
      expect(m.holders(0x51)).toEqual([1, 2]);
      expect(m.wakes()).toEqual([1, 2]);
      m.ipi(0, LOGICAL | 0x52, 0x09);
      expect(m.holders(0x52)).toEqual([0, 3]);
      m.ipi(0, LOGICAL | 0x53, 0xf0);
      expect(m.holders(0x53)).toEqual([]);
    });

    it('matches logical destinations as cluster and member mask in the cluster model', () => {
      const m = enabled(4);
      const ldrs = [0x11, 0x12, 0x21, 0x22];
      for (let i = 0; i < 4; i++) {
        m.set(i, DFR, 0x0fffffff);
        m.set(i, LDR, ldrs[i]! << 24);
      }
      expect(m.reg(1, DFR)).toBe(0x0fffffff);
      m.ipi(0, LOGICAL | 0x61, 0x12); // flat would take APIC 0 too (0x11 & 0x12)
      expect(m.holders(0x61)).toEqual([1]);
      m.ipi(0, LOGICAL | 0x62, 0x23);
      expect(m.holders(0x62)).toEqual([2, 3]);
      m.ipi(0, LOGICAL | 0x63, 0x13);
      expect(m.holders(0x63)).toEqual([0, 1]);
      m.ipi(0, LOGICAL | 0x64, 0x31);
      expect(m.holders(0x64)).toEqual([]);
      m.ipi(0, LOGICAL | 0x65, 0xff); // all clusters, all members
      expect(m.holders(0x65)).toEqual([0, 1, 2, 3]);
      // Back to flat on APIC 0: 0x11 & 0x12 matches now.
      m.set(0, DFR, 0xffffffff);
      m.ipi(1, LOGICAL | 0x66, 0x12);
      expect(m.holders(0x66)).toEqual([0, 1]);
    });

    it('honours the shorthands self, all including self and all excluding self, ignoring the destination', () => {
      const m = enabled(4);
      m.ipi(1, SELF | 0x70, 2);
      expect(m.holders(0x70)).toEqual([1]);
      expect(m.wakes()).toEqual([1]);
      m.ipi(1, ALL | 0x71, 2);
      expect(m.holders(0x71)).toEqual([0, 1, 2, 3]);
      expect(m.wakes()).toEqual([0, 1, 2, 3]);
      m.ipi(1, OTHERS | 0x72, 1);
      expect(m.holders(0x72)).toEqual([0, 2, 3]);
      expect(m.wakes()).toEqual([0, 2, 3]);
    });

    it('gives a lowest-priority IPI to the lowest TPR of its destinations, ties to the lowest index', () => {
      const m = enabled(4);
      [0x30, 0x20, 0x10, 0x10].forEach((tpr, i) => m.set(i, TPR, tpr));
      m.ipi(0, LOWEST | 0x80, 0xff);
      expect(m.holders(0x80)).toEqual([2]);
      expect(m.wakes()).toEqual([2]);
      m.ipi(2, OTHERS | LOWEST | 0x81);
      expect(m.holders(0x81)).toEqual([3]);
      for (let i = 0; i < 4; i++) m.set(i, LDR, (1 << i) << 24);
      m.ipi(0, LOGICAL | LOWEST | 0x82, 0x03);
      expect(m.holders(0x82)).toEqual([1]);
    });

    it('drops SMI, NMI and ExtINT messages without waking anyone', () => {
      const m = enabled(2);
      for (const mode of [DeliveryMode.Smi, DeliveryMode.Nmi, DeliveryMode.ExtInt]) m.ipi(0, (mode << 8) | 0x90, 1);
      expect(m.holders(0x90)).toEqual([]);
      expect(m.wakes()).toEqual([]);
      expect(m.apic(1).takeInit()).toBe(false);
      expect(m.apic(1).takeStartUp()).toBe(-1);
    });
  });

  describe('priority', () => {
    it('delivers the highest IRR vector above the PPR, moving it to ISR; EOI clears the highest ISR bit; higher classes nest', () => {
      const m = enabled(1);
      const a = m.apic(0);
      for (const v of [0x31, 0x52, 0x45]) m.send({ vector: v });
      expect(a.pending()).toBe(true);
      expect(a.acknowledge()).toBe(0x52);
      expect(m.vectorsIn(0, IRR)).toEqual([0x31, 0x45]);
      expect(m.vectorsIn(0, ISR)).toEqual([0x52]);
      expect(m.reg(0, PPR)).toBe(0x50);
      // Class 4 is below the in-service class 5; so is 0x55, of the same class.
      m.send({ vector: 0x55 });
      expect(a.pending()).toBe(false);
      expect(a.acknowledge()).toBe(0xf7); // spurious: nothing moves
      expect(m.vectorsIn(0, IRR)).toEqual([0x31, 0x45, 0x55]);
      expect(m.vectorsIn(0, ISR)).toEqual([0x52]);
      // A higher class preempts.
      m.send({ vector: 0x61 });
      expect(a.acknowledge()).toBe(0x61);
      expect(m.vectorsIn(0, ISR)).toEqual([0x52, 0x61]);
      expect(m.reg(0, PPR)).toBe(0x60);
      expect(a.pending()).toBe(false);
      m.set(0, EOI, 0);
      expect(m.vectorsIn(0, ISR)).toEqual([0x52]);
      expect(m.reg(0, PPR)).toBe(0x50);
      expect(a.pending()).toBe(false);
      m.set(0, EOI, 0);
      expect(m.vectorsIn(0, ISR)).toEqual([]);
      expect(m.reg(0, PPR)).toBe(0);
      expect(a.acknowledge()).toBe(0x55);
      expect(a.pending()).toBe(false); // 0x45, 0x31: lower classes wait for the EOI
      m.set(0, EOI, 0);
      expect(m.drain(0)).toEqual([0x45, 0x31]);
      expect(a.pending()).toBe(false);
      m.set(0, EOI, 0); // EOI with nothing in service changes nothing
      expect(m.vectorsIn(0, ISR)).toEqual([]);
    });

    it('holds off classes at or below the TPR class, and computes PPR from TPR and ISR', () => {
      const m = enabled(1);
      const a = m.apic(0);
      m.set(0, TPR, 0xffffffff);
      expect(m.reg(0, TPR)).toBe(0xff);
      m.set(0, TPR, 0x40);
      expect(m.reg(0, PPR)).toBe(0x40);
      m.send({ vector: 0x45 });
      m.send({ vector: 0x31 });
      expect(a.pending()).toBe(false);
      m.set(0, TPR, 0x3f);
      expect(m.reg(0, PPR)).toBe(0x3f);
      expect(a.acknowledge()).toBe(0x45);
      // ISR class 4 above TPR class 3: PPR = ISRV[7:4] << 4.
      expect(m.reg(0, PPR)).toBe(0x40);
      m.set(0, TPR, 0x4a); // TPR class equal to the ISR class: PPR = TPR
      expect(m.reg(0, PPR)).toBe(0x4a);
      m.set(0, TPR, 0x5a);
      expect(m.reg(0, PPR)).toBe(0x5a);
      m.set(0, TPR, 0x25);
      expect(m.reg(0, PPR)).toBe(0x40);
      m.set(0, EOI, 0);
      expect(m.reg(0, PPR)).toBe(0x25);
      expect(a.acknowledge()).toBe(0x31); // class 3 above the TPR class 2
    });

    it('keeps one request per vector in IRR', () => {
      const m = enabled(1);
      m.send({ vector: 0x44 });
      m.send({ vector: 0x44 });
      expect(m.drain(0)).toEqual([0x44]);
    });
  });

  describe('trigger mode', () => {
    it('sets TMR for a level message and broadcasts its EOI; an edge one clears TMR and does not', () => {
      const m = enabled(1);
      m.send({ vector: 0x70, level: true });
      expect(m.bit(0, TMR, 0x70)).toBe(true);
      expect(m.apic(0).acknowledge()).toBe(0x70);
      m.send({ vector: 0x90 });
      expect(m.bit(0, TMR, 0x90)).toBe(false);
      expect(m.apic(0).acknowledge()).toBe(0x90);
      m.set(0, EOI, 0);
      expect(m.levelEois[0]).toEqual([]);
      m.set(0, EOI, 0);
      expect(m.levelEois[0]).toEqual([0x70]);
      // The same vector arriving edge-triggered clears TMR again.
      m.send({ vector: 0x70 });
      expect(m.bit(0, TMR, 0x70)).toBe(false);
      expect(m.apic(0).acknowledge()).toBe(0x70);
      m.set(0, EOI, 0);
      expect(m.levelEois[0]).toEqual([0x70]);
    });

    it('lets a level IPI set TMR too (as QEMU), and EOIs reach the IOAPIC, which redelivers a still asserted pin', () => {
      const m = enabled(2);
      m.ipi(0, LEVEL | ASSERT | 0x66, 1);
      expect(m.bit(1, TMR, 0x66)).toBe(true);
      m.apic(1).acknowledge();
      m.set(1, EOI, 0);
      expect(m.levelEois[1]).toEqual([0x66]);
      // An IOAPIC level entry routed to a local APIC whose EOIs reach it as vm/pc.ts wires them.
      let io: IoApic | undefined;
      const state = createLapicState(1);
      const router = new ApicRouter(state, 1, () => {});
      const cpu = new LocalApic(state, 0, router, { now: () => 0, tsc: () => 0, onLevelEoi: (v) => io?.endOfInterrupt(v) });
      io = new IoApic(IoApic.createState(), router);
      const entry = (): number => (io!.write(0x00, 4, 0x10), io!.read(0x10, 4));
      cpu.write(SVR, 4, 0x1ff);
      io.write(0x00, 4, 0x11);
      io.write(0x10, 4, 0); // destination APIC 0
      io.write(0x00, 4, 0x10);
      io.write(0x10, 4, LEVEL | 0x33);
      io.pin(0).raise();
      expect(cpu.acknowledge()).toBe(0x33);
      expect((cpu.read(TMR + 0x10, 4) >>> 0x13) & 1).toBe(1);
      expect(entry() & ASSERT).toBe(ASSERT); // Remote IRR (bit 14)
      expect(cpu.pending()).toBe(false);
      // The EOI clears Remote IRR; the pin, still high, delivers again.
      cpu.write(EOI, 4, 0);
      expect(cpu.acknowledge()).toBe(0x33);
      io.pin(0).lower();
      cpu.write(EOI, 4, 0);
      expect(entry() & ASSERT).toBe(0);
      expect(cpu.pending()).toBe(false);
    });
  });

  describe('LINT0 and the 8259', () => {
    it('passes the PIC through an unmasked ExtINT LINT0 on the BSP, as at reset, even with the APIC software-disabled', () => {
      const m = machine(1);
      const a = m.apic(0);
      expect(a.pending()).toBe(false);
      m.pic.request = true;
      m.pic.vector = 0x0c;
      expect(a.pending()).toBe(true);
      expect(a.acknowledge()).toBe(0x0c);
      expect(m.pic.acks).toBe(1);
      expect(a.pending()).toBe(false);
    });

    it('blocks the PIC while LINT0 is masked, unless IA32_APIC_BASE bit 11 is clear', () => {
      const m = machine(1);
      const a = m.apic(0);
      m.pic.request = true;
      m.set(0, LVT_LINT0, 0x700 | MASKED);
      expect(a.pending()).toBe(false);
      expect(a.acknowledge()).toBe(0xff); // spurious, and the PIC is not acknowledged
      expect(m.pic.acks).toBe(0);
      // Globally disabled: the processor has no APIC, INTR goes straight in.
      expect(a.writeMsr(MSR_APIC_BASE, 0xfee00000, 0)).toBe(true);
      expect(a.pending()).toBe(true);
      expect(a.acknowledge()).toBe(0x08);
      expect(m.pic.acks).toBe(1);
      a.writeMsr(MSR_APIC_BASE, 0xfee00000 | BASE_ENABLE, 0);
      m.pic.request = true;
      expect(a.pending()).toBe(false);
      // Software-enable, unmask LINT0: it passes again.
      m.enable(0);
      m.set(0, LVT_LINT0, 0x700);
      expect(a.pending()).toBe(true);
    });

    it('gives the APIC its own vectors before the PIC ExtINT', () => {
      const m = enabled(1);
      m.set(0, LVT_LINT0, 0x700);
      m.pic.request = true;
      m.send({ vector: 0x40 });
      expect(m.apic(0).acknowledge()).toBe(0x40);
      expect(m.pic.acks).toBe(0);
      expect(m.apic(0).acknowledge()).toBe(0x08);
      expect(m.pic.acks).toBe(1);
    });

    it('never asks the PIC on an AP, which has no LINT0 wiring', () => {
      const m = machine(2);
      m.pic.request = true;
      m.apic(1).writeMsr(MSR_APIC_BASE, 0xfee00000, 0); // globally disabled: would pass INTR if it had one
      expect(m.apic(1).pending()).toBe(false);
      expect(m.apic(1).acknowledge()).toBe(0xff);
      m.apic(1).writeMsr(MSR_APIC_BASE, 0xfee00000 | BASE_ENABLE, 0);
      m.enable(1);
      m.set(1, LVT_LINT0, 0x700);
      expect(m.reg(1, LVT_LINT0)).toBe(0x700);
      expect(m.apic(1).pending()).toBe(false);
      expect([m.pic.asked, m.pic.acks]).toEqual([0, 0]);
    });
  });

  describe('INIT and start-up IPIs', () => {
    it('resets the target on INIT but keeps its APIC ID and IA32_APIC_BASE; takeInit is true once', () => {
      const m = enabled(2);
      m.set(1, ID, 0x05000000);
      m.set(1, TPR, 0x20);
      m.set(1, LDR, 0x02000000);
      m.set(1, DFR, 0x0fffffff);
      m.set(1, TIMER_DIVIDE, 0xb);
      m.set(1, LVT_TIMER, PERIODIC | 0x30);
      m.set(1, TIMER_INITIAL, 1000);
      m.send({ vector: 0x40, destination: 5, level: true });
      m.send({ vector: 0x50, destination: 5 });
      expect(m.apic(1).acknowledge()).toBe(0x50);
      m.ipi(1, ASSERT | 0x99, 0); // leaves an ICR value behind
      m.wakes();
      m.ipi(0, INIT | ASSERT, 5);
      expect(m.wakes()).toEqual([1]);
      expect(m.apic(1).takeInit()).toBe(true);
      expect(m.apic(1).takeInit()).toBe(false);
      expect(m.reg(1, ID)).toBe(0x05000000);
      expect(m.reg(1, SVR)).toBe(0xff);
      expect(m.reg(1, DFR)).toBe(0xffffffff);
      for (const r of [TPR, PPR, LDR, ICR_LOW, ICR_HIGH, TIMER_INITIAL, TIMER_CURRENT, TIMER_DIVIDE]) expect(m.reg(1, r), r.toString(16)).toBe(0);
      for (const lvt of [...LVTS, LVT_CMCI]) expect(m.reg(1, lvt), lvt.toString(16)).toBe(MASKED);
      for (const base of [ISR, TMR, IRR]) expect(m.vectorsIn(1, base)).toEqual([]);
      expect(m.apic(1).nextEventNs()).toBeUndefined();
      expect(m.msr(1, MSR_APIC_BASE)).toEqual([(0xfee00000 | BASE_ENABLE) >>> 0, 0]);
      // The sender is untouched.
      expect(m.reg(0, SVR)).toBe(0x1f7);
    });

    it('resets the BSP to the power-up state on INIT: LINT0 masked, still the BSP', () => {
      const m = machine(2);
      m.ipi(1, INIT | ASSERT, 0);
      expect(m.apic(0).takeInit()).toBe(true);
      expect(m.reg(0, LVT_LINT0)).toBe(MASKED);
      expect(m.msr(0, MSR_APIC_BASE)).toEqual([(0xfee00000 | BASE_ENABLE | BASE_BSP) >>> 0, 0]);
    });

    it('ignores INIT level de-assert (level trigger, assert clear)', () => {
      const m = enabled(2);
      m.ipi(0, INIT | LEVEL, 1);
      m.ipi(0, INIT | LEVEL, 0xff);
      expect(m.wakes()).toEqual([]);
      expect(m.apic(1).takeInit()).toBe(false);
      expect(m.reg(1, SVR)).toBe(0x1f7);
      m.ipi(0, INIT | LEVEL | ASSERT, 1);
      expect(m.apic(1).takeInit()).toBe(true);
    });

    it('hands a start-up vector over once, and discards one that came before an INIT', () => {
      const m = enabled(3);
      m.ipi(0, STARTUP | 0x9a, 1);
      expect(m.wakes()).toEqual([1]);
      expect(m.apic(1).takeStartUp()).toBe(0x9a);
      expect(m.apic(1).takeStartUp()).toBe(-1);
      // SIPI, then INIT: the INIT voids it.
      m.ipi(0, STARTUP | 0x10, 1);
      m.ipi(0, INIT | ASSERT, 1);
      expect(m.apic(1).takeInit()).toBe(true);
      expect(m.apic(1).takeStartUp()).toBe(-1);
      // INIT, then SIPI (the MP start-up sequence), before the vCPU looks: the SIPI stands.
      m.ipi(0, OTHERS | INIT | ASSERT);
      m.ipi(0, OTHERS | STARTUP | 0x20);
      expect(m.wakes()).toEqual([1, 1, 1, 2, 1, 2]);
      for (const i of [1, 2]) {
        expect(m.apic(i).takeInit()).toBe(true);
        expect(m.apic(i).takeStartUp()).toBe(0x20);
        expect(m.apic(i).takeStartUp()).toBe(-1);
      }
      expect(m.apic(0).takeInit()).toBe(false);
      expect(m.apic(0).takeStartUp()).toBe(-1);
    });
  });

  describe('timer', () => {
    /** APIC 0 enabled, timer LVT and divide set, initial count written at `start`. */
    function timer(lvt: number, initial: number, divide = 0xb, start = 1000) {
      const m = enabled(1);
      m.at(start);
      m.set(0, TIMER_DIVIDE, divide);
      m.set(0, LVT_TIMER, lvt);
      m.set(0, TIMER_INITIAL, initial);
      /** Moves time, runs update(), returns the vectors then deliverable. */
      const step = (ns: number): number[] => {
        m.at(ns);
        m.apic(0).update();
        return m.drain(0);
      };
      const current = (): number => m.reg(0, TIMER_CURRENT);
      return { ...m, step, current, a: m.apic(0) };
    }

    it('fires a one-shot count once at initial x divisor ns, counting down to 0', () => {
      const t = timer(0x30, 1000, 0x0); // divide by 2
      expect(t.reg(0, TIMER_INITIAL)).toBe(1000);
      expect(t.a.nextEventNs()).toBe(1000 + 2000);
      expect(t.current()).toBe(1000);
      expect(t.step(1600)).toEqual([]);
      expect(t.current()).toBe(700);
      expect(t.step(2999)).toEqual([]);
      expect(t.current()).toBe(1);
      expect(t.step(3000)).toEqual([0x30]);
      expect(t.current()).toBe(0);
      expect(t.a.nextEventNs()).toBeUndefined();
      expect(t.step(10_000)).toEqual([]);
      expect(t.current()).toBe(0);
      expect(t.reg(0, TIMER_INITIAL)).toBe(1000);
      // Writing the initial count again restarts it.
      t.set(0, TIMER_INITIAL, 10);
      expect(t.a.nextEventNs()).toBe(10_020);
      expect(t.step(10_020)).toEqual([0x30]);
    });

    it('fires a periodic count every period, keeping its phase, once after falling several periods behind', () => {
      const t = timer(PERIODIC | 0x31, 1000, 0xb, 0);
      expect(t.a.nextEventNs()).toBe(1000);
      expect(t.step(999)).toEqual([]);
      expect(t.step(1000)).toEqual([0x31]);
      expect(t.a.nextEventNs()).toBe(2000);
      expect(t.step(1500)).toEqual([]);
      expect(t.current()).toBe(500);
      expect(t.step(2003)).toEqual([0x31]);
      expect(t.a.nextEventNs()).toBe(3000);
      expect(t.step(5500)).toEqual([0x31]);
      expect(t.a.nextEventNs()).toBe(6000);
      expect(t.current()).toBe(500);
      expect(t.step(5999)).toEqual([]);
      expect(t.step(6000)).toEqual([0x31]);
      expect(t.current()).toBe(1000);
    });

    it('counts initial counts of 2^31 and more as unsigned, periodic too', () => {
      const t = timer(PERIODIC | 0x32, 0x80000000, 0xb, 0);
      expect(t.reg(0, TIMER_INITIAL)).toBe(0x80000000);
      expect(t.a.nextEventNs()).toBe(2 ** 31);
      expect(t.current()).toBe(0x80000000);
      t.at(5);
      expect(t.current()).toBe(0x80000000 - 5);
      expect(t.step(2 ** 31)).toEqual([0x32]);
      expect(t.a.nextEventNs()).toBe(2 ** 32);
      expect(t.step(2 ** 31 + 7)).toEqual([]);
      expect(t.current()).toBe(0x80000000 - 7);
      const u = timer(0x33, 0xffffffff, 0xb, 0);
      expect(u.a.nextEventNs()).toBe(0xffffffff);
      expect(u.step(0xfffffffe)).toEqual([]);
      expect(u.current()).toBe(1);
    });

    it('divides by 1, 2, 4 ... 128 as the divide configuration register says', () => {
      const divisors: [number, number][] = [[0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1]];
      for (const [config, divisor] of divisors) {
        const t = timer(0x34, 100, config);
        expect(t.reg(0, TIMER_DIVIDE), `config ${config}`).toBe(config);
        expect(t.a.nextEventNs(), `config ${config}`).toBe(1000 + 100 * divisor);
        t.at(1000 + 10 * divisor + divisor - 1);
        expect(t.current(), `config ${config}`).toBe(90);
        expect(t.step(1000 + 100 * divisor - 1), `config ${config}`).toEqual([]);
        expect(t.step(1000 + 100 * divisor), `config ${config}`).toEqual([0x34]);
      }
      // Bit 2 and bits 4-31 are reserved.
      const m = enabled(1);
      m.set(0, TIMER_DIVIDE, 0xffffffff);
      expect(m.reg(0, TIMER_DIVIDE)).toBe(0xb);
      m.set(0, TIMER_DIVIDE, 0x4);
      expect(m.reg(0, TIMER_DIVIDE)).toBe(0);
    });

    it('counts while masked but raises nothing; unmasking lets the next expiry through', () => {
      const t = timer(PERIODIC | MASKED | 0x35, 100, 0xb, 0);
      expect(t.a.nextEventNs()).toBe(100);
      t.at(40);
      expect(t.current()).toBe(60);
      expect(t.step(100)).toEqual([]);
      expect(t.vectorsIn(0, IRR)).toEqual([]);
      expect(t.a.nextEventNs()).toBe(200);
      t.set(0, LVT_TIMER, PERIODIC | 0x35);
      expect(t.step(200)).toEqual([0x35]);
      const o = timer(MASKED | 0x36, 100, 0xb, 0);
      expect(o.step(100)).toEqual([]);
      expect(o.a.nextEventNs()).toBeUndefined();
      expect(o.current()).toBe(0);
    });

    it('stops on an initial count of 0', () => {
      for (const mode of [0, PERIODIC]) {
        const t = timer(mode | 0x37, 100, 0xb, 0);
        t.at(50);
        t.set(0, TIMER_INITIAL, 0);
        expect(t.a.nextEventNs()).toBeUndefined();
        expect(t.current()).toBe(0);
        expect(t.step(100)).toEqual([]);
        expect(t.step(1000)).toEqual([]);
      }
    });

    it('runs on between one-shot and periodic, under the new mode', () => {
      const toPeriodic = timer(0x38, 100, 0xb, 0);
      toPeriodic.at(30);
      toPeriodic.set(0, LVT_TIMER, PERIODIC | 0x38);
      expect(toPeriodic.a.nextEventNs()).toBe(100);
      expect(toPeriodic.step(100)).toEqual([0x38]);
      expect(toPeriodic.a.nextEventNs()).toBe(200); // periodic now: it reloads
      const toOneShot = timer(PERIODIC | 0x38, 100, 0xb, 0);
      toOneShot.at(30);
      toOneShot.set(0, LVT_TIMER, 0x38);
      expect(toOneShot.step(100)).toEqual([0x38]);
      expect(toOneShot.a.nextEventNs()).toBeUndefined(); // one-shot now: it stops at 0
      expect(toOneShot.current()).toBe(0);
    });

    it('stops on entering or leaving TSC-deadline mode (the current count reads 0), but not on other LVT writes', () => {
      for (const [from, to] of [[0, TSC_DEADLINE], [PERIODIC, TSC_DEADLINE], [TSC_DEADLINE, 0], [TSC_DEADLINE, PERIODIC]] as const) {
        const t = timer(from | 0x38, 100, 0xb, 0);
        t.at(30);
        t.set(0, LVT_TIMER, to | 0x38);
        const what = `${from.toString(16)} -> ${to.toString(16)}`;
        expect(t.a.nextEventNs(), what).toBeUndefined();
        expect(t.current(), what).toBe(0);
        expect(t.step(100), what).toEqual([]);
        expect(t.step(1000), what).toEqual([]);
        expect(t.current(), what).toBe(0);
      }
      const t = timer(PERIODIC | MASKED | 0x38, 100, 0xb, 0);
      t.set(0, LVT_TIMER, PERIODIC | 0x39);
      expect(t.a.nextEventNs()).toBe(100);
      expect(t.step(100)).toEqual([0x39]);
    });

    it('fires in TSC-deadline mode when the TSC reaches IA32_TSC_DEADLINE, which then reads 0', () => {
      const t = timer(TSC_DEADLINE | 0x3a, 0, 0xb, 1000);
      expect(t.reg(0, LVT_TIMER)).toBe(TSC_DEADLINE | 0x3a);
      expect(t.a.nextEventNs()).toBeUndefined();
      expect(t.a.writeMsr(MSR_TSC_DEADLINE, TSC_OFFSET + 6000, 0)).toBe(true);
      expect(t.msr(0, MSR_TSC_DEADLINE)).toEqual([TSC_OFFSET + 6000, 0]);
      expect(t.a.nextEventNs()).toBe(6000);
      expect(t.current()).toBe(0);
      expect(t.step(5999)).toEqual([]);
      expect(t.step(6000)).toEqual([0x3a]);
      expect(t.msr(0, MSR_TSC_DEADLINE)).toEqual([0, 0]);
      expect(t.a.nextEventNs()).toBeUndefined();
      expect(t.step(20_000)).toEqual([]);
      // A deadline already passed fires at once.
      t.a.writeMsr(MSR_TSC_DEADLINE, 5, 0);
      expect(t.a.nextEventNs()).toBe(20_000);
      expect(t.step(20_000)).toEqual([0x3a]);
      // Writing 0 disarms.
      t.a.writeMsr(MSR_TSC_DEADLINE, TSC_OFFSET + 30_000, 0);
      t.a.writeMsr(MSR_TSC_DEADLINE, 0, 0);
      expect(t.a.nextEventNs()).toBeUndefined();
      expect(t.step(40_000)).toEqual([]);
      // The high half counts.
      t.a.writeMsr(MSR_TSC_DEADLINE, 5, 1);
      expect(t.msr(0, MSR_TSC_DEADLINE)).toEqual([5, 1]);
      expect(t.a.nextEventNs()).toBe(40_000 + 2 ** 32 + 5 - (40_000 + TSC_OFFSET));
    });

    it('ignores initial-count writes in TSC-deadline mode: they neither disarm the deadline nor count', () => {
      const t = timer(TSC_DEADLINE | 0x3b, 0, 0xb, 0);
      t.a.writeMsr(MSR_TSC_DEADLINE, TSC_OFFSET + 500, 0);
      t.set(0, TIMER_INITIAL, 100);
      expect(t.current()).toBe(0);
      expect(t.a.nextEventNs()).toBe(500);
      expect(t.step(100)).toEqual([]);
      expect(t.step(500)).toEqual([0x3b]);
    });

    it('ignores IA32_TSC_DEADLINE outside TSC-deadline mode (it reads 0), and disarms it on leaving the mode', () => {
      const t = timer(0x3c, 0, 0xb, 0);
      t.a.writeMsr(MSR_TSC_DEADLINE, TSC_OFFSET + 500, 0);
      expect(t.msr(0, MSR_TSC_DEADLINE)).toEqual([0, 0]);
      expect(t.a.nextEventNs()).toBeUndefined();
      t.set(0, LVT_TIMER, TSC_DEADLINE | 0x3c);
      expect(t.a.nextEventNs()).toBeUndefined();
      expect(t.step(600)).toEqual([]);
      t.a.writeMsr(MSR_TSC_DEADLINE, TSC_OFFSET + 1000, 0);
      t.set(0, LVT_TIMER, 0x3c);
      expect(t.msr(0, MSR_TSC_DEADLINE)).toEqual([0, 0]);
      expect(t.a.nextEventNs()).toBeUndefined();
      expect(t.step(1000)).toEqual([]);
    });
  });

  describe('IA32_APIC_BASE', () => {
    it('globally disables on clearing bit 11 (no vectors delivered) and keeps the BSP bit read-only', () => {
      const m = enabled(2);
      const a = m.apic(0);
      m.send({ vector: 0x40 });
      expect(a.pending()).toBe(true);
      a.writeMsr(MSR_APIC_BASE, 0xfee00000, 0);
      expect(m.msr(0, MSR_APIC_BASE)).toEqual([(0xfee00000 | BASE_BSP) >>> 0, 0]);
      expect(a.pending()).toBe(false);
      expect(a.acknowledge()).toBe(0xf7);
      expect(m.vectorsIn(0, ISR)).toEqual([]);
      a.writeMsr(MSR_APIC_BASE, (0xfee00000 | BASE_ENABLE) >>> 0, 0);
      expect(m.msr(0, MSR_APIC_BASE)).toEqual([(0xfee00000 | BASE_ENABLE | BASE_BSP) >>> 0, 0]);
      expect(a.acknowledge()).toBe(0x40);
      // An AP cannot make itself the BSP.
      m.apic(1).writeMsr(MSR_APIC_BASE, (0xfee00000 | BASE_ENABLE | BASE_BSP) >>> 0, 0);
      expect(m.msr(1, MSR_APIC_BASE)).toEqual([(0xfee00000 | BASE_ENABLE) >>> 0, 0]);
      expect(m.apic(1).isBsp).toBe(false);
    });
  });

  describe('register access widths', () => {
    it('returns the low bytes of a register to byte and word reads', () => {
      const m = machine(2);
      const a = m.apic(0);
      expect(a.read(VERSION, 1)).toBe(0x14);
      expect(a.read(VERSION, 2)).toBe(0x0014);
      expect(a.read(VERSION + 2, 1)).toBe(0x05);
      expect(a.read(VERSION + 2, 2)).toBe(0x0005);
      expect(m.apic(1).read(ID + 3, 1)).toBe(0x01);
      expect(a.read(SVR, 1)).toBe(0xff);
      expect(a.read(SVR, 2)).toBe(0x00ff);
      expect(a.read(LVT_LINT0, 2)).toBe(0x0700);
      expect(a.read(LVT_LINT0 + 1, 1)).toBe(0x07);
    });

    it('ignores narrow and unaligned writes', () => {
      const m = enabled(2);
      for (const [offset, size] of [[TPR, 1], [TPR, 2], [TPR + 4, 4], [TPR + 1, 1], [TPR + 2, 2]] as const) {
        m.apic(0).write(offset, size, 0x55);
        expect(m.reg(0, TPR), `${offset.toString(16)}/${size}`).toBe(0);
      }
      m.send({ vector: 0x40 });
      expect(m.apic(0).acknowledge()).toBe(0x40);
      m.apic(0).write(EOI, 1, 0);
      m.apic(0).write(EOI, 2, 0);
      m.apic(0).write(EOI + 8, 4, 0);
      expect(m.vectorsIn(0, ISR)).toEqual([0x40]);
      m.set(0, EOI, 0);
      expect(m.vectorsIn(0, ISR)).toEqual([]);
      m.apic(0).write(ICR_HIGH, 1, 0x01);
      m.apic(0).write(ICR_LOW, 2, 0x4041);
      m.apic(0).write(ICR_LOW, 1, 0x41);
      expect(m.holders(0x41)).toEqual([]);
      expect(m.reg(0, ICR_LOW)).toBe(0);
    });

    it('reads 0 at reserved offsets and the write-only EOI register, and ignores writes there', () => {
      const m = enabled(1);
      const reserved = [0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x290, 0x2a0, 0x2b0, 0x2c0, 0x2d0, 0x2e0, 0x3a0, 0x3b0, 0x3c0, 0x3d0, 0x3f0, 0x400, 0xff0];
      for (const offset of reserved) {
        m.set(0, offset, 0xffffffff);
        expect(m.reg(0, offset), offset.toString(16)).toBe(0);
        expect(m.apic(0).read(offset, 1), offset.toString(16)).toBe(0);
      }
      expect(m.reg(0, EOI)).toBe(0);
      // Read-only registers ignore writes.
      for (const r of [VERSION, PPR, ISR, TMR, IRR, TIMER_CURRENT]) {
        const before = m.reg(0, r);
        m.set(0, r, 0x12345678);
        expect(m.reg(0, r), r.toString(16)).toBe(before);
      }
      m.set(0, ESR, 0xffffffff);
      expect(m.reg(0, ESR)).toBe(0);
    });
  });

  describe('shared state', () => {
    it('lets two LocalApics over one state, each with its own router (two vCPU workers), reach each other', () => {
      const state = createLapicState(2);
      const wokenA: number[] = [];
      const wokenB: number[] = [];
      const a = new LocalApic(state, 0, new ApicRouter(state, 2, (i) => wokenA.push(i)), { now: () => 0, tsc: () => 0 });
      const b = new LocalApic(state, 1, new ApicRouter(state, 2, (i) => wokenB.push(i)), { now: () => 0, tsc: () => 0 });
      a.write(SVR, 4, 0x1ff);
      b.write(SVR, 4, 0x1ff);
      a.write(ICR_HIGH, 4, 1 << 24);
      a.write(ICR_LOW, 4, 0x44);
      expect(wokenA).toEqual([1]);
      expect(b.pending()).toBe(true);
      expect(a.pending()).toBe(false);
      expect(b.acknowledge()).toBe(0x44);
      // B's LDR and TPR, written through B, route A's messages.
      b.write(LDR, 4, 0x02000000);
      a.write(LDR, 4, 0x01000000);
      a.write(ICR_HIGH, 4, 0x02 << 24);
      a.write(ICR_LOW, 4, LOGICAL | 0x46);
      expect(b.pending()).toBe(false); // 0x44 in service holds class 4 off
      b.write(EOI, 4, 0);
      expect(b.acknowledge()).toBe(0x46);
      b.write(EOI, 4, 0);
      a.write(TPR, 4, 0x80);
      b.write(ICR_LOW, 4, ALL | LOWEST | 0xa7);
      expect(wokenB).toEqual([1]);
      expect(b.acknowledge()).toBe(0xa7);
      b.write(EOI, 4, 0);
      b.write(TPR, 4, 0x90);
      b.write(ICR_LOW, 4, ALL | LOWEST | 0xa8);
      expect(wokenB).toEqual([1, 0]);
      expect(b.pending()).toBe(false);
      expect(a.acknowledge()).toBe(0xa8);
    });

    it('loses and duplicates no request while another thread sends concurrently', async () => {
      // The layout is private to lapic.ts: find the IRR and the request summary by delivering one vector.
      const probe = createLapicState(1);
      const before = probe.slice();
      new ApicRouter(probe, 1, () => {}).deliver({ vector: 0x21, mode: DeliveryMode.Fixed, logical: false, destination: 0, level: false });
      const changed = [...probe.keys()].filter((k) => probe[k] !== before[k]);
      const irrWord1 = changed.find((k) => probe[k] === 2);
      const summary = changed.find((k) => probe[k] === 1);
      expect(changed).toHaveLength(2);
      expect(irrWord1).toBeDefined();
      expect(summary).toBeDefined();

      const state = createLapicState(2);
      const receiver = new LocalApic(state, 1, new ApicRouter(state, 2, () => {}), { now: () => 0, tsc: () => 0 });
      receiver.write(SVR, 4, 0x1ff);
      const control = new Int32Array(new SharedArrayBuffer(8));
      // Many small rounds: a request is lost only if the summary is, and only the last send of a round can
      // lose it for good, so each round's sends race the receiver's first look after the previous round.
      const rounds = 20_000;
      const size = (r: number): number => 1 + (r % 4);
      // The sender does what ApicRouter.accept does for a fixed edge message: the IRR bit, then the summary.
      const worker = new Worker(
        `
        const { workerData } = require('node:worker_threads');
        const { state, control, irr, summary, rounds } = workerData;
        let seed = 12345;
        const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
        for (let r = 0; r < rounds; r++) {
          while (Atomics.load(control, 0) <= r);
          const sent = new Set();
          while (sent.size < 1 + (r % 4)) sent.add(0x10 + (next() % 0xf0));
          for (const v of sent) {
            for (let spin = next() & 255; spin > 0; spin--) next();
            Atomics.or(state, irr + (v >>> 5), 1 << (v & 31));
            Atomics.store(state, summary, 1);
          }
        }
        `,
        {
          eval: true,
          workerData: { state, control, irr: LAPIC_BLOCK_WORDS + irrWord1! - 1, summary: LAPIC_BLOCK_WORDS + summary!, rounds },
        },
      );
      try {
        await once(worker, 'online');
        let total = 0;
        for (let r = 0; r < rounds; r++) {
          const seen = new Uint8Array(256);
          let got = 0;
          const deadline = Date.now() + 5_000;
          Atomics.store(control, 0, r + 1);
          while (got < size(r)) {
            if (receiver.pending()) {
              const v = receiver.acknowledge();
              receiver.write(EOI, 4, 0);
              if (v < 0x10 || seen[v]) throw new Error(`round ${r}: vector ${v} ${v < 0x10 ? 'not sent' : 'twice'}`);
              seen[v] = 1;
              got++;
            } else if (Date.now() > deadline) {
              const irr = [0, 1, 2, 3, 4, 5, 6, 7].map((w) => (receiver.read(IRR + w * 0x10, 4) >>> 0).toString(16));
              throw new Error(`round ${r}: ${size(r) - got} request(s) lost, IRR ${irr.join(' ')}`);
            }
          }
          total += got;
        }
        expect(total).toBe(rounds * 2.5);
        expect(receiver.pending()).toBe(false);
      } finally {
        await worker.terminate();
      }
    });
  });
});
