import { describe, expect, it } from 'vitest';
import { portBus } from '../../hypervisor/bus/io-bus.js';
import { RecordingIrqLine, type IrqLine } from '../../hypervisor/devices/irq-line.js';
import { Pit8254, PIT_PORT, PIT_PORT_COUNT, PORT_61, PORT_61_COUNT, pitTickNs, pitTicksAt } from '../../hypervisor/devices/pit8254.js';

const [CH0, CH1, CH2, CTRL] = [0x40, 0x41, 0x42, 0x43];
const HZ = 1_193_182n;
const GIGA = 1_000_000_000n;

/** Reference conversions in BigInt: pulse k happens at the first ns with floor(ns * HZ / 1e9) = k. */
const tickNs = (k: number | bigint): number => Number((BigInt(k) * GIGA + HZ - 1n) / HZ);
const ticksAt = (ns: number | bigint): number => Number((BigInt(ns) * HZ) / GIGA);

/** Control words: counter << 6 | rw << 4 | mode << 1 | bcd. */
const ctl = (ch: number, rw: number, mode: number, bcd = 0): number => (ch << 6) | (rw << 4) | (mode << 1) | bcd;
const LOHI = 3;
const LO = 1;
const HI = 2;

function machine(options: { state?: Int32Array; irq?: IrqLine; clock?: { ns: number; now(): number } } = {}) {
  const clock = options.clock ?? { ns: 0, now: () => 0 };
  if (!options.clock) clock.now = () => clock.ns;
  const irq = (options.irq ?? new RecordingIrqLine()) as RecordingIrqLine;
  const state = options.state ?? Pit8254.createState();
  const pit = new Pit8254(state, clock, irq);
  const bus = portBus();
  bus.register(PIT_PORT, PIT_PORT_COUNT, pit.ports);
  bus.register(PORT_61, PORT_61_COUNT, pit.port61);
  const r = (port: number): number => bus.read(port, 1);
  const w = (port: number, value: number): void => bus.write(port, 1, value);
  /** Moves guest time to the first nanosecond of CLK pulse k. */
  const tick = (k: number): void => {
    clock.ns = tickNs(k);
  };
  const at = (ns: number): void => {
    clock.ns = ns;
  };
  /** Programs a counter with a control word and a count (both bytes for LSB/MSB). */
  const program = (ch: number, mode: number, count: number, bcd = 0): void => {
    w(CTRL, ctl(ch, LOHI, mode, bcd));
    w(CH0 + ch, count & 0xff);
    w(CH0 + ch, (count >>> 8) & 0xff);
  };
  /** Counter latch command, then the two bytes. */
  const latched = (ch: number): number => {
    w(CTRL, ch << 6);
    const lo = r(CH0 + ch);
    return lo | (r(CH0 + ch) << 8);
  };
  const out2 = (): boolean => (r(PORT_61) & 0x20) !== 0;
  return { clock, irq, state, pit, bus, r, w, tick, at, program, latched, out2 };
}

describe('8254 PIT: time base', () => {
  it('converts guest ns to CLK pulses exactly, with no drift over long runs', () => {
    for (const ns of [0, 1, 837, 838, 839, 999_999_999, 1_000_000_000, 3_600_000_000_000, 86_400_000_000_123, 2 ** 52 + 7]) {
      expect(pitTicksAt(ns)).toBe(ticksAt(ns));
    }
    expect(pitTicksAt(3_600_000_000_000)).toBe(3600 * 1_193_182); // beyond 2^32 pulses, exact
    // Times at which floor(ns * 1193182 / 1e9) in floating point is one pulse late (15 hours, 10 days).
    for (const ns of [54_787_269_359_578, 868_253_994_625_296]) {
      expect(Math.floor((ns * 1_193_182) / 1e9)).toBe(ticksAt(ns) + 1);
      expect(pitTicksAt(ns)).toBe(ticksAt(ns));
    }
    for (const k of [0, 1, 2, 1_193_181, 1_193_182, 65_537, 4_295_455_201, 123_456_789_012]) {
      expect(pitTickNs(k)).toBe(tickNs(k));
      expect(pitTicksAt(pitTickNs(k))).toBe(k);
      expect(pitTicksAt(pitTickNs(k) - 1)).toBe(k - 1);
    }
  });
});

