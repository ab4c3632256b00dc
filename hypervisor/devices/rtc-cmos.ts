import { LockRank, RankedLock } from '../base/lock.js';
import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import type { IrqLine } from './irq-line.js';

/** The PC/AT wiring: an index port whose bit 7 masks NMI, a data port next to it, and IRQ 8. */
export const CMOS_INDEX_PORT = 0x70;
export const CMOS_DATA_PORT = 0x71;
export const CMOS_PORT_COUNT = 2;
export const RTC_IRQ = 8;
/** Bit 7 of a byte written to the index port: set, NMI is masked. */
export const CMOS_NMI_DISABLE = 0x80;

/** Register indices (the clock part of the 128 bytes). */
export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REG_A = 0x0a;
export const RTC_REG_B = 0x0b;
export const RTC_REG_C = 0x0c;
export const RTC_REG_D = 0x0d;

/** The IBM PC/AT NVRAM layout this device fills in at power-on. */
export const CMOS_BASE_MEMORY_LO = 0x15;
export const CMOS_EXTENDED_MEMORY_LO = 0x17;
export const CMOS_CHECKSUM_HI = 0x2e;
export const CMOS_EXTENDED_MEMORY_COPY_LO = 0x30;
export const CMOS_CENTURY = 0x32;
export const CMOS_MEMORY_ABOVE_16M_LO = 0x34;
/** The checksum at 0x2E (high byte) and 0x2F (low byte) covers 0x10..0x2D. */
const CHECKSUM_FIRST = 0x10;
const CHECKSUM_LAST = 0x2d;

// Register A.
const A_UIP = 0x80;
const A_DV_MASK = 0x70;
/** DV2-0 = 010: the 32.768 kHz time base, divider running. */
const A_DV_32K = 0x20;
const A_RS_MASK = 0x0f;
// Register B.
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_DM_BINARY = 0x04;
const B_24_HOUR = 0x02;
// Register C (the enables in B sit at the same bit positions as the flags in C).
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const C_FLAGS = C_PF | C_AF | C_UF;
// Register D.
const D_VRT = 0x80;

/** What a BIOS leaves in A and B: 32.768 kHz, 1024 Hz periodic rate; BCD, 24-hour, no interrupts. */
const RESET_REG_A = A_DV_32K | 0x06;
const RESET_REG_B = B_24_HOUR;

const NS_PER_SECOND = 1e9;
/** tBUC: UIP rises this long before the update transfer. */
const UIP_LEAD_NS = 244_000;
/** Leaving divider reset, the first update comes half a second later. */
const FIRST_UPDATE_AFTER_RESET_NS = 500_000_000;
const SECONDS_PER_DAY = 86_400;
const TWO_32 = 2 ** 32;

/** Words of the shared state. */
const W_LOCK = 0;
const W_INITIALISED = 1;
const W_INDEX = 2; // the last byte written to 0x70, NMI bit included
const W_LINE = 3; // the level last driven on IRQ 8
const W_DOW_DELTA = 4; // day-of-week register minus the computed weekday, mod 7
const W_ANCHOR_NS = 5; // (64 bits) a guest time at which a second boundary fell, while the divider runs
const W_ANCHOR_SECONDS = 7; // (64 bits) the clock's second count from that boundary on; the frozen count if stopped
const W_LAST_SYNC_NS = 9; // (64 bits) guest time up to which the flags in C are accounted
const W_CMOS = 16; // 128 words, one per byte: time snapshot while SET, alarms, A, B, C's flags, NVRAM

/** Guest time in nanoseconds since the VM started, monotonic. */
export interface RtcClock {
  now(): number;
}

export interface CmosRtcOptions {
  /** Wall-clock time (Unix seconds, UTC) at guest time 0. */
  epochSeconds: number;
  /** Guest RAM size, for the memory-size fields of the NVRAM. */
  memoryBytes: number;
}

interface Mode {
  binary: boolean;
  hours24: boolean;
}

const floorMod = (a: number, m: number): number => ((a % m) + m) % m;
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

