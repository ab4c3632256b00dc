import { afterEach, describe, expect, it } from 'vitest';
import { checkLockRanks, LockRank, RankedLock, RankViolation } from '../../hypervisor/base/lock.js';
import { RecordingIrqLine } from '../../hypervisor/devices/irq-line.js';
import { CMOS_DATA_PORT, CMOS_INDEX_PORT, CMOS_PORT_COUNT, CmosRtc } from '../../hypervisor/devices/rtc-cmos.js';

const [SEC, SEC_ALARM, MIN, MIN_ALARM, HOUR, HOUR_ALARM, DOW, DATE, MONTH, YEAR, A, B, C, D] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const CENTURY = 0x32;
const MiB = 1024 * 1024;
const S = 1e9;

/** Thursday 29 February 2024, 13:45:30 UTC. */
const EPOCH = Date.UTC(2024, 1, 29, 13, 45, 30) / 1000;
const at = (y: number, mo: number, d: number, h: number, mi: number, s: number): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

function rtc(options: { epochSeconds?: number; memoryBytes?: number } = {}, state = CmosRtc.createState(), clock = new FakeClock()) {
  const irq = new RecordingIrqLine();
  const dev = new CmosRtc(state, clock, irq, { epochSeconds: EPOCH, memoryBytes: 64 * MiB, ...options });
  const r = (index: number): number => {
    dev.ports.write(0, 1, index);
    return dev.ports.read(1, 1);
  };
  const w = (index: number, value: number): void => {
    dev.ports.write(0, 1, index);
    dev.ports.write(1, 1, value);
  };
  const time = (): number[] => [SEC, MIN, HOUR, DOW, DATE, MONTH, YEAR].map(r);
  const tick = (ns: number): void => {
    clock.t = ns;
  };
  return { dev, state, clock, irq, r, w, time, tick };
}