describe('8254 PIT: counting modes', () => {
  it('mode 2 reads the expected count 0.5 ms, 10 ms and 1 s after loading 1193', () => {
    const m = machine();
    m.program(0, 2, 1193); // loaded on pulse 1, then N, N-1, ..., 1, N, ...
    m.at(500_000); // pulse 596: 595 pulses after the load
    expect(m.latched(0)).toBe(598);
    m.at(10_000_000); // pulse 11931 = 1 + 10 * 1193: reloaded at that very pulse
    expect(m.latched(0)).toBe(1193);
    m.at(1_000_000_000); // pulse 1193182: 1193181 = 1000 * 1193 + 181 after the load
    expect(m.latched(0)).toBe(1012);
  });

  it('mode 2 counts N..1, with OUT low for exactly the pulse at 1 (seen on channel 2)', () => {
    const m = machine();
    m.w(PORT_61, 0x01); // gate 2 high
    m.program(2, 2, 5);
    const seen: [number, boolean][] = [];
    for (let k = 1; k <= 11; k++) {
      m.tick(k);
      seen.push([m.latched(2), m.out2()]);
    }
    expect(seen).toEqual([
      [5, true], [4, true], [3, true], [2, true], [1, false],
      [5, true], [4, true], [3, true], [2, true], [1, false],
      [5, true],
    ]);
  });

  it('mode 0 raises OUT N+1 pulses after the count is written and keeps counting past zero', () => {
    const m = machine();
    m.program(0, 0, 1000);
    expect(m.irq.high).toBe(false);
    m.at(500_000); // pulse 596
    expect(m.latched(0)).toBe(405);
    expect(m.pit.nextEventNs()).toBe(tickNs(1001));
    m.at(tickNs(1001) - 1);
    m.pit.update();
    expect(m.irq.risingEdges).toBe(0);
    expect(m.latched(0)).toBe(1);
    m.tick(1001);
    m.pit.update();
    expect([m.irq.high, m.irq.risingEdges]).toEqual([true, 1]);
    expect(m.pit.nextEventNs()).toBeUndefined(); // OUT stays high until the counter is written again
    m.tick(1006);
    expect(m.latched(0)).toBe(0xfffb); // wrapped past 0 and still counting
    m.w(CTRL, 0xc2); // read-back status of counter 0
    expect(m.r(CH0)).toBe(0x80 | 0x30); // OUT high, RW 3, mode 0, binary
    // A new count sets OUT low at once and starts over.
    m.w(CH0, 10);
    m.w(CH0, 0);
    expect(m.irq.high).toBe(false);
    expect(m.pit.nextEventNs()).toBe(tickNs(1006 + 11));
  });

  it('mode 0 with a count of 0 counts 65536 pulses', () => {
    const m = machine();
    m.program(0, 0, 0);
    m.tick(1);
    expect(m.latched(0)).toBe(0);
    m.tick(2);
    expect(m.latched(0)).toBe(0xffff);
    expect(m.pit.nextEventNs()).toBe(tickNs(65537));
  });

  it('mode 0 stops counting and sets OUT low when the first byte of a new count is written', () => {
    const m = machine();
    m.program(0, 0, 10);
    m.tick(20);
    m.pit.update();
    expect(m.irq.high).toBe(true);
    m.w(CH0, 50); // LSB only so far
    expect(m.irq.high).toBe(false);
    const frozen = m.latched(0);
    m.tick(40);
    expect(m.latched(0)).toBe(frozen);
    expect(m.pit.nextEventNs()).toBeUndefined();
    m.w(CH0, 0); // MSB: 50, loaded on the next pulse
    expect(m.pit.nextEventNs()).toBe(tickNs(40 + 51));
  });

  it('mode 3 makes a square wave: an even count is high N/2 and low N/2 pulses', () => {
    const m = machine();
    m.w(PORT_61, 0x01);
    m.program(2, 3, 1000); // loaded on pulse 1
    // OUT and the counting element, which steps by two from N in each half.
    const at = (k: number): [boolean, number] => (m.tick(k), [m.out2(), m.latched(2)]);
    expect([at(1), at(2), at(500), at(501), at(502), at(1000), at(1001), at(1500), at(1501)]).toEqual([
      [true, 1000], [true, 998], [true, 2], [false, 1000], [false, 998], [false, 2], [true, 1000], [true, 2], [false, 1000],
    ]);
  });

  it('mode 3 with an odd count is high (N+1)/2 and low (N-1)/2 pulses', () => {
    const m = machine();
    m.w(PORT_61, 0x01);
    m.program(2, 3, 1001);
    // N-1 is loaded and decremented by two: 1000..0 while high, 1000..2 while low.
    const at = (k: number): [boolean, number] => (m.tick(k), [m.out2(), m.latched(2)]);
    expect([at(1), at(2), at(501), at(502), at(1001), at(1002), at(1502), at(1503)]).toEqual([
      [true, 1000], [true, 998], [true, 0], [false, 1000], [false, 2], [true, 1000], [true, 0], [false, 1000],
    ]);
  });

  it('mode 3 on channel 0 wakes the VM for both edges and raises IRQ 0 once per period', () => {
    const m = machine();
    m.program(0, 3, 1001);
    expect([m.irq.high, m.irq.risingEdges]).toEqual([true, 1]); // mode 3 set OUT high (from mode 0's low)
    expect(m.pit.nextEventNs()).toBe(tickNs(502)); // falls after (N+1)/2 pulses
    m.at(tickNs(502) - 1);
    m.pit.update();
    expect(m.irq.high).toBe(true);
    m.tick(502);
    m.pit.update();
    expect(m.irq.high).toBe(false);
    expect(m.pit.nextEventNs()).toBe(tickNs(1002));
    m.tick(1002);
    m.pit.update();
    expect([m.irq.high, m.irq.risingEdges]).toEqual([true, 2]);
    // Updated during a low half several periods later: one edge, and the line is low.
    m.tick(1002 + 5 * 1001 + 600);
    m.pit.update();
    expect([m.irq.high, m.irq.risingEdges]).toEqual([false, 3]);
    expect(m.pit.nextEventNs()).toBe(tickNs(1002 + 6 * 1001));
  });

  it('mode 4 strobes OUT low for one pulse N+1 pulses after the write, once', () => {
    const m = machine();
    m.program(0, 4, 10);
    m.pit.update();
    expect(m.irq.high).toBe(true);
    expect(m.pit.nextEventNs()).toBe(tickNs(12)); // low at pulse 11, high again at 12
    m.tick(11);
    m.pit.update();
    expect(m.irq.high).toBe(false);
    m.tick(12);
    m.pit.update();
    expect(m.irq.risingEdges).toBe(2); // the first when mode 4 set OUT high, the second the strobe's end
    expect(m.pit.nextEventNs()).toBeUndefined(); // no second strobe after the counter wraps
    m.tick(11 + 65536); // the counter passes 0 again: no strobe
    m.w(CTRL, 0xe2);
    expect(m.r(CH0) & 0x80).toBe(0x80);
    m.tick(12 + 70_000);
    m.pit.update();
    expect(m.irq.risingEdges).toBe(2);
    // Writing a count again triggers another strobe.
    m.w(CH0, 3);
    m.w(CH0, 0);
    expect(m.pit.nextEventNs()).toBe(tickNs(12 + 70_000 + 5));
  });

  it('mode 2 at 18.2 Hz (count 0) raises IRQ 0 every 65536 pulses, one edge for several missed periods', () => {
    const m = machine();
    m.program(0, 2, 0);
    m.pit.update();
    const base = m.irq.risingEdges; // mode 2 sets OUT high (an edge from mode 0's low)
    expect(base).toBe(1);
    expect(m.pit.nextEventNs()).toBe(tickNs(65537));
    m.at(tickNs(65537) - 1);
    m.pit.update();
    expect(m.irq.risingEdges).toBe(base);
    expect(m.latched(0)).toBe(1); // OUT is low now
    expect(m.irq.high).toBe(false);
    m.tick(65537);
    m.pit.update();
    expect([m.irq.high, m.irq.risingEdges]).toEqual([true, base + 1]);
    expect(m.latched(0)).toBe(0); // 65536 reads as 0
    // A VM that sleeps until each nextEventNs sees 18 edges in the first second.
    let edges = 0;
    let wakeups = 0;
    for (let next = m.pit.nextEventNs()!; next <= 1_000_000_000 && wakeups++ < 100; next = m.pit.nextEventNs()!) {
      expect(next).toBeGreaterThan(m.clock.ns); // each wake-up moves time forward
      const before = m.irq.risingEdges;
      m.at(next);
      m.pit.update();
      edges += m.irq.risingEdges - before;
    }
    expect(edges).toBe(17); // plus the one above: pulses 1 + 65536 j <= 1193182 for j = 1..18
    // Ten periods go by without an update: one edge.
    const before = m.irq.risingEdges;
    m.at(m.clock.ns + 10 * 54_925_000);
    m.pit.update();
    expect(m.irq.risingEdges).toBe(before + 1);
    expect(m.irq.high).toBe(true);
    // An hour later the edges still fall on exact pulses: 1 + 65536 j.
    m.at(3_600_000_000_000);
    m.pit.update();
    const hourTicks = 3600n * HZ;
    const nextEdge = 1n + ((hourTicks - 1n) / 65536n + 1n) * 65536n;
    expect(m.pit.nextEventNs()).toBe(tickNs(nextEdge));
    expect(m.latched(0)).toBe(Number(65536n - ((hourTicks - 1n) % 65536n)));
  });

  it('mode 2 and 3 take a count written while counting at the end of the current cycle or half-cycle', () => {
    const m = machine();
    m.program(0, 2, 100); // period ends at pulses 101, 201, ...
    m.tick(50);
    m.w(CH0, 40);
    m.w(CH0, 0);
    m.w(CTRL, 0xe2); // status of counter 0
    expect(m.r(CH0) & 0x40).toBe(0x40); // null count until the new count is loaded
    m.tick(60);
    expect(m.latched(0)).toBe(41); // still the old count
    expect(m.pit.nextEventNs()).toBe(tickNs(101));
    m.tick(101);
    m.pit.update();
    expect(m.latched(0)).toBe(40);
    m.w(CTRL, 0xe2);
    expect(m.r(CH0) & 0x40).toBe(0);
    expect(m.pit.nextEventNs()).toBe(tickNs(141));

    const s = machine();
    s.w(PORT_61, 0x01);
    s.program(2, 3, 100); // high 1..50, low 51..100
    s.tick(20);
    s.w(CH2, 10);
    s.w(CH2, 0);
    s.tick(50);
    expect([s.out2(), s.latched(2)]).toEqual([true, 2]);
    s.tick(51); // end of the high half: the new count starts with its low half
    expect([s.out2(), s.latched(2)]).toEqual([false, 10]);
    s.tick(56);
    expect(s.out2()).toBe(true);
    s.tick(61);
    expect(s.out2()).toBe(false);
  });

  it('counts in BCD: 0 is 10000 and reads are four BCD digits', () => {
    const m = machine();
    m.program(0, 2, 0x0000, 1);
    m.tick(1);
    expect(m.latched(0)).toBe(0x0000);
    m.tick(2);
    expect(m.latched(0)).toBe(0x9999);
    m.tick(1 + 1234);
    expect(m.latched(0)).toBe(0x8766);
    expect(m.pit.nextEventNs()).toBe(tickNs(10001));
    const z = machine();
    z.program(0, 0, 0x1234, 1);
    z.tick(11);
    expect(z.latched(0)).toBe(0x1224);
    expect(z.pit.nextEventNs()).toBe(tickNs(1235));
  });
});

