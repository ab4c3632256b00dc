import { afterEach, describe, expect, it } from 'vitest';
import { checkLockRanks, LockRank, RankedLock, RankViolation } from '../../hypervisor/base/lock.js';
import { portBus } from '../../hypervisor/bus/io-bus.js';
import {
  ELCR_PORT,
  ELCR_PORT_COUNT,
  PIC_MASTER_PORT,
  PIC_PORT_COUNT,
  PIC_SLAVE_PORT,
  PicPair,
} from '../../hypervisor/devices/pic8259.js';

const [M_CMD, M_DATA, S_CMD, S_DATA] = [0x20, 0x21, 0xa0, 0xa1];
const [ELCR_M, ELCR_S] = [0x4d0, 0x4d1];
const EOI = 0x20;
const READ_IRR = 0x0a;
const READ_ISR = 0x0b;
const POLL = 0x0c;

/** A PIC pair on a port bus, as the VM wires it. */
function machine(state = PicPair.createState()) {
  const pic = new PicPair(state);
  const ports = portBus();
  ports.register(PIC_MASTER_PORT, PIC_PORT_COUNT, pic.masterPorts);
  ports.register(PIC_SLAVE_PORT, PIC_PORT_COUNT, pic.slavePorts);
  ports.register(ELCR_PORT, ELCR_PORT_COUNT, pic.elcrPorts);
  const outb = (port: number, value: number) => ports.write(port, 1, value);
  const inb = (port: number) => ports.read(port, 1);
  /** IRR or ISR through OCW3, leaving the read select on IRR. */
  const irr = (cmd: number) => (outb(cmd, READ_IRR), inb(cmd));
  const isr = (cmd: number) => {
    outb(cmd, READ_ISR);
    const value = inb(cmd);
    outb(cmd, READ_IRR);
    return value;
  };
  const raise = (...irqs: number[]) => irqs.forEach((irq) => pic.line(irq).raise());
  const lower = (...irqs: number[]) => irqs.forEach((irq) => pic.line(irq).lower());
  return { pic, state, ports, outb, inb, irr, isr, raise, lower };
}

type Machine = ReturnType<typeof machine>;

/** The PC initialisation: edge-triggered, cascade on IR2, 8086 mode (ICW4 0x01 unless told). */
function init(m: Machine, o: { master?: number; slave?: number; masterIcw4?: number; slaveIcw4?: number } = {}): Machine {
  m.outb(M_CMD, 0x11);
  m.outb(M_DATA, o.master ?? 0x20);
  m.outb(M_DATA, 0x04);
  m.outb(M_DATA, o.masterIcw4 ?? 0x01);
  m.outb(S_CMD, 0x11);
  m.outb(S_DATA, o.slave ?? 0x28);
  m.outb(S_DATA, 0x02);
  m.outb(S_DATA, o.slaveIcw4 ?? 0x01);
  return m;
}

const pc = (o: Parameters<typeof init>[1] = {}) => init(machine(), o);