describe('MC146818 RTC and CMOS', () => {
  afterEach(() => checkLockRanks(false));

  it('sits at 0x70/0x71', () => {
    expect([CMOS_INDEX_PORT, CMOS_DATA_PORT, CMOS_PORT_COUNT]).toEqual([0x70, 0x71, 2]);
  });

  it('reads the epoch date and time in BCD, with the registers a BIOS leaves', () => {
    const { r, time } = rtc();
    expect(time()).toEqual([0x30, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24]); // Thursday is day 5 (Sunday = 1)
    expect(r(CENTURY)).toBe(0x20);
    expect([r(A), r(B), r(C), r(D)]).toEqual([0x26, 0x02, 0x00, 0x80]); // D: VRT, the battery is good
  });

  it('reads the same time in binary once DM is set, leaving the century byte alone', () => {
    const { r, w, time } = rtc();
    w(B, 0x06);
    expect(time()).toEqual([30, 45, 13, 5, 29, 2, 24]);
    expect(r(CENTURY)).toBe(0x20);
    w(B, 0x02);
    expect(time()).toEqual([0x30, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24]);
  });

  it('advances with guest time across minutes, midnight, the leap day, the month and the year', () => {
    const a = rtc();
    a.tick(90 * S - 1);
    expect(a.r(SEC)).toBe(0x59);
    expect(a.r(MIN)).toBe(0x46);
    a.tick(90 * S);
    expect([a.r(SEC), a.r(MIN), a.r(HOUR)]).toEqual([0x00, 0x47, 0x13]);

    const b = rtc({ epochSeconds: at(2024, 2, 29, 23, 59, 59) });
    b.tick(S);
    expect(b.time()).toEqual([0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24]); // Friday 1 March

    const c = rtc({ epochSeconds: at(2099, 12, 31, 23, 59, 59) });
    expect(c.r(CENTURY)).toBe(0x20);
    c.tick(S);
    expect(c.time().slice(4)).toEqual([0x01, 0x01, 0x00]);
    expect(c.r(CENTURY)).toBe(0x20); // the chip has no century: the byte is only NVRAM
  });

  it('ticks on the boundaries of a fractional epoch', () => {
    const { r, tick } = rtc({ epochSeconds: EPOCH + 0.25 });
    tick(0.75 * S - 1);
    expect(r(SEC)).toBe(0x30);
    tick(0.75 * S);
    expect(r(SEC)).toBe(0x31);
    tick(1.75 * S);
    expect(r(SEC)).toBe(0x32);
  });

  it('shows 12-hour mode as 1-12 with bit 7 for PM, in BCD and binary', () => {
    const hourIn = (h: number, regB: number): number => {
      const { r, w } = rtc({ epochSeconds: at(2024, 3, 1, h, 30, 0) });
      w(B, regB);
      return r(HOUR);
    };
    expect([0, 1, 11, 12, 13, 23].map((h) => hourIn(h, 0x00))).toEqual([0x12, 0x01, 0x11, 0x92, 0x81, 0x91]);
    expect([0, 1, 11, 12, 13, 23].map((h) => hourIn(h, 0x04))).toEqual([12, 1, 11, 0x8c, 0x81, 0x8b]);
    expect(hourIn(23, 0x02)).toBe(0x23);
  });

  it('freezes the registers under SET and runs from the written time once SET is cleared', () => {
    const { r, w, time, tick } = rtc();
    tick(10.5 * S);
    w(B, 0x82);
    expect(time()).toEqual([0x40, 0x45, 0x13, 0x05, 0x29, 0x02, 0x24]);
    for (const [i, v] of [[SEC, 0x00], [MIN, 0x30], [HOUR, 0x08], [DOW, 0x03], [DATE, 0x15], [MONTH, 0x06], [YEAR, 0x25]] as const) w(i, v);
    tick(16 * S - 100_000);
    expect(time()).toEqual([0x00, 0x30, 0x08, 0x03, 0x15, 0x06, 0x25]); // frozen while SET
    expect(r(A) & 0x80).toBe(0); // and no update pending
    tick(20_200_000_000); // SET cleared mid-second
    w(B, 0x02);
    tick(21 * S - 1);
    expect(r(SEC)).toBe(0x00);
    tick(21 * S); // the divider kept its phase: the next update is at the usual boundary
    expect(r(SEC)).toBe(0x01);
    tick(25_200_000_000);
    expect(time()).toEqual([0x05, 0x30, 0x08, 0x03, 0x15, 0x06, 0x25]);
  });

  it('reads time written under SET in the format selected when SET is cleared', () => {
    const { w, time, tick } = rtc();
    w(B, 0x86); // SET, binary, 24-hour
    for (const [i, v] of [[SEC, 59], [MIN, 59], [HOUR, 23], [DOW, 7], [DATE, 31], [MONTH, 12], [YEAR, 99]] as const) w(i, v);
    w(B, 0x06);
    expect(time()).toEqual([59, 59, 23, 7, 31, 12, 99]);
    tick(S);
    expect(time()).toEqual([0, 0, 0, 1, 1, 1, 0]); // Saturday rolls over to Sunday, 99 to 00

    const pm = rtc();
    pm.w(B, 0x80); // SET, BCD, 12-hour
    pm.w(HOUR, 0x87); // 7 PM
    pm.w(B, 0x00);
    expect(pm.r(HOUR)).toBe(0x87);
    pm.w(B, 0x02);
    expect(pm.r(HOUR)).toBe(0x19);
  });

  it('takes a time register written outside SET at once, keeping the weekday register as written', () => {
    const { r, w, time, tick } = rtc();
    tick(0.5 * S);
    w(MIN, 0x00);
    w(DATE, 0x01); // 1 February 2024 was a Thursday too; the weekday register is a counter of its own
    w(MONTH, 0x03);
    expect(time()).toEqual([0x30, 0x00, 0x13, 0x05, 0x01, 0x03, 0x24]);
    w(DOW, 0x02);
    tick(S);
    expect(time()).toEqual([0x31, 0x00, 0x13, 0x02, 0x01, 0x03, 0x24]);
    expect(r(CENTURY)).toBe(0x20);
  });

  it('sets UIP for the 244 us before each update and clears it as the new second appears', () => {
    const { r, w, tick } = rtc();
    const poll = (t: number): [number, number] => {
      tick(t);
      return [r(A), r(SEC)];
    };
    expect(poll(S - 244_001)).toEqual([0x26, 0x30]);
    expect(poll(S - 244_000)).toEqual([0xa6, 0x30]);
    expect(poll(S - 1)).toEqual([0xa6, 0x30]);
    expect(poll(S)).toEqual([0x26, 0x31]);
    // A guest polling every 10 us sees UIP rise and fall exactly once per second.
    const seen: number[] = [];
    let prev = 0;
    for (let t = S; t <= 3 * S; t += 10_000) {
      tick(t);
      const uip = r(A) & 0x80;
      if (uip !== prev) seen.push(t);
      prev = uip;
    }
    expect(seen).toEqual([2 * S - 240_000, 2 * S, 3 * S - 240_000, 3 * S]);
    w(B, 0x82);
    expect(poll(4 * S - 100_000)[0]).toBe(0x26); // SET: no update, no UIP
    w(B, 0x02);
    w(A, 0x76); // divider reset
    expect(poll(5 * S - 100_000)[0]).toBe(0x76);
  });

  it('raises the periodic interrupt at rate 6 (1024 Hz) at the right times', () => {
    const { dev, r, w, irq, tick } = rtc();
    w(B, 0x42); // PIE, rate 6 from the BIOS setting of A
    expect(dev.nextEventNs()).toBe(976_563); // 976562.5 ns, the first whole ns at which the edge has passed
    tick(976_562);
    dev.update();
    expect(irq.high).toBe(false);
    tick(976_563);
    dev.update();
    expect(irq.high).toBe(true);
    expect(dev.nextEventNs()).toBeUndefined(); // nothing new until the guest reads C
    expect(r(C)).toBe(0xc0);
    expect(irq.high).toBe(false);
    expect(r(C)).toBe(0x00);
    expect(dev.nextEventNs()).toBe(1_953_125);

    let edges = 1;
    for (let next = dev.nextEventNs(); next !== undefined && next <= S; next = dev.nextEventNs()) {
      tick(next);
      dev.update();
      expect(irq.high).toBe(true);
      expect(r(C) & 0xc0).toBe(0xc0);
      edges++;
    }
    expect(edges).toBe(1024);
    expect(irq.risingEdges).toBe(1024);
    expect(dev.nextEventNs()).toBe(S + 976_563);
  });

  it('derives the periodic period from every rate select value', () => {
    const { dev, w } = rtc();
    w(B, 0x42);
    const firstEdge = (rs: number): number | undefined => {
      w(A, 0x20 | rs);
      return dev.nextEventNs();
    };
    expect(firstEdge(0)).toBeUndefined();
    expect(firstEdge(1)).toBe(3_906_250); // 1 and 2 repeat rates 8 and 9
    expect(firstEdge(2)).toBe(7_812_500);
    expect(firstEdge(3)).toBe(122_071); // 8192 Hz
    expect(firstEdge(6)).toBe(976_563);
    expect(firstEdge(8)).toBe(3_906_250);
    expect(firstEdge(13)).toBe(125_000_000);
    expect(firstEdge(15)).toBe(500_000_000); // 2 Hz
  });

  it('sets PF without PIE but keeps IRQ 8 low', () => {
    const { dev, r, irq, tick } = rtc();
    expect(dev.nextEventNs()).toBeUndefined();
    tick(5_000_000);
    dev.update();
    expect(irq.risingEdges).toBe(0);
    expect(r(C)).toBe(0x40);
    expect(r(C)).toBe(0x00);
  });

  it('raises the alarm when the time matches the alarm registers exactly', () => {
    const { dev, r, w, irq, tick } = rtc();
    w(A, 0x20); // no periodic interrupt
    w(SEC_ALARM, 0x33);
    w(MIN_ALARM, 0x45);
    w(HOUR_ALARM, 0x13);
    w(B, 0x22);
    expect(dev.nextEventNs()).toBe(3 * S);
    tick(3 * S - 1);
    dev.update();
    expect(irq.high).toBe(false);
    expect(r(C)).toBe(0x10); // seconds went by: UF, no AF yet
    tick(3 * S);
    dev.update();
    expect(irq.high).toBe(true);
    expect(r(C)).toBe(0xb0); // IRQF, AF, and the UF of the same update
    expect(irq.high).toBe(false);
    expect(dev.nextEventNs()).toBe(86_403 * S); // tomorrow
  });

  it('treats alarm bytes 0xC0-0xFF as matching anything', () => {
    const { dev, r, w, irq, tick } = rtc();
    w(A, 0x20);
    w(SEC_ALARM, 0x00);
    w(MIN_ALARM, 0xff);
    w(HOUR_ALARM, 0xc0);
    w(B, 0x22);
    expect(dev.nextEventNs()).toBe(30 * S); // 13:46:00
    tick(30 * S);
    dev.update();
    expect(irq.high).toBe(true);
    r(C);
    expect(dev.nextEventNs()).toBe(90 * S); // 13:47:00
    w(SEC_ALARM, 0xc5);
    expect(dev.nextEventNs()).toBe(31 * S); // every second
    w(SEC_ALARM, 0x29);
    w(MIN_ALARM, 0x45);
    expect(dev.nextEventNs()).toBe((3600 - 1) * S); // 14:45:29, the next hour
  });

  it('compares the alarm hour in 12-hour form with the PM bit', () => {
    const { dev, w } = rtc();
    w(A, 0x20);
    w(SEC_ALARM, 0xc0);
    w(MIN_ALARM, 0xc0);
    w(HOUR_ALARM, 0x82); // 2 PM
    w(B, 0x20); // AIE, BCD, 12-hour
    expect(dev.nextEventNs()).toBe(870 * S); // 14:00:00
    w(HOUR_ALARM, 0x02); // 2 AM
    expect(dev.nextEventNs()).toBe((870 + 12 * 3600) * S);
    w(HOUR_ALARM, 0x14); // 14 is no 12-hour value: never
    expect(dev.nextEventNs()).toBeUndefined();
  });

  it('flags an alarm that fell in a long gap between accesses, and only then', () => {
    const hit = rtc();
    hit.w(A, 0x20);
    [[SEC_ALARM, 0x00], [MIN_ALARM, 0x50], [HOUR_ALARM, 0x13]].forEach(([i, v]) => hit.w(i!, v!));
    hit.tick(3600 * S);
    expect(hit.r(C)).toBe(0x30); // AF and UF, no IRQF: AIE is off
    const miss = rtc();
    miss.w(A, 0x20);
    [[SEC_ALARM, 0x00], [MIN_ALARM, 0x40], [HOUR_ALARM, 0x13]].forEach(([i, v]) => miss.w(i!, v!));
    miss.tick(3600 * S);
    expect(miss.r(C)).toBe(0x10);
  });

  it('raises the update-ended interrupt once per second, not while SET, and SET clears UIE', () => {
    const { dev, r, w, irq, tick } = rtc({ epochSeconds: EPOCH + 0.25 });
    w(A, 0x20);
    w(B, 0x12);
    expect(dev.nextEventNs()).toBe(0.75 * S);
    tick(0.75 * S);
    dev.update();
    expect(irq.high).toBe(true);
    expect(r(C)).toBe(0x90);
    expect(dev.nextEventNs()).toBe(1.75 * S);
    tick(1.5 * S);
    dev.update();
    expect(irq.high).toBe(false);
    w(B, 0x92);
    expect(r(B)).toBe(0x82);
    expect(dev.nextEventNs()).toBeUndefined();
    tick(5 * S);
    expect(r(C)).toBe(0x00);
    w(B, 0x12);
    expect(dev.nextEventNs()).toBe(5.75 * S);
    tick(5.75 * S);
    dev.update();
    expect(irq.risingEdges).toBe(2);
  });

  it('reports IRQF only for enabled flags, clears C on read and drives IRQ 8 from it', () => {
    const { dev, r, w, irq, tick } = rtc();
    w(A, 0x20);
    w(B, 0x12);
    tick(S);
    dev.update();
    expect(irq.high).toBe(true);
    w(B, 0x02); // disabling the source drops the line but leaves the flag
    expect(irq.high).toBe(false);
    w(B, 0x12); // enabling it with the flag pending raises it again
    expect(irq.high).toBe(true);
    expect(irq.risingEdges).toBe(2);
    w(B, 0x02);
    expect(r(C)).toBe(0x10);
    w(B, 0x12);
    expect(irq.high).toBe(false); // the read cleared UF
    expect(r(C)).toBe(0x00);
    w(C, 0xff); // C and D are read-only
    w(D, 0x00);
    expect([r(C), r(D)]).toEqual([0x00, 0x80]);
  });

  it('keeps B as written, with DSE stored, and A without UIP', () => {
    const { r, w } = rtc();
    w(B, 0x0b);
    expect(r(B)).toBe(0x0b);
    w(A, 0xa3);
    expect(r(A)).toBe(0x23);
  });

  it('stops the clock in divider reset and makes the first update half a second after leaving it', () => {
    const { r, w, tick } = rtc();
    tick(0.3 * S);
    w(A, 0x76);
    r(C); // the periodic edges before the reset
    tick(10 * S);
    expect(r(SEC)).toBe(0x30);
    expect(r(C)).toBe(0x00); // no periodic edge, no update
    w(A, 0x26);
    tick(10.5 * S - 1);
    expect(r(SEC)).toBe(0x30);
    tick(10.5 * S);
    expect(r(SEC)).toBe(0x31);
    expect(r(C) & 0x10).toBe(0x10);
    tick(11.5 * S);
    expect(r(SEC)).toBe(0x32);
  });

  it('keeps 114 bytes of NVRAM, with the index bit 7 as the NMI mask', () => {
    const { dev, r, w } = rtc();
    for (let i = 0x0e; i < 0x80; i++) w(i | 0x80, (i * 7 + 3) & 0xff);
    expect(dev.nmiMasked).toBe(true);
    for (let i = 0x0e; i < 0x80; i++) expect(r(i)).toBe((i * 7 + 3) & 0xff);
    expect(dev.nmiMasked).toBe(false);
    dev.ports.write(0, 1, 0xc0);
    expect(dev.ports.read(1, 1)).toBe((0x40 * 7 + 3) & 0xff);
    expect(dev.ports.read(0, 1)).toBe(0xff); // the index port is write-only
  });

  it('fills the memory-size fields and the checksum for a 64 MiB guest', () => {
    const { r } = rtc({ memoryBytes: 64 * MiB });
    expect([r(0x15), r(0x16)]).toEqual([0x80, 0x02]); // 640 KiB
    expect([r(0x17), r(0x18)]).toEqual([0x00, 0xfc]); // 63 MiB = 64512 KiB
    expect([r(0x30), r(0x31)]).toEqual([0x00, 0xfc]);
    expect([r(0x34), r(0x35)]).toEqual([0x00, 0x03]); // 48 MiB = 768 x 64 KiB
    expect([r(0x2e), r(0x2f)]).toEqual([0x01, 0x7e]); // 0x80 + 0x02 + 0x00 + 0xfc
  });

  it('caps the memory-size fields for a 4 GiB guest, with a matching checksum', () => {
    const { r } = rtc({ memoryBytes: 4096 * MiB });
    expect([r(0x15), r(0x16)]).toEqual([0x80, 0x02]);
    expect([r(0x17), r(0x18)]).toEqual([0xff, 0xff]);
    expect([r(0x30), r(0x31)]).toEqual([0xff, 0xff]);
    expect([r(0x34), r(0x35)]).toEqual([0x00, 0xff]); // 4080 MiB = 0xff00 x 64 KiB
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += r(i);
    expect((r(0x2e) << 8) | r(0x2f)).toBe(sum);
    expect(sum).toBe(0x280);
  });

  it('reports a guest smaller than 640 KiB as all base memory', () => {
    const { r } = rtc({ memoryBytes: 512 * 1024 });
    expect([0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35].map(r)).toEqual([0x00, 0x02, 0, 0, 0, 0, 0, 0]);
    expect([r(0x2e), r(0x2f)]).toEqual([0x00, 0x02]);
  });

  it('behaves as one device for two instances over one state', () => {
    const state = CmosRtc.createState();
    const clock = new FakeClock();
    const line = new RecordingIrqLine();
    const a = new CmosRtc(state, clock, line, { epochSeconds: EPOCH, memoryBytes: 64 * MiB });
    const b = new CmosRtc(state, clock, line, { epochSeconds: 0, memoryBytes: 4096 * MiB }); // too late to matter
    const rd = (dev: CmosRtc, i: number): number => {
      dev.ports.write(0, 1, i);
      return dev.ports.read(1, 1);
    };
    const wr = (dev: CmosRtc, i: number, v: number): void => {
      dev.ports.write(0, 1, i);
      dev.ports.write(1, 1, v);
    };
    expect([rd(b, SEC), rd(b, HOUR), rd(b, YEAR), rd(b, 0x18)]).toEqual([0x30, 0x13, 0x24, 0xfc]);
    a.ports.write(0, 1, 0x50); // the index written through one instance...
    b.ports.write(1, 1, 0x77); // ...selects the byte for the other
    expect(rd(a, 0x50)).toBe(0x77);

    wr(a, B, 0x82);
    wr(b, MIN, 0x00);
    wr(a, B, 0x02);
    clock.t = 2 * S;
    expect(rd(b, MIN)).toBe(0x00);
    expect(rd(b, SEC)).toBe(0x32);

    rd(a, C); // the periodic flag has been set since power-on
    wr(a, B, 0x42);
    expect(line.risingEdges).toBe(0);
    clock.t = 2 * S + 976_562;
    a.update();
    expect(line.risingEdges).toBe(0);
    clock.t = 2 * S + 976_563;
    b.update();
    expect(line.risingEdges).toBe(1);
    a.update();
    expect(line.risingEdges).toBe(1); // the line level is shared: no second edge
    expect(a.nextEventNs()).toBeUndefined();
    expect(rd(a, C)).toBe(0xc0);
    expect(line.high).toBe(false);
    expect(b.nextEventNs()).toBe(2 * S + 1_953_125);
  });

  it('sees a clock lagging in another thread as time standing still, never going back', () => {
    const state = CmosRtc.createState();
    const fast = new FakeClock();
    const slow = new FakeClock();
    const a = rtc({}, state, fast);
    const b = rtc({}, state, slow);
    fast.t = 5 * S;
    expect(a.r(SEC)).toBe(0x35);
    slow.t = 4 * S;
    expect(b.r(SEC)).toBe(0x35);
  });

  it('takes its Device-rank lock on every entry point, and leaves it free', () => {
    const { dev, state } = rtc();
    checkLockRanks(true);
    const outer = new RankedLock('pic', LockRank.InterruptController, new Int32Array(new SharedArrayBuffer(4)), 0);
    const inside = (body: () => unknown): void => {
      expect(() => outer.with(body)).toThrow(RankViolation);
    };
    inside(() => dev.ports.read(1, 1));
    inside(() => dev.ports.write(0, 1, 0));
    inside(() => dev.update());
    inside(() => dev.nextEventNs());
    inside(() => dev.nmiMasked);
    dev.ports.read(1, 1);
    expect(state[0]).toBe(0);
  });

  it('accepts any byte at any index and any access width without throwing', () => {
    const { dev, r, w, time, tick } = rtc();
    for (let index = 0; index < 0x100; index++) for (const value of [0x00, 0x5a, 0x7f, 0x80, 0xff]) w(index, value);
    dev.ports.write(0, 4, -1);
    dev.ports.read(0, 4);
    dev.ports.read(1, 2);
    dev.ports.write(0, 2, 0x5a40); // out 0x70, ax: index in AL, data in AH
    expect(r(0x40)).toBe(0x5a);
    dev.ports.write(0, 1, 0x40);
    expect(dev.ports.read(0, 2)).toBe(0x5aff); // in ax, 0x70: the write-only index port, then data

    w(A, 0x26);
    w(B, 0x82);
    for (let i = 0; i <= YEAR; i++) if (i !== SEC_ALARM && i !== MIN_ALARM && i !== HOUR_ALARM) w(i, 0xff);
    w(B, 0x02);
    tick(3 * S);
    dev.update();
    const [sec, min, hour, dow, date, month] = time() as [number, number, number, number, number, number];
    const bcd = (v: number, lo: number, hi: number): boolean => (v & 0x0f) <= 9 && (v >> 4) * 10 + (v & 0x0f) >= lo && (v >> 4) * 10 + (v & 0x0f) <= hi;
    expect([bcd(sec, 0, 59), bcd(min, 0, 59), bcd(hour, 0, 23), bcd(dow, 1, 7), bcd(date, 1, 31), bcd(month, 1, 12)]).toEqual([
      true, true, true, true, true, true,
    ]);
  });
});