describe('8254 PIT: access modes, latch and read-back', () => {
  it('writes and reads LSB only and MSB only counts, the other byte being zero', () => {
    const m = machine();
    m.w(CTRL, ctl(0, LO, 0));
    m.w(CH0, 0x34); // count 0x0034
    m.tick(11);
    expect(m.r(CH0)).toBe(0x34 - 10);
    expect(m.r(CH0)).toBe(0x34 - 10); // no toggle: every read is the LSB
    expect(m.pit.nextEventNs()).toBe(tickNs(0x34 + 1));
    m.w(CTRL, ctl(1, HI, 0));
    m.w(CH1, 0x12); // count 0x1200, written at pulse 11
    m.tick(11 + 1 + 0x100);
    expect(m.r(CH1)).toBe(0x11);
    m.w(CTRL, ctl(1, 0, 0)); // latch: a single byte frees it
    m.tick(11 + 1 + 0x300);
    expect(m.r(CH1)).toBe(0x11);
    expect(m.r(CH1)).toBe(0x0f);
  });

  it('toggles LSB then MSB for both writes and reads, and a control word resets the toggles', () => {
    const m = machine();
    m.w(CTRL, ctl(0, LOHI, 2));
    m.w(CH0, 0x00);
    m.w(CTRL, 0xe2);
    expect(m.r(CH0) & 0x40).toBe(0x40); // half a count: nothing loaded
    m.w(CH0, 0x30); // count 0x3000
    m.tick(1 + 0x0105); // 0x3000 - 0x105 = 0x2efb
    expect(m.r(CH0)).toBe(0xfb);
    m.tick(1 + 0x0205); // an unlatched read follows the counter between the two bytes: 0x2dfb
    expect(m.r(CH0)).toBe(0x2d);
    expect(m.r(CH0)).toBe(0xfb); // LSB again
    m.w(CTRL, ctl(0, LOHI, 2)); // resets the read toggle (and stops the counter until a count)
    expect(m.r(CH0)).toBe(0xfb);
    expect(m.r(CH0)).toBe(0x2d);
    // The write toggle: reads and writes interleave without disturbing each other.
    m.w(CH0, 0x10);
    expect(m.r(CH0)).toBe(0xfb);
    expect(m.r(CH0)).toBe(0x2d);
    m.w(CH0, 0x00);
    m.tick(1 + 0x0205 + 1);
    expect(m.latched(0)).toBe(0x0010);
  });

  it('freezes a latched count until both bytes are read, ignoring a second latch meanwhile', () => {
    const m = machine();
    m.program(0, 2, 1193);
    m.at(500_000);
    m.w(CTRL, 0x00); // latch counter 0: 598
    m.at(700_000);
    expect(m.r(CH0)).toBe(598 & 0xff);
    m.w(CTRL, 0x00); // ignored: the latch has not been read out
    m.at(900_000);
    expect(m.r(CH0)).toBe(598 >>> 8);
    // Free again: the output latch follows the counter. Pulse 1073 -> 1193 - 1071.
    expect(m.latched(0)).toBe(1193 - (ticksAt(900_000) - 1));
    expect(ticksAt(900_000)).toBe(1073);
  });

  it('read-back latches the count and status of several counters at once, status first', () => {
    const m = machine();
    m.w(PORT_61, 0x01);
    m.program(0, 2, 1193);
    m.program(2, 0, 5000);
    m.at(500_000);
    m.w(CTRL, 0xc0 | 0x08 | 0x02); // count and status of counters 2 and 0
    m.at(900_000);
    expect(m.r(CH0)).toBe(0x80 | 0x34); // OUT high, count loaded, RW 3, mode 2, binary
    expect(m.r(CH0) | (m.r(CH0) << 8)).toBe(598);
    expect(m.r(CH2)).toBe(0x30); // OUT low, mode 0
    expect(m.r(CH2) | (m.r(CH2) << 8)).toBe(5000 - 595);
    // Both freed: counter 2 reads live again.
    expect(m.r(CH2) | (m.r(CH2) << 8)).toBe(5000 - 1072);
    // Status only (bit 5 set): the count stays live; a second status latch before the read is ignored.
    m.w(CTRL, 0xe0 | 0x02);
    m.w(CTRL, ctl(0, LO, 3, 1)); // reprogram counter 0 ... which also drops its latched status
    m.w(CTRL, 0xe0 | 0x02);
    m.at(1_000_000);
    m.w(CTRL, 0xe0 | 0x02);
    expect(m.r(CH0)).toBe(0xc0 | 0x17); // OUT high, null count, LSB only, mode 3, BCD
    // Count only (bit 4 set) with counter 1 never programmed: power-on state.
    m.w(CTRL, 0xd0 | 0x04);
    expect(m.r(CH1)).toBe(0);
    expect(m.r(CH1)).toBe(0);
  });

  it('shows null count from the control word until the count reaches the counting element', () => {
    const m = machine();
    m.tick(10);
    m.w(CTRL, ctl(0, LOHI, 0));
    const status = (): number => (m.w(CTRL, 0xe2), m.r(CH0));
    expect(status()).toBe(0x40 | 0x30);
    m.w(CH0, 100);
    m.w(CH0, 0);
    expect(status()).toBe(0x40 | 0x30);
    m.tick(11);
    expect(status()).toBe(0x30);
  });
});