describe('8259A PIC pair', () => {
  afterEach(() => checkLockRanks(false));

  it('initialises like a BIOS and delivers master and slave vectors', () => {
    const m = pc({ master: 0x08, slave: 0x70 });
    expect([m.inb(M_DATA), m.inb(S_DATA)]).toEqual([0, 0]); // ICW1 cleared both masks
    expect(m.pic.pending()).toBe(false);
    m.raise(0);
    expect(m.pic.pending()).toBe(true);
    expect(m.pic.acknowledge()).toBe(0x08);
    expect(m.pic.pending()).toBe(false);
    expect(m.isr(M_CMD)).toBe(0x01);
    m.outb(M_CMD, EOI);
    expect(m.isr(M_CMD)).toBe(0);
    m.raise(14);
    expect(m.pic.pending()).toBe(true);
    expect(m.pic.acknowledge()).toBe(0x76);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0x04, 0x40]);
  });

  it('reinitialises with ICW1: IMR, ISR, edge latches, priority, special mask and read select reset', () => {
    const m = pc();
    m.outb(M_DATA, 0xa8);
    m.raise(1);
    expect(m.pic.acknowledge()).toBe(0x21);
    m.outb(M_CMD, 0xc5); // IR5 lowest priority
    m.outb(M_CMD, 0x68); // special mask mode
    m.outb(M_CMD, READ_ISR);
    m.raise(3); // masked, latched, held high through ICW1
    init(m, { master: 0x40 });
    expect(m.inb(M_DATA)).toBe(0);
    expect(m.inb(M_CMD)).toBe(0); // reads IRR again; the IR3 edge latch was reset
    expect(m.isr(M_CMD)).toBe(0);
    expect(m.pic.pending()).toBe(false); // IR3 is still high but made no new edge
    m.raise(7, 6);
    expect(m.pic.acknowledge()).toBe(0x46); // IR6 before IR7: the rotation is gone
    m.outb(M_DATA, 0x40); // mask IR6 while it is in service
    expect(m.pic.pending()).toBe(false); // IR7 stays blocked: special mask mode is off
    m.lower(3);
    m.raise(3);
    expect(m.pic.acknowledge()).toBe(0x43);
  });

  it('takes ICW3 unless single mode and ICW4 only when ICW1 asks for it', () => {
    const m = machine();
    // Single, ICW4 wanted: ICW2 then ICW4 (AEOI), then the data port is OCW1.
    m.outb(M_CMD, 0x13);
    m.outb(M_DATA, 0x40);
    m.outb(M_DATA, 0x03);
    m.outb(M_DATA, 0xfc);
    expect(m.inb(M_DATA)).toBe(0xfc);
    m.raise(2);
    expect(m.pic.pending()).toBe(false); // the mask holds
    m.lower(2);
    m.raise(1);
    expect(m.pic.acknowledge()).toBe(0x41);
    expect(m.isr(M_CMD)).toBe(0); // the ICW4 byte set AEOI
    // Single, no ICW4: the byte after ICW2 is already OCW1, and AEOI is off again.
    m.outb(M_CMD, 0x12);
    m.outb(M_DATA, 0x50);
    m.outb(M_DATA, 0x03);
    expect(m.inb(M_DATA)).toBe(0x03);
    m.lower(1);
    m.raise(1);
    expect(m.pic.pending()).toBe(false); // masked by the byte after ICW2
    m.raise(4);
    expect(m.pic.acknowledge()).toBe(0x54);
    expect(m.isr(M_CMD)).toBe(0x10);
    // Cascade, no ICW4: ICW2, ICW3, then OCW1.
    m.outb(M_CMD, 0x10);
    m.outb(M_DATA, 0x60);
    m.outb(M_DATA, 0x04);
    m.outb(M_DATA, 0x81);
    expect(m.inb(M_DATA)).toBe(0x81);
  });

  it('treats IR2 as an ordinary input in single mode: the slave is not asked for the vector', () => {
    const m = machine();
    m.outb(M_CMD, 0x13);
    m.outb(M_DATA, 0x20);
    m.outb(M_DATA, 0x01);
    m.outb(S_CMD, 0x11);
    m.outb(S_DATA, 0x28);
    m.outb(S_DATA, 0x02);
    m.outb(S_DATA, 0x01);
    m.raise(10);
    expect(m.pic.acknowledge()).toBe(0x22);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0x04, 0]);
  });

  it('gets the vector from the slave only when its ICW3 identity matches the cascade input', () => {
    const m = pc();
    m.outb(S_CMD, 0x11);
    m.outb(S_DATA, 0x28);
    m.outb(S_DATA, 0x03); // identity 3: it does not answer cascade address 2
    m.outb(S_DATA, 0x01);
    m.raise(9);
    expect(m.pic.pending()).toBe(true);
    expect(m.pic.acknowledge()).toBe(0xff); // nobody drives the data bus
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0x04, 0]);
  });

  it('masks with OCW1: requests stay in IRR, and the master IR2 mask holds the whole slave', () => {
    const m = pc();
    m.outb(M_DATA, 0x08);
    expect(m.inb(M_DATA)).toBe(0x08);
    m.raise(3);
    expect(m.irr(M_CMD)).toBe(0x08);
    expect(m.pic.pending()).toBe(false);
    m.outb(M_DATA, 0x00);
    expect(m.pic.pending()).toBe(true); // the edge was latched while masked
    expect(m.pic.acknowledge()).toBe(0x23);
    m.outb(M_CMD, EOI);
    m.outb(M_DATA, 0x04);
    m.raise(12);
    expect(m.irr(S_CMD)).toBe(0x10);
    expect(m.irr(M_CMD) & 0x04).toBe(0x04); // the slave's INT reaches IR2
    expect(m.pic.pending()).toBe(false);
    m.outb(M_DATA, 0x00);
    expect(m.pic.acknowledge()).toBe(0x2c);
    m.outb(S_DATA, 0xff);
    expect(m.inb(S_DATA)).toBe(0xff);
    expect(m.inb(M_DATA)).toBe(0x00); // the two masks are separate registers
  });

  it('resolves priority fully nested and clears the highest in-service bit on a non-specific EOI', () => {
    const m = pc();
    m.raise(3, 1);
    expect(m.pic.acknowledge()).toBe(0x21);
    expect(m.pic.pending()).toBe(false); // IR3 waits behind IR1 in service
    m.raise(0);
    expect(m.pic.pending()).toBe(true); // a higher priority nests
    expect(m.pic.acknowledge()).toBe(0x20);
    expect(m.isr(M_CMD)).toBe(0x03);
    m.outb(M_CMD, EOI);
    expect(m.isr(M_CMD)).toBe(0x02);
    expect(m.pic.pending()).toBe(false);
    m.outb(M_CMD, EOI);
    expect(m.isr(M_CMD)).toBe(0);
    expect(m.pic.acknowledge()).toBe(0x23);
  });

  it('clears the named in-service bit on a specific EOI', () => {
    const m = pc();
    m.raise(5);
    m.pic.acknowledge();
    m.raise(1);
    expect(m.pic.acknowledge()).toBe(0x21);
    expect(m.isr(M_CMD)).toBe(0x22);
    m.outb(M_CMD, 0x65); // specific EOI for IR5, though IR1 is the highest in service
    expect(m.isr(M_CMD)).toBe(0x02);
  });

  it('rotates priority on a non-specific EOI, on a specific EOI and by set priority', () => {
    const m = pc();
    m.raise(1);
    expect(m.pic.acknowledge()).toBe(0x21);
    m.outb(M_CMD, 0xa0); // rotate on non-specific EOI: IR1 becomes the lowest
    expect(m.isr(M_CMD)).toBe(0);
    m.lower(1);
    m.raise(1, 5);
    expect(m.pic.acknowledge()).toBe(0x25);
    expect(m.pic.pending()).toBe(false); // IR1 is now below IR5 in service
    m.outb(M_CMD, 0xe5); // rotate on specific EOI: IR5 lowest, IR6 highest
    expect(m.isr(M_CMD)).toBe(0);
    m.raise(4);
    expect(m.pic.acknowledge()).toBe(0x21); // IR1 comes before IR4 from IR6 on
    m.outb(M_CMD, EOI);
    expect(m.pic.acknowledge()).toBe(0x24);
    m.outb(M_CMD, EOI);
    m.outb(M_CMD, 0xc4); // set priority: IR4 lowest, IR5 highest
    m.raise(0, 7);
    expect(m.pic.acknowledge()).toBe(0x27);
    m.outb(M_CMD, 0xc7); // IR7 lowest: back to IR0 highest
    m.outb(M_CMD, EOI);
    m.lower(7);
    m.raise(7);
    expect(m.pic.acknowledge()).toBe(0x20);
  });

  it('rotates in automatic EOI mode while that rotation is set', () => {
    const m = pc({ masterIcw4: 0x03 });
    m.outb(M_CMD, 0x80); // rotate in AEOI: set
    m.raise(3);
    expect(m.pic.acknowledge()).toBe(0x23);
    m.lower(3);
    m.raise(3, 5);
    expect(m.pic.acknowledge()).toBe(0x25); // IR3 was made the lowest
    m.outb(M_CMD, 0x00); // rotate in AEOI: clear
    expect(m.pic.acknowledge()).toBe(0x23); // IR6 is the highest now, IR5 the lowest
    m.raise(4);
    m.lower(3);
    m.raise(3);
    expect(m.pic.acknowledge()).toBe(0x23); // still IR6 highest; with rotation IR4 would be first
    expect(m.isr(M_CMD)).toBe(0);
  });

  it('selects IRR or ISR for reads at A0=0 with OCW3 and keeps the choice', () => {
    const m = pc();
    m.raise(1);
    m.pic.acknowledge();
    m.raise(4);
    m.outb(M_DATA, 0x80);
    expect(m.inb(M_CMD)).toBe(0x10); // IRR after initialisation
    m.outb(M_CMD, READ_ISR);
    expect([m.inb(M_CMD), m.inb(M_CMD)]).toEqual([0x02, 0x02]);
    m.outb(M_CMD, 0x08); // OCW3 with RR = 0: no change
    expect(m.inb(M_CMD)).toBe(0x02);
    expect(m.inb(M_DATA)).toBe(0x80); // A0=1 reads the mask whatever the select
    m.outb(M_CMD, READ_IRR);
    expect(m.inb(M_CMD)).toBe(0x10);
  });

  it('answers a poll command with 0x80|level on the next read, acknowledging it', () => {
    const m = pc();
    m.raise(5, 3);
    m.outb(M_CMD, POLL);
    expect(m.inb(M_CMD)).toBe(0x83);
    expect(m.inb(M_CMD)).toBe(0x20); // one read only: back to IRR, IR3's request is gone
    expect(m.isr(M_CMD)).toBe(0x08);
    m.outb(M_CMD, POLL);
    expect(m.inb(M_CMD)).toBe(0x00); // IR5 is below IR3 in service: no interrupt
    expect(m.isr(M_CMD)).toBe(0x08);
    m.outb(M_CMD, EOI);
    m.outb(M_CMD, 0x0f); // poll and read-ISR in one OCW3: the poll wins this read
    expect(m.inb(M_CMD)).toBe(0x85);
    expect(m.inb(M_CMD)).toBe(0x20); // then ISR, as selected
    expect(m.pic.pending()).toBe(false);
  });

  it('polls through the cascade: the master reports IR2, the slave its own level', () => {
    const m = pc();
    m.raise(13);
    m.outb(M_CMD, POLL);
    expect(m.inb(M_CMD)).toBe(0x82);
    m.outb(S_CMD, POLL);
    expect(m.inb(S_CMD)).toBe(0x85);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0x04, 0x20]);
    expect(m.pic.pending()).toBe(false);
  });

  it('lets lower priorities through in special mask mode and skips masked ISR bits on a non-specific EOI', () => {
    const m = pc();
    m.raise(3);
    m.pic.acknowledge();
    m.outb(M_DATA, 0x08);
    m.raise(5);
    expect(m.pic.pending()).toBe(false); // fully nested: IR3 in service blocks IR5
    m.outb(M_CMD, 0x68); // set special mask mode
    expect(m.pic.pending()).toBe(true);
    expect(m.pic.acknowledge()).toBe(0x25);
    expect(m.isr(M_CMD)).toBe(0x28);
    m.outb(M_CMD, EOI);
    expect(m.isr(M_CMD)).toBe(0x08); // IR5 cleared, masked IR3 left alone
    m.outb(M_CMD, 0x48); // reset special mask mode
    m.raise(6);
    expect(m.pic.pending()).toBe(false);
    m.outb(M_CMD, EOI);
    expect(m.isr(M_CMD)).toBe(0);
    expect(m.pic.acknowledge()).toBe(0x26);
  });

  it('clears the in-service bit at the end of the acknowledge in AEOI mode', () => {
    const m = pc({ masterIcw4: 0x03 });
    m.raise(4);
    expect(m.pic.acknowledge()).toBe(0x24);
    expect(m.isr(M_CMD)).toBe(0);
    m.raise(6);
    expect(m.pic.pending()).toBe(true); // nothing in service blocks it
    expect(m.pic.acknowledge()).toBe(0x26);
  });

  it('latches a rising edge and withdraws the request if the line drops before the acknowledge', () => {
    const m = pc();
    m.raise(4);
    expect(m.irr(M_CMD)).toBe(0x10);
    expect(m.pic.acknowledge()).toBe(0x24);
    expect(m.irr(M_CMD)).toBe(0x00); // the acknowledge reset the edge
    m.outb(M_CMD, EOI);
    expect(m.pic.pending()).toBe(false); // held high: no second interrupt
    m.lower(4);
    m.raise(4);
    expect(m.pic.acknowledge()).toBe(0x24);
    m.outb(M_CMD, EOI);
    m.lower(4);
    m.raise(6);
    expect(m.pic.pending()).toBe(true);
    m.lower(6); // a too-short request: the datasheet's default IR7
    expect(m.irr(M_CMD)).toBe(0);
    expect(m.pic.acknowledge()).toBe(0x27);
    expect(m.isr(M_CMD)).toBe(0); // a spurious IR7 sets no in-service bit
  });

  it('follows the line level for inputs the ELCR makes level-triggered', () => {
    const m = pc();
    m.outb(ELCR_M, 0x20);
    m.raise(5);
    expect(m.pic.acknowledge()).toBe(0x25);
    expect(m.irr(M_CMD)).toBe(0x20); // still requesting while high
    expect(m.pic.pending()).toBe(false);
    m.outb(M_CMD, EOI);
    expect(m.pic.pending()).toBe(true); // the line is still high: again
    expect(m.pic.acknowledge()).toBe(0x25);
    m.lower(5);
    expect(m.irr(M_CMD)).toBe(0);
    m.outb(M_CMD, EOI);
    expect(m.pic.pending()).toBe(false);
    // Slave inputs too: IRQ 11 level-triggered through the slave's ELCR.
    m.outb(ELCR_S, 0x08);
    m.raise(11);
    expect(m.pic.acknowledge()).toBe(0x2b);
    m.outb(S_CMD, EOI);
    m.outb(M_CMD, EOI);
    expect(m.pic.acknowledge()).toBe(0x2b);
  });

  it('makes every input level-triggered with ICW1 LTIM', () => {
    const m = machine();
    m.outb(M_CMD, 0x1b); // LTIM, single, ICW4
    m.outb(M_DATA, 0x20);
    m.outb(M_DATA, 0x01);
    m.raise(1);
    expect(m.pic.acknowledge()).toBe(0x21);
    m.outb(M_CMD, EOI);
    expect(m.pic.acknowledge()).toBe(0x21);
  });

  it('keeps the ELCR bits of IRQ 0, 1, 2, 8 and 13 at zero (edge)', () => {
    const m = pc();
    m.outb(ELCR_M, 0xff);
    m.outb(ELCR_S, 0xff);
    expect([m.inb(ELCR_M), m.inb(ELCR_S)]).toEqual([0xf8, 0xde]);
    expect(m.ports.read(ELCR_M, 2)).toBe(0xdef8);
    m.raise(0);
    expect(m.pic.acknowledge()).toBe(0x20);
    m.outb(M_CMD, EOI);
    expect(m.pic.pending()).toBe(false); // IRQ 0 stayed edge-triggered
    m.ports.write(ELCR_M, 2, 0x0820);
    expect([m.inb(ELCR_M), m.inb(ELCR_S)]).toEqual([0x20, 0x08]);
  });

  it('cascades: a slave request shows on master IR2 and the acknowledge sets both ISRs with the slave vector', () => {
    const m = pc();
    m.raise(10);
    expect(m.irr(S_CMD)).toBe(0x04);
    expect(m.irr(M_CMD)).toBe(0x04);
    m.raise(3);
    expect(m.pic.acknowledge()).toBe(0x2a); // IR2 (the slave) beats IR3
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0x04, 0x04]);
    expect(m.pic.pending()).toBe(false);
    m.raise(1);
    expect(m.pic.acknowledge()).toBe(0x21); // a master input above IR2 nests
    m.outb(M_CMD, EOI);
    m.outb(S_CMD, EOI);
    m.outb(M_CMD, EOI);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0, 0]);
    expect(m.pic.acknowledge()).toBe(0x23);
  });

  it('presents a second slave request after the slave EOI, once the master IR2 is no longer in service', () => {
    const m = pc();
    m.raise(8, 9);
    expect(m.pic.acknowledge()).toBe(0x28);
    m.outb(S_CMD, EOI);
    expect(m.irr(M_CMD)).toBe(0x04); // the slave raised INT again
    expect(m.pic.pending()).toBe(false); // master IR2 still in service
    m.outb(M_CMD, EOI);
    expect(m.pic.acknowledge()).toBe(0x29);
  });

  it('delivers back-to-back slave requests in AEOI mode: the slave INT drops during INTA and rises again', () => {
    const m = pc({ masterIcw4: 0x03, slaveIcw4: 0x03 });
    m.raise(8, 9);
    expect(m.pic.acknowledge()).toBe(0x28);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0, 0]);
    expect(m.pic.pending()).toBe(true);
    expect(m.pic.acknowledge()).toBe(0x29);
    expect(m.pic.pending()).toBe(false);
  });

  it('lets a higher slave request through while IR2 is in service only in special fully nested mode', () => {
    for (const [icw4, nests] of [
      [0x11, true],
      [0x01, false],
    ] as const) {
      const m = pc({ masterIcw4: icw4 });
      m.raise(10);
      expect(m.pic.acknowledge()).toBe(0x2a);
      m.raise(9);
      expect(m.pic.pending()).toBe(nests);
      if (nests) {
        expect(m.pic.acknowledge()).toBe(0x29);
        expect(m.isr(S_CMD)).toBe(0x06);
      }
      m.raise(11);
      expect(m.pic.pending()).toBe(false); // below the slave's in-service IR2 either way
    }
  });

  it('gives a spurious vector without an in-service bit when the request is gone at the acknowledge', () => {
    const m = pc({ master: 0x08, slave: 0x70 });
    // A slave line dropping before INTA takes the slave's INT and the master's IR2 with it: master IR7.
    m.raise(12);
    expect(m.pic.pending()).toBe(true);
    m.lower(12);
    expect(m.pic.acknowledge()).toBe(0x0f);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0, 0]);
    // The master sees IR2 but the slave has nothing to present: the slave's IR7 vector (IRQ 15), with
    // the master's IR2 in service and nothing in service on the slave.
    m.raise(2);
    expect(m.pic.pending()).toBe(true);
    expect(m.pic.acknowledge()).toBe(0x77);
    expect([m.isr(M_CMD), m.isr(S_CMD)]).toEqual([0x04, 0]);
  });

  it('behaves as one device across two instances over the same state buffer', () => {
    const state = PicPair.createState();
    expect(state.length).toBe(PicPair.STATE_WORDS);
    expect(state.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = init(machine(state));
    const b = machine(state);
    a.raise(12);
    expect(b.pic.pending()).toBe(true);
    expect(b.pic.acknowledge()).toBe(0x2c);
    expect(a.pic.pending()).toBe(false);
    expect([a.isr(M_CMD), a.isr(S_CMD)]).toEqual([0x04, 0x10]);
    b.outb(S_CMD, EOI);
    b.outb(M_CMD, EOI);
    expect([a.isr(M_CMD), a.isr(S_CMD)]).toEqual([0, 0]);
    b.outb(M_DATA, 0x5a);
    expect(a.inb(M_DATA)).toBe(0x5a);
    b.lower(12); // the line level is shared state too: a's raise is a new edge
    a.outb(M_DATA, 0);
    a.raise(12);
    expect(b.pic.acknowledge()).toBe(0x2c);
    expect(state[0]).toBe(0); // the lock word is free
  });

  it('takes its lock, of interrupt-controller rank, in every entry point that reads or changes state', () => {
    const m = pc();
    const entries: [string, () => unknown][] = [
      ['master port read', () => m.pic.masterPorts.read(0, 1)],
      ['master port write', () => m.pic.masterPorts.write(1, 1, 0)],
      ['slave port read', () => m.pic.slavePorts.read(1, 1)],
      ['slave port write', () => m.pic.slavePorts.write(0, 1, READ_IRR)],
      ['ELCR read', () => m.pic.elcrPorts.read(0, 1)],
      ['ELCR write', () => m.pic.elcrPorts.write(1, 1, 0)],
      ['raise', () => m.pic.line(4).raise()],
      ['lower', () => m.pic.line(12).lower()],
      ['acknowledge', () => m.pic.acknowledge()],
    ];
    // pending() reads the INT output the last locked change published: no lock, so it is safe anywhere.
    const peer = new RankedLock('ioapic', LockRank.InterruptController, new Int32Array(new SharedArrayBuffer(4)), 0);
    const device = new RankedLock('uart', LockRank.Device, new Int32Array(new SharedArrayBuffer(4)), 0);
    checkLockRanks(true);
    for (const [what, call] of entries) {
      expect(() => peer.with(call), what).toThrow(RankViolation);
      expect(() => peer.with(call), what).toThrow('acquiring pic (rank 20)');
      expect(() => device.with(call), what).not.toThrow(); // a device may raise lines under its own lock
    }
    expect(m.state[0]).toBe(0);
    checkLockRanks(true);
    expect(() => peer.with(() => m.pic.pending())).not.toThrow();
  });

  it('splits wider port accesses into bytes at ascending ports', () => {
    const m = pc();
    m.ports.write(M_CMD, 2, 0x5a0b); // OCW3 read ISR at 0x20, OCW1 at 0x21
    expect(m.inb(M_DATA)).toBe(0x5a);
    m.raise(0);
    m.pic.acknowledge();
    expect(m.ports.read(M_CMD, 2)).toBe(0x5a01); // ISR, then IMR
    expect(m.ports.read(M_DATA, 2)).toBe(0xff5a); // nothing answers past A0=1
    expect(m.ports.read(M_CMD, 4)).toBe(0xffff5a01 | 0);
  });

  it('refuses IRQ numbers outside 0-15 when wiring', () => {
    const { pic } = machine();
    for (const bad of [-1, 16, 2.5, NaN]) expect(() => pic.line(bad)).toThrow(RangeError);
    expect(() => new PicPair(new Int32Array(new SharedArrayBuffer(8)))).toThrow(RangeError);
  });

  it('accepts any byte at any port, width and order without throwing', () => {
    const m = machine();
    const portsList = [M_CMD, M_DATA, S_CMD, S_DATA, ELCR_M, ELCR_S];
    let seed = 0x2545f491;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
    const sizes = [1, 2, 4] as const;
    for (let i = 0; i < 50_000; i++) {
      const r = next();
      const port = portsList[r % portsList.length]!;
      const size = sizes[(r >>> 4) % 3]!;
      switch ((r >>> 8) % 6) {
        case 0:
          m.ports.write(port, size, next());
          break;
        case 1:
          m.ports.read(port, size);
          break;
        case 2:
          m.pic.line(next() % 16).raise();
          break;
        case 3:
          m.pic.line(next() % 16).lower();
          break;
        case 4:
          m.pic.pending();
          break;
        default: {
          const vector = m.pic.acknowledge();
          expect(vector >= 0 && vector <= 0xff).toBe(true);
        }
      }
    }
    expect(m.state[0]).toBe(0);
  });
});