const encode = (v: number, binary: boolean): number => (binary ? v : (Math.floor(v / 10) << 4) | v % 10);
/** BCD digits above 9 are taken at face value (0x3A is 40): never an exception, a clamp follows. */
const decode = (b: number, binary: boolean): number => (binary ? b : (b >>> 4) * 10 + (b & 0x0f));

function encodeHour(h: number, mode: Mode): number {
  if (mode.hours24) return encode(h, mode.binary);
  const pm = h >= 12;
  return encode(h % 12 || 12, mode.binary) | (pm ? 0x80 : 0);
}

function decodeHour(b: number, mode: Mode): number {
  if (mode.hours24) return clamp(decode(b, mode.binary), 0, 23);
  const h12 = clamp(decode(b & 0x7f, mode.binary), 1, 12);
  return (h12 % 12) + (b & 0x80 ? 12 : 0);
}

/** Alarm bytes with both top bits set match any value. */
const dontCare = (b: number): boolean => (b & 0xc0) === 0xc0;

/** The values 0..count-1 whose register encoding an alarm byte matches (the chip compares bytes). */
function alarmCandidates(alarm: number, count: number, enc: (v: number) => number): number[] {
  const out: number[] = [];
  for (let v = 0; v < count; v++) if (dontCare(alarm) || enc(v) === alarm) out.push(v);
  return out;
}

/**
 * The PC's Motorola MC146818 real-time clock and its 114 bytes of battery-backed RAM, behind index port
 * 0x70 and data port 0x71 (bit 7 of the index masks NMI on the PC; it is kept, not acted on here).
 *
 * Nothing runs on its own: the clock is a second count derived from the injected guest clock, and the
 * interrupt flags are brought up to date whenever the device is touched and by `update()`, which the VM
 * calls at slice boundaries; `nextEventNs()` tells it when to wake. All mutable state lives in a shared
 * Int32Array guarded by the lock in word 0, so instances over one buffer in several threads are one chip.
 *
 * The update cycle is instantaneous at each second boundary: UIP reads 1 for the 244 us before it, and
 * the new time, UF and AF appear at the boundary itself. Daylight-saving adjustment (DSE) is stored but
 * not applied. The year register holds two digits; a year the guest writes stays in the current century.
 */
export class CmosRtc {
  static readonly STATE_WORDS = W_CMOS + 128;