describe('8254 PIT: channel 2 gate and port 0x61', () => {
  it('stores bits 0-3, flips the refresh bit on every read and shows OUT 2 in bit 5', () => {
    const m = machine();
    expect(m.r(PORT_61) & 0x0f).toBe(0);
    m.w(PORT_61, 0xf3);
    const a = m.r(PORT_61);
    const b = m.r(PORT_61);
    expect(a & 0xcf).toBe(0x03); // bits 4-7 are not stored; gate and speaker data are
    expect((a ^ b) & 0xff).toBe(0x10);
    expect(m.r(PORT_61) & 0x10).toBe(a & 0x10);
    m.w(CTRL, ctl(2, LOHI, 0));
    expect(m.r(PORT_61) & 0x20).toBe(0); // mode 0: OUT low
    m.w(CTRL, ctl(2, LOHI, 2));
    expect(m.r(PORT_61) & 0x20).toBe(0x20); // mode 2: OUT high
  });

  it('mode 0: a low gate suspends counting without touching OUT', () => {
    const m = machine();
    m.w(PORT_61, 0x01);
    m.program(2, 0, 100);
    m.tick(41);
    m.w(PORT_61, 0x00);
    expect(m.latched(2)).toBe(60);
    m.tick(500);
    expect([m.latched(2), m.out2()]).toEqual([60, false]);
    m.w(PORT_61, 0x01); // counting resumes: OUT goes high 60 pulses later
    m.tick(559);
    expect([m.latched(2), m.out2()]).toEqual([1, false]);
    m.tick(560);
    expect([m.latched(2), m.out2()]).toEqual([0, true]);
  });

  it('mode 0: a count written while the gate is low is loaded and waits for the gate', () => {
    const m = machine();
    m.program(2, 0, 30);
    m.tick(100);
    expect([m.latched(2), m.out2()]).toEqual([30, false]);
    m.w(PORT_61, 0x01);
    m.tick(129);
    expect(m.out2()).toBe(false);
    m.tick(130);
    expect(m.out2()).toBe(true);
  });

  it('modes 2 and 3: a low gate forces OUT high and stops counting; its rising edge reloads the count', () => {
    const m = machine();
    m.w(PORT_61, 0x01);
    m.program(2, 2, 100);
    m.tick(100);
    expect(m.out2()).toBe(false); // the one-pulse low at count 1
    m.w(PORT_61, 0x00);
    expect(m.out2()).toBe(true);
    m.tick(130);
    expect(m.latched(2)).toBe(1);
    m.w(PORT_61, 0x01); // reloaded on the next pulse
    m.tick(131);
    expect(m.latched(2)).toBe(100);
    m.tick(230);
    expect(m.out2()).toBe(false);
    m.tick(231);
    expect([m.out2(), m.latched(2)]).toEqual([true, 100]);

    const s = machine();
    s.w(PORT_61, 0x01);
    s.program(2, 3, 100);
    s.tick(60); // in the low half
    expect(s.out2()).toBe(false);
    s.w(PORT_61, 0x00);
    expect(s.out2()).toBe(true);
    s.tick(1000);
    expect([s.out2(), s.latched(2)]).toEqual([true, 82]);
    s.w(PORT_61, 0x01); // the square wave starts over: high for 50 pulses from the next one
    s.tick(1050);
    expect(s.out2()).toBe(true);
    s.tick(1051);
    expect(s.out2()).toBe(false);
  });

  it('mode 1: the gate rising edge starts a retriggerable one-shot of N pulses', () => {
    const m = machine();
    m.program(2, 1, 10);
    m.tick(50);
    expect(m.out2()).toBe(true); // nothing before a trigger
    m.w(PORT_61, 0x01);
    m.tick(51);
    expect([m.out2(), m.latched(2)]).toEqual([false, 10]);
    m.tick(60);
    m.w(PORT_61, 0x00); // the gate level does not matter
    expect([m.out2(), m.latched(2)]).toEqual([false, 1]);
    m.w(PORT_61, 0x01); // retrigger: N more pulses from the next one
    m.tick(61);
    expect(m.out2()).toBe(false);
    m.tick(70);
    expect(m.out2()).toBe(false);
    m.tick(71);
    expect(m.out2()).toBe(true);
    m.w(CH2, 3); // a new count waits for the next trigger
    m.w(CH2, 0);
    m.tick(80);
    expect(m.out2()).toBe(true);
    m.w(PORT_61, 0x00);
    m.w(PORT_61, 0x01);
    m.tick(81);
    expect(m.out2()).toBe(false);
    m.tick(84);
    expect(m.out2()).toBe(true);
  });

  it('mode 5: the gate rising edge triggers a strobe N+1 pulses later', () => {
    const m = machine();
    m.program(2, 5, 4);
    m.tick(10);
    m.w(PORT_61, 0x01);
    const outs: boolean[] = [];
    for (let k = 11; k <= 16; k++) outs.push((m.tick(k), m.out2()));
    expect(outs).toEqual([true, true, true, true, false, true]);
  });

  it('mode 4: a low gate holds the count and the strobe waits for it', () => {
    const m = machine();
    m.w(PORT_61, 0x01);
    m.program(2, 4, 10);
    m.tick(6);
    m.w(PORT_61, 0x00);
    m.tick(100);
    expect([m.latched(2), m.out2()]).toEqual([5, true]);
    m.w(PORT_61, 0x01);
    m.tick(105);
    expect(m.out2()).toBe(false);
    m.tick(106);
    expect(m.out2()).toBe(true);
  });
});

