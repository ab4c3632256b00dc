import { afterEach, describe, expect, it } from 'vitest';
import { checkLockRanks, LockRank, RankedLock, RankViolation } from '../../hypervisor/base/lock.js';
import { RecordingIrqLine } from '../../hypervisor/devices/irq-line.js';
import { COM_IRQS, COM_PORTS, Uart16550 } from '../../hypervisor/devices/uart16550.js';

const [RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR] = [0, 1, 2, 3, 4, 5, 6, 7];
const THR = RBR;
const FCR = IIR;
const OUT2 = 0x08;

function uart(options: { out2GatesIrq?: boolean; state?: Int32Array } = {}, irq = new RecordingIrqLine()) {
  const sent: number[] = [];
  const u = new Uart16550('COM1', { output: (b) => sent.push(b), irq, ...options });
  const r = (offset: number) => u.read(offset, 1);
  const w = (offset: number, value: number) => u.write(offset, 1, value);
  return { u, sent, irq, r, w };
}

describe('16550A UART', () => {
  afterEach(() => checkLockRanks(false));

  it('comes out of reset with the datasheet register values', () => {
    const { r } = uart();
    expect([r(IER), r(IIR), r(LCR), r(MCR), r(LSR), r(SCR)]).toEqual([0, 0x01, 0, 0, 0x60, 0]);
    expect(r(MSR)).toBe(0xb0); // CTS, DSR and DCD asserted by the far end, no deltas
  });

  it('maps the divisor latch over RBR/THR and IER while DLAB is set', () => {
    const { u, r, w, sent } = uart();
    w(LCR, 0x83);
    w(0, 0x01);
    w(1, 0x00);
    expect(u.baud).toBe(115200);
    w(0, 0x0c);
    expect([r(0), r(1)]).toEqual([0x0c, 0x00]);
    expect(u.baud).toBe(9600);
    expect(sent).toEqual([]); // divisor writes are not transmitted
    w(LCR, 0x03);
    w(IER, 0x05);
    w(THR, 0x41);
    expect([r(IER), r(LCR)]).toEqual([0x05, 0x03]);
    expect(sent).toEqual([0x41]);
    w(LCR, 0x83);
    expect(r(0)).toBe(0x0c); // IER and THR writes left the latch alone
  });

  it('transmits THR writes to the sink with THRE and TEMT staying set', () => {
    const { r, w, sent } = uart();
    for (const c of 'ok\n') w(THR, c.charCodeAt(0));
    expect(Buffer.from(sent).toString()).toBe('ok\n');
    expect(r(LSR) & 0x60).toBe(0x60);
  });

  it('raises THR-empty when enabled, clears it by reading IIR, and sets it again after a THR write', () => {
    const { r, w, irq } = uart();
    w(MCR, OUT2);
    w(IER, 0x02);
    expect(irq.high).toBe(true);
    expect(r(IIR)).toBe(0x02);
    expect(irq.high).toBe(false);
    expect(r(IIR)).toBe(0x01);
    w(THR, 0x55);
    expect(irq.high).toBe(true);
    expect(irq.risingEdges).toBe(2);
    w(IER, 0x00);
    expect(irq.high).toBe(false);
    expect(r(IIR)).toBe(0x01);
  });

  it('holds one received byte in 16450 mode and flags an overrun', () => {
    const { u, r, w, irq } = uart();
    w(MCR, OUT2);
    w(IER, 0x01);
    u.receive(0x61);
    expect(r(LSR) & 0x01).toBe(0x01);
    expect(r(IIR)).toBe(0x04);
    expect(irq.high).toBe(true);
    u.receive([0x62, 0x63]);
    expect(u.rxSpace).toBe(0);
    expect(r(LSR) & 0x03).toBe(0x03); // DR and OE
    expect(r(LSR) & 0x02).toBe(0); // reading LSR cleared OE
    expect(r(RBR)).toBe(0x63); // the newest byte overwrote the holding register
    expect(r(LSR) & 0x01).toBe(0);
    expect(r(IIR)).toBe(0x01);
    expect(irq.high).toBe(false);
  });

  it('puts the receiver-line-status interrupt above received data, cleared by reading LSR', () => {
    const { u, r, w } = uart();
    w(IER, 0x05);
    u.receive([1, 2]);
    expect(r(IIR)).toBe(0x06);
    expect(r(IIR)).toBe(0x06); // reading IIR does not clear it
    r(LSR);
    expect(r(IIR)).toBe(0x04);
  });

  it('queues 16 bytes in FIFO mode with trigger levels and the character timeout', () => {
    const { u, r, w, irq } = uart();
    w(MCR, OUT2);
    w(IER, 0x01);
    w(FCR, 0xc1); // enable, trigger at 14
    expect(r(IIR)).toBe(0xc1);
    u.receive(Array.from({ length: 13 }, (_, i) => 0x30 + i));
    expect(r(IIR)).toBe(0xcc); // below the trigger level: character timeout
    expect(irq.high).toBe(true);
    u.receive(0x3d);
    expect(r(IIR)).toBe(0xc4);
    expect(r(RBR)).toBe(0x30);
    expect(r(IIR)).toBe(0xcc);
    u.receive([0x3e, 0x3f, 0x40, 0x41]); // 13 + 1 - 1 + 4 = 17: one too many
    expect(r(LSR) & 0x03).toBe(0x03);
    const drained: number[] = [];
    while (r(LSR) & 0x01) drained.push(r(RBR));
    expect(drained).toEqual(Array.from({ length: 16 }, (_, i) => 0x31 + i)); // FIFO kept, 0x41 lost
    expect(r(IIR)).toBe(0xc1);
    expect(irq.high).toBe(false);
  });

  it('honours each FCR trigger level and clears the receive FIFO on request', () => {
    const { u, r, w } = uart();
    w(IER, 0x01);
    for (const [bits, level] of [[0x00, 1], [0x40, 4], [0x80, 8], [0xc0, 14]] as const) {
      w(FCR, 0x01 | bits);
      u.receive(new Array(level - 1).fill(0x20));
      if (level > 1) expect(r(IIR) & 0x0f).toBe(0x0c);
      u.receive(0x20);
      expect(r(IIR) & 0x0f).toBe(0x04);
      w(FCR, 0x03 | bits);
      expect(r(LSR) & 0x01).toBe(0);
    }
    u.receive(7);
    w(FCR, 0x00); // leaving FIFO mode clears the FIFO too
    expect(r(LSR) & 0x01).toBe(0);
    expect(r(IIR)).toBe(0x01);
  });

  it('reports received data before THR empty, and keeps THR empty when IIR showed the other', () => {
    const { u, r, w } = uart();
    w(IER, 0x03);
    u.receive(0x5a);
    expect(r(IIR)).toBe(0x04);
    expect(r(RBR)).toBe(0x5a);
    expect(r(IIR)).toBe(0x02);
    expect(r(IIR)).toBe(0x01);
  });

  it('loops THR back to RBR and MCR to MSR in loopback mode, never reaching the sink', () => {
    const { r, w, sent } = uart();
    w(MCR, 0x10);
    expect(r(MSR)).toBe(0x0b); // CTS, DSR, DCD dropped: deltas set
    expect(r(MSR)).toBe(0x00);
    w(THR, 0xa5);
    expect(sent).toEqual([]);
    expect(r(LSR) & 0x01).toBe(1);
    expect(r(RBR)).toBe(0xa5);
    w(MCR, 0x10 | 0x0f); // DTR RTS OUT1 OUT2 -> DSR CTS RI DCD
    expect(r(MSR)).toBe(0xf0 | 0x0b);
    w(MCR, 0x10 | 0x0b); // RI falls: trailing-edge indicator
    expect(r(MSR)).toBe(0xb0 | 0x04);
    w(MCR, 0x00);
    w(THR, 0x42);
    expect(sent).toEqual([0x42]);
  });

  it('raises a modem-status interrupt on an input change, cleared by reading MSR', () => {
    const { u, r, w, irq } = uart();
    w(MCR, OUT2);
    w(IER, 0x08);
    expect(r(IIR)).toBe(0x01);
    u.setModemInputs({ cts: false });
    expect(r(IIR)).toBe(0x00);
    expect(irq.high).toBe(true);
    expect(r(MSR)).toBe(0xa1);
    expect(r(IIR)).toBe(0x01);
    expect(irq.high).toBe(false);
  });

  it('keeps the scratch register', () => {
    const { r, w } = uart();
    w(SCR, 0x5a);
    expect(r(SCR)).toBe(0x5a);
  });

  it('gates the interrupt with OUT2 and loopback as a PC does, unless told to behave like QEMU', () => {
    const pc = uart();
    pc.w(IER, 0x02);
    expect(pc.r(IIR)).toBe(0x02); // pending inside the UART...
    pc.w(THR, 0);
    expect(pc.irq.high).toBe(false); // ...but not on the bus without OUT2
    pc.w(MCR, OUT2);
    expect(pc.irq.high).toBe(true);
    pc.w(MCR, OUT2 | 0x10);
    expect(pc.irq.high).toBe(false);

    const qemu = uart({ out2GatesIrq: false });
    qemu.w(IER, 0x02);
    expect(qemu.irq.high).toBe(true);
  });

  it('survives wide and out-of-range accesses from a guest', () => {
    const { u } = uart();
    expect(u.read(9, 4)).toBe(0xff);
    u.write(LSR, 1, 0);
    u.write(MSR, 1, 0);
    expect(u.read(LSR, 1)).toBe(0x60);
  });

  it('behaves as one UART across two instances over the same state, each with its own sink', () => {
    const state = Uart16550.createState();
    expect(state.length).toBe(Uart16550.STATE_WORDS);
    expect(state.buffer).toBeInstanceOf(SharedArrayBuffer);
    const line = new RecordingIrqLine(); // both workers' lines lead to the same controller input
    const a = uart({ state }, line);
    const b = uart({ state }, line);
    a.w(MCR, OUT2);
    a.w(IER, 0x01);
    expect(b.r(IER)).toBe(0x01);
    a.u.receive([0x61, 0x62]);
    expect(b.u.rxSpace).toBe(0); // 16450 mode: one holding register, and a.u overran it
    expect(b.r(LSR) & 0x03).toBe(0x03);
    expect(b.r(IIR)).toBe(0x04);
    expect(line.high).toBe(true);
    expect(b.r(RBR)).toBe(0x62);
    expect(line.high).toBe(false);
    expect(a.r(LSR) & 0x01).toBe(0);
    expect(a.r(RBR)).toBe(0x62); // the last byte read, whichever instance read it

    a.w(FCR, 0x41); // FIFO mode, trigger at 4
    a.u.receive([1, 2, 3]);
    expect(b.r(IIR)).toBe(0xcc);
    b.u.receive(4);
    expect(a.r(IIR)).toBe(0xc4);
    expect([a.r(RBR), b.r(RBR), a.r(RBR), b.r(RBR)]).toEqual([1, 2, 3, 4]);

    b.w(LCR, 0x83);
    b.w(0, 0x01);
    b.w(LCR, 0x03);
    expect(a.u.baud).toBe(115200);
    b.w(THR, 0x42);
    a.w(THR, 0x41);
    expect([a.sent, b.sent]).toEqual([[0x41], [0x42]]);
    expect(state[0]).toBe(0); // the lock word is free
  });

  it('shares THR-empty interrupts: enabled through one instance, acknowledged through the other', () => {
    const state = Uart16550.createState();
    const line = new RecordingIrqLine();
    const a = uart({ state, out2GatesIrq: false }, line);
    const b = uart({ state, out2GatesIrq: false }, line);
    a.w(IER, 0x02);
    expect(line.high).toBe(true);
    expect(b.r(IIR)).toBe(0x02);
    expect(line.high).toBe(false);
    expect(a.r(IIR)).toBe(0x01); // b's read acknowledged it for the chip
    b.w(THR, 0x20);
    expect(line.high).toBe(true);
    expect(line.risingEdges).toBe(2);
    expect(a.r(IIR)).toBe(0x02);
    expect(b.r(IIR)).toBe(0x01);

    // The line level is chip state: an instance with a line of its own lowers what the other raised.
    const own = new RecordingIrqLine();
    const c = uart({ state, out2GatesIrq: false }, own);
    a.w(THR, 0x21);
    expect(line.high).toBe(true);
    c.w(IER, 0x00);
    expect(own.high).toBe(false);
    expect(c.r(IIR)).toBe(0x01);
  });

  it('refuses a state too short for the chip', () => {
    expect(() => new Uart16550('com1', { state: new Int32Array(new SharedArrayBuffer(4 * (Uart16550.STATE_WORDS - 1))) })).toThrow(RangeError);
    expect(() => new Uart16550('com1', { state: new Int32Array(Uart16550.STATE_WORDS) })).not.toThrow();
  });

  it('takes its device-rank lock in every entry point, and calls the sink with it released', () => {
    const { u } = uart();
    const entries: [string, () => unknown][] = [
      ['read', () => u.read(LSR, 1)],
      ['write', () => u.write(SCR, 1, 0)],
      ['receive', () => u.receive(1)],
      ['setModemInputs', () => u.setModemInputs({ ri: true })],
      ['baud', () => u.baud],
      ['rxSpace', () => u.rxSpace],
    ];
    const peer = new RankedLock('rtc', LockRank.Device, new Int32Array(new SharedArrayBuffer(4)), 0);
    checkLockRanks(true);
    for (const [what, call] of entries) expect(() => peer.with(call), what).toThrow(RankViolation);

    const state = Uart16550.createState();
    const seen: number[] = [];
    const echo: Uart16550 = new Uart16550('com1', { state, output: (byte) => seen.push(byte, state[0]!, echo.read(LSR, 1)) });
    echo.write(THR, 1, 0x41);
    expect(seen).toEqual([0x41, 0, 0x60]); // lock free, and the sink could read the UART
  });

  it('knows the PC serial ports and their IRQs', () => {
    expect(COM_PORTS).toEqual([0x3f8, 0x2f8, 0x3e8, 0x2e8]);
    expect(COM_IRQS).toEqual([4, 3, 4, 3]);
  });
});