  static createState(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(CmosRtc.STATE_WORDS * 4));
  }

  /** The two ports at 0x70, to register on the port bus. */
  readonly ports: BusDevice;
  private readonly lock: RankedLock;

  constructor(
    private readonly state: Int32Array,
    private readonly clock: RtcClock,
    private readonly irq8: IrqLine,
    options: CmosRtcOptions,
  ) {
    if (state.length < CmosRtc.STATE_WORDS) throw new RangeError(`rtc: the state needs ${CmosRtc.STATE_WORDS} words, got ${state.length}`);
    if (!Number.isFinite(options.epochSeconds)) throw new RangeError(`rtc: epochSeconds ${options.epochSeconds} is not a time`);
    this.lock = new RankedLock('rtc', LockRank.Device, state, W_LOCK);
    this.lock.with(() => {
      if (state[W_INITIALISED] === 0) this.initialise(options);
    });
    this.ports = {
      name: 'cmos-rtc',
      read: (offset, size) => this.lock.with(() => this.readPorts(offset, size)),
      write: (offset, size, value) => this.lock.with(() => this.writePorts(offset, size, value)),
    };
  }

  /** Brings the interrupt flags and IRQ 8 up to date with the clock. */
  update(): void {
    this.lock.with(() => {
      this.sync();
      this.driveLine();
    });
  }

  /**
   * Guest time of the next interrupt an enable bit lets through, counted from the last time the device
   * was brought up to date (so it may already have passed if `update()` is due). Undefined when none is
   * enabled, the divider is stopped, or IRQ 8 is already asserted: nothing changes then until the guest
   * reads register C, and that access brings the device up to date itself.
   */
  nextEventNs(): number | undefined {
    return this.lock.with(() => {
      const b = this.reg(RTC_REG_B);
      if (this.state[W_LINE] !== 0 || !this.running()) return undefined;
      const last = this.get64(W_LAST_SYNC_NS);
      const anchorNs = this.get64(W_ANCHOR_NS);
      let next: number | undefined;
      const consider = (t: number | undefined): void => {
        if (t !== undefined && (next === undefined || t < next)) next = t;
      };
      const perSecond = this.periodicPerSecond();
      if (b & B_PIE && perSecond !== 0) consider(this.tickTime(this.ticksUpTo(last, perSecond) + 1, perSecond));
      if (!(b & B_SET) && b & (B_UIE | B_AIE)) {
        const k = Math.floor((last - anchorNs) / NS_PER_SECOND) + 1; // the next boundary
        if (b & B_UIE) consider(anchorNs + k * NS_PER_SECOND);
        if (b & B_AIE) {
          const first = this.get64(W_ANCHOR_SECONDS) + k;
          const hit = this.nextAlarm(first);
          if (hit !== undefined) consider(anchorNs + (k + hit - first) * NS_PER_SECOND);
        }
      }
      return next;
    });
  }

  /** Whether the guest last wrote the index port with bit 7 set. */
  get nmiMasked(): boolean {
    return this.lock.with(() => (this.state[W_INDEX]! & CMOS_NMI_DISABLE) !== 0);
  }

  // ---- Port access (called with the lock held) ----

  /** A wider access is split into byte cycles on consecutive ports, as the ISA bus does. */
  private readPorts(offset: number, size: AccessSize): number {
    this.sync();
    let value = 0;
    for (let i = 0; i < size; i++) {
      // The index port is write-only on the AT: reading it finds nothing driving the bus.
      const byte = offset + i === 1 ? this.readData() : 0xff;
      value |= byte << (8 * i);
    }
    this.driveLine();
    return value;
  }

  private writePorts(offset: number, size: AccessSize, value: number): void {
    this.sync();
    for (let i = 0; i < size; i++) {
      const byte = (value >>> (8 * i)) & 0xff;
      if (offset + i === 0) this.state[W_INDEX] = byte;
      else if (offset + i === 1) this.writeData(byte);
    }
    this.driveLine();
  }

  private get index(): number {
    return this.state[W_INDEX]! & 0x7f;
  }

  private readData(): number {
    const index = this.index;
    switch (index) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
        return this.reg(RTC_REG_B) & B_SET ? this.reg(index) : this.render(this.currentSecond(), this.mode())[index]!;
      case RTC_REG_A:
        return this.reg(RTC_REG_A) | (this.updateImminent() ? A_UIP : 0);
      case RTC_REG_C: {
        const value = this.reg(RTC_REG_C) | (this.irqf() ? C_IRQF : 0);
        this.setReg(RTC_REG_C, 0);
        return value;
      }
      case RTC_REG_D:
        return D_VRT; // the battery is always good
      default:
        return this.reg(index); // the alarms, B, and the NVRAM
    }
  }

  private writeData(byte: number): void {
    const index = this.index;
    switch (index) {
      case RTC_SECONDS:
      case RTC_MINUTES:
      case RTC_HOURS:
      case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH:
      case RTC_MONTH:
      case RTC_YEAR:
        if (this.reg(RTC_REG_B) & B_SET) this.setReg(index, byte);
        else {
          // Outside SET the write takes effect at once; the second keeps its phase.
          const regs = this.render(this.currentSecond(), this.mode());
          regs[index] = byte;
          this.setTimeFrom(regs, this.mode());
        }
        return;
      case RTC_REG_A:
        this.writeRegA(byte);
        return;
      case RTC_REG_B:
        this.writeRegB(byte);
        return;
      case RTC_REG_C:
      case RTC_REG_D:
        return; // read-only
      default:
        this.setReg(index, byte);
    }
  }

  private writeRegA(byte: number): void {
    const wasRunning = this.running();
    this.setReg(RTC_REG_A, byte & ~A_UIP); // UIP is read-only
    const nowRunning = this.running();
    const now = this.get64(W_LAST_SYNC_NS);
    if (wasRunning && !nowRunning) {
      // Divider held in reset (or a time base this crystal cannot drive): the count stops where it is.
      this.set64(W_ANCHOR_SECONDS, this.secondAt(now, true));
    } else if (!wasRunning && nowRunning) {
      // The chain restarts from zero, and its first 1 Hz edge is half a second away.
      this.set64(W_ANCHOR_NS, now + FIRST_UPDATE_AFTER_RESET_NS - NS_PER_SECOND);
    }
  }

  private writeRegB(byte: number): void {
    const old = this.reg(RTC_REG_B);
    // The datasheet: UIE is cleared when SET is written 1 (a guest setting the clock gets no update interrupts).
    const next = byte & B_SET ? byte & ~B_UIE : byte;
    if (!(old & B_SET) && next & B_SET) {
      // Freeze: the registers hold the time as it stood, in the format they were counting in.
      const regs = this.render(this.currentSecond(), this.mode());
      for (const i of [RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR]) {
        this.setReg(i, regs[i]!);
      }
    }
    this.setReg(RTC_REG_B, next);
    if (old & B_SET && !(next & B_SET)) {
      // The written time becomes current, read in the format now selected; the divider keeps its phase.
      const regs: number[] = [];
      for (let i = 0; i <= RTC_YEAR; i++) regs.push(this.reg(i));
      this.setTimeFrom(regs, this.mode());
    }
  }

  // ---- Time ----

  private mode(): Mode {
    const b = this.reg(RTC_REG_B);
    return { binary: (b & B_DM_BINARY) !== 0, hours24: (b & B_24_HOUR) !== 0 };
  }

  private running(): boolean {
    return (this.reg(RTC_REG_A) & A_DV_MASK) === A_DV_32K;
  }

  private currentSecond(): number {
    return this.secondAt(this.get64(W_LAST_SYNC_NS), this.running());
  }

  private secondAt(now: number, running: boolean): number {
    const anchor = this.get64(W_ANCHOR_SECONDS);
    return running ? anchor + Math.floor((now - this.get64(W_ANCHOR_NS)) / NS_PER_SECOND) : anchor;
  }

  /** UIP: within tBUC before a second boundary, while updates happen at all. */
  private updateImminent(): boolean {
    if (!this.running() || this.reg(RTC_REG_B) & B_SET) return false;
    const phase = floorMod(this.get64(W_LAST_SYNC_NS) - this.get64(W_ANCHOR_NS), NS_PER_SECOND);
    return phase >= NS_PER_SECOND - UIP_LEAD_NS;
  }

  /** Registers 0..9 for a second count (the alarm slots hold the alarm registers). */
  private render(second: number, mode: Mode): number[] {
    const d = new Date(second * 1000);
    const regs: number[] = [];
    for (let i = 0; i <= RTC_YEAR; i++) regs.push(this.reg(i));
    regs[RTC_SECONDS] = encode(d.getUTCSeconds(), mode.binary);
    regs[RTC_MINUTES] = encode(d.getUTCMinutes(), mode.binary);
    regs[RTC_HOURS] = encodeHour(d.getUTCHours(), mode);
    regs[RTC_DAY_OF_WEEK] = encode(floorMod(d.getUTCDay() + this.state[W_DOW_DELTA]!, 7) + 1, mode.binary);
    regs[RTC_DAY_OF_MONTH] = encode(d.getUTCDate(), mode.binary);
    regs[RTC_MONTH] = encode(d.getUTCMonth() + 1, mode.binary);
    regs[RTC_YEAR] = encode(floorMod(d.getUTCFullYear(), 100), mode.binary);
    return regs;
  }

  /**
   * Makes registers 0..9 the current time. Values no date has are clamped into range (a day past the
   * month's end rolls into the next month); the day-of-week register, a counter of its own in the chip,
   * keeps whatever 1..7 the guest wrote.
   */
  private setTimeFrom(regs: readonly number[], mode: Mode): void {
    const r = (i: number): number => regs[i] ?? 0;
    const century = Math.floor(new Date(this.currentSecond() * 1000).getUTCFullYear() / 100);
    const year = century * 100 + clamp(decode(r(RTC_YEAR), mode.binary), 0, 99);
    const ms = Date.UTC(
      year,
      clamp(decode(r(RTC_MONTH), mode.binary), 1, 12) - 1,
      clamp(decode(r(RTC_DAY_OF_MONTH), mode.binary), 1, 31),
      decodeHour(r(RTC_HOURS), mode),
      clamp(decode(r(RTC_MINUTES), mode.binary), 0, 59),
      clamp(decode(r(RTC_SECONDS), mode.binary), 0, 59),
    );
    if (!Number.isFinite(ms)) return; // unreachable with the clamps; a guest cannot break the clock
    const second = ms / 1000;
    this.set64(W_ANCHOR_SECONDS, this.get64(W_ANCHOR_SECONDS) + second - this.currentSecond());
    const weekday = clamp(decode(r(RTC_DAY_OF_WEEK), mode.binary), 1, 7) - 1;
    this.state[W_DOW_DELTA] = floorMod(weekday - new Date(ms).getUTCDay(), 7);
  }

  // ---- Interrupts ----

  /** Periodic interrupts per second for the rate select in A, 0 for none (rates 1 and 2 repeat 8 and 9). */
  private periodicPerSecond(): number {
    const rs = this.reg(RTC_REG_A) & A_RS_MASK;
    if (rs === 0) return 0;
    if (rs <= 2) return 32768 >> (rs + 6);
    return 32768 >> (rs - 1);
  }

  /** Periodic edges since the anchor up to and including `t` (the taps of the divider chain line up with its 1 Hz output). */
  private ticksUpTo(t: number, perSecond: number): number {
    const d = t - this.get64(W_ANCHOR_NS);
    const sec = Math.floor(d / NS_PER_SECOND);
    const rem = d - sec * NS_PER_SECOND;
    return sec * perSecond + Math.floor((rem * perSecond) / NS_PER_SECOND);
  }

  /** The first whole nanosecond at which periodic edge `j` has happened. */
  private tickTime(j: number, perSecond: number): number {
    const sec = Math.floor(j / perSecond);
    const r = j - sec * perSecond;
    return this.get64(W_ANCHOR_NS) + sec * NS_PER_SECOND + Math.ceil((r * NS_PER_SECOND) / perSecond);
  }

  /** The first second count at or after `from` whose time of day the alarm registers match, if any. */
  private nextAlarm(from: number): number | undefined {
    const mode = this.mode();
    const secs = alarmCandidates(this.reg(RTC_SECONDS_ALARM), 60, (v) => encode(v, mode.binary));
    const mins = alarmCandidates(this.reg(RTC_MINUTES_ALARM), 60, (v) => encode(v, mode.binary));
    const hours = alarmCandidates(this.reg(RTC_HOURS_ALARM), 24, (v) => encodeHour(v, mode));
    const [h0, m0, s0] = [hours[0], mins[0], secs[0]];
    if (h0 === undefined || m0 === undefined || s0 === undefined) return undefined; // a value no clock shows
    const tod = floorMod(from, SECONDS_PER_DAY);
    const [H, M, S] = [Math.floor(tod / 3600), Math.floor(tod / 60) % 60, tod % 60];
    const at = (h: number, m: number, s: number): number => from - tod + h * 3600 + m * 60 + s;
    for (const h of hours) {
      if (h > H) return at(h, m0, s0);
      if (h < H) continue;
      for (const m of mins) {
        if (m > M) return at(h, m, s0);
        if (m < M) continue;
        for (const s of secs) if (s >= S) return at(h, m, s);
      }
    }
    return at(h0, m0, s0) + SECONDS_PER_DAY; // tomorrow's first match
  }

  /**
   * Accounts the flags for the time since the last sync: PF for any periodic edge, and, while updates
   * run, UF for any second boundary and AF if one of those seconds matched the alarm. Guest time is
   * taken as monotonic across all instances: a thread whose clock lags sees the device where it was left.
   */
  private sync(): void {
    const last = this.get64(W_LAST_SYNC_NS);
    const raw = Math.floor(this.clock.now());
    if (!Number.isFinite(raw) || raw <= last) return;
    const now = raw;
    if (this.running()) {
      let flags = this.reg(RTC_REG_C);
      const perSecond = this.periodicPerSecond();
      if (perSecond !== 0 && this.ticksUpTo(now, perSecond) > this.ticksUpTo(last, perSecond)) flags |= C_PF;
      if (!(this.reg(RTC_REG_B) & B_SET)) {
        const anchorNs = this.get64(W_ANCHOR_NS);
        const first = Math.floor((last - anchorNs) / NS_PER_SECOND) + 1;
        const lastBoundary = Math.floor((now - anchorNs) / NS_PER_SECOND);
        if (lastBoundary >= first) {
          flags |= C_UF;
          const anchorSeconds = this.get64(W_ANCHOR_SECONDS);
          const hit = this.nextAlarm(anchorSeconds + first);
          if (hit !== undefined && hit <= anchorSeconds + lastBoundary) flags |= C_AF;
        }
      }
      this.setReg(RTC_REG_C, flags);
    }
    this.set64(W_LAST_SYNC_NS, now);
  }

  private irqf(): boolean {
    return (this.reg(RTC_REG_C) & this.reg(RTC_REG_B) & C_FLAGS) !== 0;
  }

  private driveLine(): void {
    const high = this.irqf();
    if (high === (this.state[W_LINE] !== 0)) return;
    this.state[W_LINE] = high ? 1 : 0;
    if (high) this.irq8.raise();
    else this.irq8.lower();
  }

  // ---- State ----

  private initialise(options: CmosRtcOptions): void {
    const s = this.state;
    s.fill(0, W_INDEX);
    const whole = Math.floor(options.epochSeconds);
    // Guest time 0 falls a fraction into second `whole`: the boundaries come at (1 - fraction) s + k s.
    this.set64(W_ANCHOR_SECONDS, whole);
    this.set64(W_ANCHOR_NS, -Math.round((options.epochSeconds - whole) * NS_PER_SECOND));
    const now = Math.floor(this.clock.now());
    this.set64(W_LAST_SYNC_NS, Number.isFinite(now) ? Math.max(now, 0) : 0);
    this.setReg(RTC_REG_A, RESET_REG_A);
    this.setReg(RTC_REG_B, RESET_REG_B);

    const memory = Math.max(0, Math.floor(options.memoryBytes) || 0);
    const word = (index: number, value: number): void => {
      this.setReg(index, value & 0xff);
      this.setReg(index + 1, (value >>> 8) & 0xff);
    };
    const kib = (bytes: number): number => Math.floor(Math.max(0, bytes) / 1024);
    word(CMOS_BASE_MEMORY_LO, Math.min(640, kib(memory)));
    const extended = Math.min(0xffff, kib(memory - 0x10_0000));
    word(CMOS_EXTENDED_MEMORY_LO, extended);
    word(CMOS_EXTENDED_MEMORY_COPY_LO, extended);
    word(CMOS_MEMORY_ABOVE_16M_LO, Math.min(0xffff, Math.floor(Math.max(0, memory - 0x100_0000) / 0x1_0000)));
    const year = new Date(whole * 1000).getUTCFullYear();
    this.setReg(CMOS_CENTURY, encode(floorMod(Math.floor(year / 100), 100), false));
    let sum = 0;
    for (let i = CHECKSUM_FIRST; i <= CHECKSUM_LAST; i++) sum += this.reg(i);
    this.setReg(CMOS_CHECKSUM_HI, sum >>> 8); // stored big-endian
    this.setReg(CMOS_CHECKSUM_HI + 1, sum);
    s[W_INITIALISED] = 1;
  }

  private reg(index: number): number {
    return this.state[W_CMOS + index]!;
  }

  private setReg(index: number, value: number): void {
    this.state[W_CMOS + index] = value & 0xff;
  }

  private get64(word: number): number {
    return this.state[word]! * TWO_32 + (this.state[word + 1]! >>> 0);
  }

  private set64(word: number, value: number): void {
    const hi = Math.floor(value / TWO_32);
    this.state[word] = hi;
    this.state[word + 1] = value - hi * TWO_32;
  }
}