describe('8254 PIT: sharing and robustness', () => {
  it('behaves as one device for two instances over the same state buffer', () => {
    const irq = new RecordingIrqLine();
    const clock = { ns: 0, now: () => clock.ns };
    const a = machine({ irq, clock });
    const b = machine({ irq, clock, state: a.state });
    a.w(CTRL, ctl(0, LOHI, 2));
    a.w(CH0, 0xa9); // the LSB on one instance...
    b.w(CH0, 0x04); // ...the MSB on the other: count 1193
    clock.ns = 500_000;
    a.w(CTRL, 0x00);
    clock.ns = 600_000;
    expect(b.r(CH0)).toBe(598 & 0xff); // the latch made by a, read out through b
    expect(a.r(CH0)).toBe(598 >>> 8);
    expect(b.pit.nextEventNs()).toBe(tickNs(1194));
    clock.ns = tickNs(1194);
    a.pit.update();
    const edges = irq.risingEdges;
    b.pit.update(); // b knows a already passed that edge on
    expect(irq.risingEdges).toBe(edges);
    expect(a.pit.nextEventNs()).toBe(tickNs(1194 + 1193));
    b.w(PORT_61, 0x03);
    expect(a.r(PORT_61) & 0x03).toBe(0x03);
    expect((a.r(PORT_61) ^ b.r(PORT_61)) & 0x10).toBe(0x10); // one refresh toggle
    // A third instance over the buffer changes nothing.
    const c = new Pit8254(a.state, clock, irq);
    expect(c.nextEventNs()).toBe(tickNs(1194 + 1193));
  });

  it('runs every entry point under its lock in state word 0', () => {
    const state = Pit8254.createState();
    const lockSeen: number[] = [];
    const clock = { now: () => (lockSeen.push(Atomics.load(state, 0)), 0) };
    const irq: IrqLine = { raise: () => lockSeen.push(Atomics.load(state, 0)), lower: () => lockSeen.push(Atomics.load(state, 0)) };
    const pit = new Pit8254(state, clock, irq);
    pit.ports.write(3, 1, ctl(0, LOHI, 2));
    pit.ports.write(0, 1, 0);
    pit.ports.read(0, 1);
    pit.port61.write(0, 1, 1);
    pit.port61.read(0, 1);
    pit.update();
    expect(lockSeen.length).toBeGreaterThan(5);
    expect(lockSeen.every((v) => v === 1)).toBe(true);
    expect(Atomics.load(state, 0)).toBe(0);
    expect(() => new Pit8254(new Int32Array(new SharedArrayBuffer(8)), clock, irq)).toThrow(RangeError);
  });

  it('accepts any byte on any port without throwing', () => {
    const m = machine();
    expect(m.r(CH0)).toBe(0); // before any count
    expect(m.r(CTRL)).toBe(0xff); // the control register cannot be read
    m.w(CTRL, 0xc1); // read-back of no counter, reserved bit set
    m.w(CTRL, 0xff);
    expect(m.r(CH2)).toBe(0);
    m.w(CTRL, ctl(0, LOHI, 7)); // mode 7 is mode 3
    m.w(CTRL, 0xe2);
    expect(m.r(CH0)).toBe(0x80 | 0x40 | 0x3e); // OUT high, null count, and the mode bits as written
    m.w(CH0, 4);
    m.w(CH0, 0);
    m.tick(2);
    expect(m.latched(0)).toBe(2);
    m.program(0, 2, 1); // count 1 in mode 2: OUT stays low, no edges to wait for
    m.tick(50);
    expect(m.pit.nextEventNs()).toBeUndefined();
    m.program(0, 0, 0xffff, 1); // not BCD digits
    m.tick(60);
    expect(() => m.latched(0)).not.toThrow();
    m.program(0, 1, 5); // mode 1 on channel 0: its gate is tied high, it never triggers
    m.tick(100);
    expect(m.pit.nextEventNs()).toBeUndefined();
    expect(m.bus.read(CTRL, 2)).toBe(0xffff); // wide accesses are byte cycles on consecutive ports
    m.w(CTRL, ctl(1, LO, 0));
    m.w(CH1, 0x77);
    m.tick(101); // loaded on this pulse
    m.w(CTRL, ctl(1, 0, 0));
    expect(m.bus.read(CH1, 2) & 0xff).toBe(0x77); // port 0x41, then 0x42 in the high byte
    expect(() => m.bus.read(CH0, 4)).not.toThrow();
    m.bus.write(CH0, 2, 0x1234);
    m.bus.write(PORT_61, 4, -1);
    expect(m.bus.read(PORT_61, 2) >>> 8).toBe(0xff); // port 0x62 is not this device's
    for (let v = 0; v < 256; v++) for (const port of [CH0, CH1, CH2, CTRL, PORT_61]) m.w(port, v);
    // A clock that goes backwards (another vCPU's, slightly behind) is treated as no time passing.
    m.tick(200);
    m.program(0, 2, 100); // loaded on pulse 201
    m.tick(1000);
    expect(m.latched(0)).toBe(1);
    m.tick(990);
    m.pit.update();
    expect(m.latched(0)).toBe(1);
    expect(m.pit.nextEventNs()).toBe(tickNs(1001));
  });
});
