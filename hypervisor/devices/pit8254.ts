import { LockRank, RankedLock } from '../base/lock.js';
import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import type { IrqLine } from './irq-line.js';

/** The PC/AT wiring: counters 0-2 and the control word at 0x40-0x43, channel 0 on IRQ 0. */
export const PIT_PORT = 0x40;
export const PIT_PORT_COUNT = 4;
export const PIT_CONTROL_OFFSET = 3;
export const PIT_IRQ = 0;
/** System control port B (the AT's successor of the 8255's port B): gate and output of channel 2. */
export const PORT_61 = 0x61;
export const PORT_61_COUNT = 1;
/** The PIT's input clock: 14.31818 MHz / 12. */
export const PIT_HZ = 1_193_182;

/** Port 0x61 bits. */
export const PORT61_GATE2 = 0x01;
export const PORT61_SPEAKER = 0x02;
export const PORT61_REFRESH = 0x10;
export const PORT61_OUT2 = 0x20;
/** The bits of port 0x61 that are written and read back (gate 2, speaker data, and the two NMI-check enables). */
const PORT61_STORED = 0x0f;

const NS_PER_S = 1_000_000_000;
const TWO32 = 4_294_967_296;

/**
 * CLK pulses from guest time 0 to `ns`: floor(ns * 1193182 / 1e9), exact. The time is split into whole
 * seconds (a whole number of pulses each) and the rest, whose product with the clock stays below 2^53.
 */
export function pitTicksAt(ns: number): number {
  const t = Math.floor(ns);
  let q = Math.floor(t / NS_PER_S);
  let r = t - q * NS_PER_S;
  if (r < 0) {
    q -= 1;
    r += NS_PER_S;
  } else if (r >= NS_PER_S) {
    q += 1;
    r -= NS_PER_S;
  }
  const x = r * PIT_HZ;
  let k = Math.floor(x / NS_PER_S);
  if (k * NS_PER_S > x) k -= 1;
  else if ((k + 1) * NS_PER_S <= x) k += 1;
  return q * PIT_HZ + k;
}

/** The guest time of CLK pulse `tick`: the first whole nanosecond at which `pitTicksAt` reaches it. */
export function pitTickNs(tick: number): number {
  let q = Math.floor(tick / PIT_HZ);
  let r = tick - q * PIT_HZ;
  if (r < 0) {
    q -= 1;
    r += PIT_HZ;
  } else if (r >= PIT_HZ) {
    q += 1;
    r -= PIT_HZ;
  }
  const x = r * NS_PER_S;
  let s = Math.ceil(x / PIT_HZ);
  if ((s - 1) * PIT_HZ >= x) s -= 1;
  else if (s * PIT_HZ < x) s += 1;
  return q * NS_PER_S + s;
}

// ---- State layout ----

/** Device-wide words. */
const enum W {
  Lock = 0,
  /** Port 0x61 bits 0-3 as last written. */
  Port61 = 1,
  /** The refresh-toggle bit (port 0x61 bit 4), flipped by every read. */
  Refresh = 2,
  /** The level the device last drove IRQ 0 to. */
  IrqLevel = 3,
  /** The CLK pulse up to which channel 0's edges have been passed to the line (and the device's "now"). */
  SeenLo = 4,
  SeenHi = 5,
  Channels = 8,
}

/** Words of one channel, from its base. */
const enum C {
  /** Mode bits M2-M0 as written (6 and 7 are modes 2 and 3). */
  Mode,
  /** RW1-RW0: 1 LSB only, 2 MSB only, 3 LSB then MSB. */
  Rw,
  Bcd,
  /** The count register as written (raw bytes, BCD digits in BCD mode). */
  Cr,
  /** The LSB of a two-byte count waiting for its MSB. */
  LowByte,
  /** 1 when the next count byte written is the MSB. */
  WriteMsb,
  /** 1 when the next byte read is the MSB. */
  ReadMsb,
  /** 1 while a latched count waits to be read; the value is in LatchValue. */
  CountLatched,
  LatchValue,
  StatusLatched,
  StatusValue,
  Gate,
  /** Phase: Idle, Run or Held. */
  Phase,
  /** The CLK pulse at which the counting element was (or will be) loaded with Count. */
  AnchorLo,
  AnchorHi,
  /** The value (not BCD digits) in the counting element at Anchor. */
  Count,
  /** Mode 3: pulses of the square wave already elapsed at Anchor (0, or the high half to start low). */
  Offset,
  /** The counting element's value before Anchor (left from the previous count, or frozen). */
  Frozen,
  /** OUT before Anchor, and in the Idle and Held phases. */
  Out,
  /** Mode 4: the strobe is still to come for this count. */
  Armed,
  /** A complete count has been written since the control word. */
  HaveCount,
  /** Modes 2 and 3: a count written while counting, loaded at the end of the current (half-)cycle. */
  Switch,
  SwitchLo,
  SwitchHi,
  SwitchCount,
  /** Mode 3: the switch ends a high half-cycle, so the new count starts with the low half. */
  SwitchToLow,
  /** Null count: NullState. */
  Null,
  NullLo,
  NullHi,
  Words,
}

const enum Phase {
  /** No count since the control word (or mode 0 between the two bytes of a count): nothing counts. */
  Idle = 0,
  /** The counting element counts from Anchor (modes 1 and 5: from their trigger). */
  Run = 1,
  /** Modes 0, 2, 3, 4 with GATE low: counting suspended (a pending load still happens at Anchor). */
  Held = 2,
}

const enum NullState {
  Clear = 0,
  /** The count register is loaded into the counting element at pulse NullLo/NullHi. */
  UntilTick = 1,
  /** Loaded at an event still to come (the second count byte, a trigger, the gate's rising edge). */
  Pending = 2,
}

const STATE_WORDS = W.Channels + 3 * C.Words;

/** One stretch of a running counter: what its counting element and OUT do from pulse `a` on. */
interface Segment {
  mode: number;
  a: number;
  /** Count value at `a` (0 means the modulus). */
  c: number;
  off: number;
  /** OUT before `a`. */
  pre: boolean;
  armed: boolean;
  /** 65536, or 10000 in BCD. */
  m: number;
}

const mod = (a: number, m: number): number => ((a % m) + m) % m;
const toBcd = (v: number): number => (Math.floor(v / 1000) % 10 << 12) | (Math.floor(v / 100) % 10 << 8) | (Math.floor(v / 10) % 10 << 4) | v % 10;
/** BCD digits to a value; digits above 9 (which the guest should not write) are weighted like any other. */
const fromBcd = (raw: number): number => ((raw >>> 12) & 15) * 1000 + ((raw >>> 8) & 15) * 100 + ((raw >>> 4) & 15) * 10 + (raw & 15);
/** Modes 6 and 7 are modes 2 and 3 (M2 is a don't-care for them). */
const effectiveMode = (bits: number): number => ((bits & 3) >= 2 ? bits & 3 : bits & 5);
const countOf = (s: Segment): number => (s.c === 0 ? s.m : s.c);
/** High half of a mode 3 square wave of `n` pulses: (n + 1) / 2 for odd n. */
const highHalf = (n: number): number => n - (n >>> 1);
/** The first e > e0 with e = r (mod n). */
const firstAfter = (e0: number, n: number, r: number): number => e0 + 1 + mod(r - (e0 + 1), n);

/** OUT of a running segment at pulse k. */
function segmentOut(s: Segment, k: number): boolean {
  if (k < s.a) return s.pre;
  const e = k - s.a;
  const n = countOf(s);
  switch (s.mode) {
    case 0:
      return s.pre || e >= n;
    case 1:
      return e >= n;
    case 2:
      return e % n !== n - 1;
    case 3:
      return (e + s.off) % n < highHalf(n);
    case 4:
      return !(s.armed && e === n);
    default:
      return e !== n;
  }
}

/** The counting element of a running segment at pulse k (k >= a), as a value. */
function segmentCount(s: Segment, k: number): number {
  const e = k - s.a;
  const n = countOf(s);
  switch (s.mode) {
    case 2:
      return n - (e % n);
    case 3: {
      // Decrements by two: even counts run n..2 in each half; odd counts run n-1..0 high, n-1..2 low.
      const p = (e + s.off) % n;
      const h = highHalf(n);
      return n - (n & 1) - 2 * (p < h ? p : p - h);
    }
    default:
      return mod(s.c - e, s.m);
  }
}

/** The first pulse k > after at which OUT of the segment rises (or falls), or Infinity. */
function segmentEdge(s: Segment, after: number, rising: boolean): number {
  if (after < s.a) {
    const o = segmentOut(s, s.a);
    if (o !== s.pre && o === rising) return s.a;
    after = s.a;
  }
  const n = countOf(s);
  const later = (k: number): number => (k > after ? k : Infinity);
  switch (s.mode) {
    case 0:
      return rising && !s.pre ? later(s.a + n) : Infinity;
    case 1:
      return rising ? later(s.a + n) : Infinity;
    case 2:
      if (n === 1) return Infinity;
      return s.a + firstAfter(after - s.a, n, rising ? 0 : n - 1);
    case 3: {
      const h = highHalf(n);
      if (h === n) return Infinity;
      const u0 = after - s.a + s.off;
      return s.a + firstAfter(u0, n, rising ? 0 : h) - s.off;
    }
    case 4:
      if (!s.armed) return Infinity;
      return later(s.a + n + (rising ? 1 : 0));
    default:
      return later(s.a + n + (rising ? 1 : 0));
  }
}

/**
 * The PC's Intel 8254 programmable interval timer: three 16-bit down counters on the 1.193182 MHz clock,
 * channel 0's OUT on IRQ 0, channel 2's GATE and OUT on port 0x61 (with the speaker-data bit and the
 * refresh toggle), channel 1's GATE tied high as on every PC.
 *
 * Nothing ticks: each counter remembers the CLK pulse its counting element was loaded at, and its value
 * and OUT are computed from the pulses elapsed since (pulse k is the first nanosecond at which
 * floor(ns * 1193182 / 1e9) = k). The first pulse after a count is written loads it, so, as the datasheet
 * says, mode 0's OUT rises N + 1 pulses after the write. IRQ 0 is brought up to date whenever the device is
 * touched and by `update()`, which the VM calls at slice boundaries; `nextEventNs()` tells it when to wake.
 *
 * All mutable state lives in a shared Int32Array under the lock in word 0, so instances over one buffer in
 * several threads are one chip. The device's time never goes back: a clock reading behind the last one
 * (another vCPU's) counts as no time passing. Every byte on every port is accepted; wider accesses are
 * split into byte cycles on consecutive ports, as the ISA bus does.
 *
 * Where the datasheet leaves things open: at power-on every counter is as after a mode 0 control word
 * with no count (OUT low, so programming channel 0 into mode 2 or 3 raises IRQ 0, as that OUT edge would);
 * before its load pulse a counter reads what its counting element held; mode 3 with an odd count N reads
 * N-1, N-3, ..., 0 in its high half and N-1, ..., 2 in its low half; port 0x43 reads 0xff.
 */
export class Pit8254 {
  static readonly STATE_WORDS = STATE_WORDS;

  /** A fresh state: every counter as after a mode 0, LSB-then-MSB, binary control word with no count. */
  static createState(): Int32Array {
    const s = new Int32Array(new SharedArrayBuffer(STATE_WORDS * Int32Array.BYTES_PER_ELEMENT));
    for (let ch = 0; ch < 3; ch++) {
      const b = W.Channels + ch * C.Words;
      s[b + C.Rw] = 3;
      s[b + C.Gate] = ch === 2 ? 0 : 1;
      s[b + C.Null] = NullState.Pending;
    }
    return s;
  }

  /** Counters 0-2 and the control word, to register at 0x40. */
  readonly ports: BusDevice;
  /** System control port B, to register at 0x61. */
  readonly port61: BusDevice;
  private readonly lock: RankedLock;

  constructor(
    private readonly state: Int32Array,
    private readonly clock: { now(): number },
    private readonly irq0: IrqLine,
  ) {
    if (state.length < STATE_WORDS) throw new RangeError(`pit: the state needs ${STATE_WORDS} words, got ${state.length}`);
    this.lock = new RankedLock('pit', LockRank.Device, state, W.Lock);
    this.ports = {
      name: 'pit8254',
      read: (offset, size) => this.access((t) => this.bytes(offset, size, PIT_PORT_COUNT, (o) => this.readPit(o, t))),
      write: (offset, size, value) =>
        this.access((t) => {
          for (let i = 0; i < size; i++) if (offset + i < PIT_PORT_COUNT) this.writePit(offset + i, (value >>> (8 * i)) & 0xff, t);
        }),
    };
    this.port61 = {
      name: 'port61',
      read: (offset, size) => this.access((t) => this.bytes(offset, size, PORT_61_COUNT, () => this.readPort61(t))),
      write: (offset, size, value) =>
        this.access((t) => {
          if (offset === 0) this.writePort61(value & 0xff, t);
        }),
    };
  }

  /** Brings IRQ 0 up to date with the clock: one rising edge for any number of OUT periods since the last call. */
  update(): void {
    this.access(() => undefined);
  }

  /**
   * Guest time of channel 0's next OUT transition the line has not yet seen, or undefined when none is to
   * come: rising edges, and falling edges where OUT then stays low longer than one pulse (modes 0, 1, 3;
   * the one-pulse low of modes 2, 4, 5 is folded into the rising edge that ends it). Counted from the last
   * time the device was brought up to date, so it may already have passed if `update()` is due.
   */
  nextEventNs(): number | undefined {
    return this.lock.with(() => {
      const seen = this.seen();
      const mode = effectiveMode(this.get(0, C.Mode));
      let k = this.channelEdge(0, seen, true);
      if (mode === 0 || mode === 1 || mode === 3) k = Math.min(k, this.channelEdge(0, seen, false));
      return Number.isFinite(k) ? pitTickNs(k) : undefined;
    });
  }

  // ---- Entry points (everything below runs with the lock held) ----

  /** Runs `body` at the current pulse, with channel 0's edges passed to the line before and after it. */
  private access<T>(body: (tick: number) => T): T {
    return this.lock.with(() => {
      const t = Math.max(pitTicksAt(this.clock.now()), this.seen());
      this.syncIrq(t);
      for (let ch = 0; ch < 3; ch++) this.commitSwitch(ch, t);
      const result = body(t);
      this.syncIrq(t);
      return result;
    });
  }

  private bytes(offset: number, size: AccessSize, count: number, read: (offset: number) => number): number {
    let value = 0;
    for (let i = 0; i < size; i++) value |= (offset + i < count ? read(offset + i) : 0xff) << (8 * i);
    return value;
  }

  private readPit(offset: number, t: number): number {
    if (offset === PIT_CONTROL_OFFSET) return 0xff; // the control word register cannot be read
    const ch = offset;
    if (this.get(ch, C.StatusLatched)) {
      this.set(ch, C.StatusLatched, 0);
      return this.get(ch, C.StatusValue) & 0xff;
    }
    const latched = this.get(ch, C.CountLatched) !== 0;
    const value = latched ? this.get(ch, C.LatchValue) : this.output(ch, t);
    const rw = this.get(ch, C.Rw);
    let byte: number;
    let done = true;
    if (rw === 1) byte = value & 0xff;
    else if (rw === 2) byte = value >>> 8;
    else if (this.get(ch, C.ReadMsb)) {
      byte = value >>> 8;
      this.set(ch, C.ReadMsb, 0);
    } else {
      byte = value & 0xff;
      this.set(ch, C.ReadMsb, 1);
      done = false;
    }
    if (latched && done) this.set(ch, C.CountLatched, 0);
    return byte & 0xff;
  }

  private writePit(offset: number, value: number, t: number): void {
    if (offset === PIT_CONTROL_OFFSET) this.writeControl(value, t);
    else this.writeCount(offset, value, t);
  }

  private readPort61(t: number): number {
    const refresh = this.state[W.Refresh]! ^ 1;
    this.state[W.Refresh] = refresh;
    return (this.state[W.Port61]! & PORT61_STORED) | (refresh ? PORT61_REFRESH : 0) | (this.out(2, t) ? PORT61_OUT2 : 0);
  }

  private writePort61(value: number, t: number): void {
    this.state[W.Port61] = value & PORT61_STORED;
    this.setGate(2, value & PORT61_GATE2, t);
  }

  // ---- Commands ----

  private writeControl(value: number, t: number): void {
    const sc = value >>> 6;
    if (sc === 3) {
      this.readBack(value, t);
      return;
    }
    const rw = (value >>> 4) & 3;
    if (rw === 0) {
      this.latchCount(sc, t);
      return;
    }
    // A control word resets the counter's logic: counting stops until a count is written.
    const ch = sc;
    this.set(ch, C.Frozen, this.count(ch, t));
    this.set(ch, C.Mode, (value >>> 1) & 7);
    this.set(ch, C.Rw, rw);
    this.set(ch, C.Bcd, value & 1);
    this.set(ch, C.Phase, Phase.Idle);
    this.set(ch, C.Out, effectiveMode((value >>> 1) & 7) === 0 ? 0 : 1);
    this.set(ch, C.WriteMsb, 0);
    this.set(ch, C.ReadMsb, 0);
    this.set(ch, C.CountLatched, 0);
    this.set(ch, C.StatusLatched, 0);
    this.set(ch, C.HaveCount, 0);
    this.set(ch, C.Switch, 0);
    this.set(ch, C.Armed, 0);
    this.set(ch, C.Null, NullState.Pending);
  }

  /** The counter latch command: the output latch holds the count until it is read (both bytes in RW 3). */
  private latchCount(ch: number, t: number): void {
    if (this.get(ch, C.CountLatched)) return; // a second latch before the read is ignored
    this.set(ch, C.LatchValue, this.output(ch, t));
    this.set(ch, C.CountLatched, 1);
  }

  /** Read-back: bit 5 clear latches the count, bit 4 clear latches the status, of the counters in bits 1-3. */
  private readBack(value: number, t: number): void {
    for (let ch = 0; ch < 3; ch++) {
      if (!(value & (2 << ch))) continue;
      if (!(value & 0x20)) this.latchCount(ch, t);
      if (!(value & 0x10) && !this.get(ch, C.StatusLatched)) {
        this.set(ch, C.StatusValue, this.status(ch, t));
        this.set(ch, C.StatusLatched, 1);
      }
    }
  }

  private status(ch: number, t: number): number {
    return (
      (this.out(ch, t) ? 0x80 : 0) |
      (this.nullCount(ch, t) ? 0x40 : 0) |
      (this.get(ch, C.Rw) << 4) |
      (this.get(ch, C.Mode) << 1) |
      this.get(ch, C.Bcd)
    );
  }

  private writeCount(ch: number, byte: number, t: number): void {
    const rw = this.get(ch, C.Rw);
    if (rw === 3 && !this.get(ch, C.WriteMsb)) {
      this.set(ch, C.LowByte, byte);
      this.set(ch, C.WriteMsb, 1);
      this.set(ch, C.Null, NullState.Pending);
      if (effectiveMode(this.get(ch, C.Mode)) === 0) {
        // Mode 0: the first byte stops counting and sets OUT low at once.
        this.set(ch, C.Frozen, this.count(ch, t));
        this.set(ch, C.Phase, Phase.Idle);
        this.set(ch, C.Out, 0);
        this.set(ch, C.Switch, 0);
      }
      return;
    }
    let cr: number;
    if (rw === 3) {
      cr = this.get(ch, C.LowByte) | (byte << 8);
      this.set(ch, C.WriteMsb, 0);
    } else cr = rw === 1 ? byte : byte << 8;
    this.set(ch, C.Cr, cr);
    this.loadCount(ch, t);
  }

  /** A complete count is in the count register: what happens to it depends on the mode. */
  private loadCount(ch: number, t: number): void {
    this.set(ch, C.HaveCount, 1);
    const mode = effectiveMode(this.get(ch, C.Mode));
    const phase = this.get(ch, C.Phase);
    const loaded = phase !== Phase.Idle && t >= this.anchor(ch);
    if (mode === 1 || mode === 5) {
      // Loaded by the next trigger; the one-shot or strobe under way is not disturbed.
      this.set(ch, C.Null, NullState.Pending);
      return;
    }
    if ((mode === 2 || mode === 3) && loaded) {
      if (phase === Phase.Held) {
        this.set(ch, C.Null, NullState.Pending); // loaded by the gate's rising edge
      } else if (!this.get(ch, C.Switch)) {
        // Counting: the new count is loaded at the end of the current period (mode 3: half-period).
        const s = this.segment(ch);
        const n = countOf(s);
        const e = t - s.a;
        let at: number;
        let toLow = 0;
        if (mode === 2) at = s.a + (Math.floor(e / n) + 1) * n;
        else {
          const p = (e + s.off) % n;
          const h = highHalf(n);
          if (p < h) {
            at = t + h - p; // the high half ends: OUT goes low and the new count starts low
            toLow = 1;
          } else at = t + n - p;
        }
        this.set(ch, C.Switch, 1);
        this.setTick(ch, C.SwitchLo, at);
        this.set(ch, C.SwitchToLow, toLow);
        this.set(ch, C.SwitchCount, this.crValue(ch));
        this.setNull(ch, at);
      } else {
        this.set(ch, C.SwitchCount, this.crValue(ch)); // the latest count is the one loaded
        this.setNull(ch, this.getTick(ch, C.SwitchLo));
      }
      return;
    }
    // Modes 0 and 4, or nothing loaded yet: the count is loaded on the next CLK pulse.
    this.set(ch, C.Frozen, this.count(ch, t));
    this.setTick(ch, C.AnchorLo, t + 1);
    this.set(ch, C.Count, this.crValue(ch));
    this.set(ch, C.Offset, 0);
    this.set(ch, C.Switch, 0);
    this.set(ch, C.Out, mode === 0 ? 0 : 1);
    this.set(ch, C.Armed, 1);
    this.set(ch, C.Phase, this.get(ch, C.Gate) ? Phase.Run : Phase.Held);
    this.setNull(ch, t + 1);
  }

  /** GATE of a counter changes (only channel 2's can: port 0x61 bit 0). */
  private setGate(ch: number, level: number, t: number): void {
    level = level ? 1 : 0;
    if (this.get(ch, C.Gate) === level) return;
    this.set(ch, C.Gate, level);
    const mode = effectiveMode(this.get(ch, C.Mode));
    const phase = this.get(ch, C.Phase);
    if (level === 0) {
      // Modes 0, 2, 3, 4 stop counting; 2 and 3 set OUT high at once. Modes 1 and 5 only see edges.
      if (phase !== Phase.Run || mode === 1 || mode === 5) return;
      const out = this.out(ch, t);
      if (t >= this.anchor(ch)) {
        if (mode === 4 && t - this.anchor(ch) >= countOf(this.segment(ch))) this.set(ch, C.Armed, 0);
        this.set(ch, C.Count, this.count(ch, t));
        this.setTick(ch, C.AnchorLo, t);
        this.set(ch, C.Offset, 0);
      }
      if (this.get(ch, C.Switch)) {
        this.set(ch, C.Switch, 0);
        this.set(ch, C.Null, NullState.Pending); // the new count waits for the rising edge
      }
      this.set(ch, C.Out, mode === 0 ? (out ? 1 : 0) : 1);
      this.set(ch, C.Phase, Phase.Held);
      return;
    }
    if (mode === 0 || mode === 4) {
      // Counting resumes from where it stopped (a load still pending happens at its pulse).
      if (phase !== Phase.Held) return;
      if (t >= this.anchor(ch)) this.setTick(ch, C.AnchorLo, t);
      this.set(ch, C.Phase, Phase.Run);
      return;
    }
    // Modes 2 and 3 restart, modes 1 and 5 are triggered: the count register is loaded on the next pulse.
    if (!this.get(ch, C.HaveCount)) return;
    this.set(ch, C.Frozen, this.count(ch, t));
    this.set(ch, C.Out, this.out(ch, t) ? 1 : 0);
    if (mode === 2 || mode === 3) this.set(ch, C.Out, 1);
    this.setTick(ch, C.AnchorLo, t + 1);
    this.set(ch, C.Count, this.crValue(ch));
    this.set(ch, C.Offset, 0);
    this.set(ch, C.Switch, 0);
    this.set(ch, C.Armed, 1);
    this.set(ch, C.Phase, Phase.Run);
    if (this.nullCount(ch, t)) this.setNull(ch, t + 1); // a count still waiting is loaded now
  }

  // ---- The counter at a pulse ----

  /** The running counter's first segment (before any pending switch). */
  private segment(ch: number): Segment {
    return {
      mode: effectiveMode(this.get(ch, C.Mode)),
      a: this.anchor(ch),
      c: this.get(ch, C.Count),
      off: this.get(ch, C.Offset),
      pre: this.get(ch, C.Out) !== 0,
      armed: this.get(ch, C.Armed) !== 0,
      m: this.get(ch, C.Bcd) ? 10000 : 65536,
    };
  }

  /** The segment after a pending switch, which starts at the switch pulse. */
  private switched(ch: number, first: Segment): Segment {
    const at = this.getTick(ch, C.SwitchLo);
    const c = this.get(ch, C.SwitchCount);
    const n = c === 0 ? first.m : c;
    return { ...first, a: at, c, off: this.get(ch, C.SwitchToLow) ? highHalf(n) : 0, pre: segmentOut(first, at - 1) };
  }

  /** The segment in force at pulse t (the phase is Run). */
  private segmentAt(ch: number, t: number): Segment {
    const s = this.segment(ch);
    return this.get(ch, C.Switch) && t >= this.getTick(ch, C.SwitchLo) ? this.switched(ch, s) : s;
  }

  /** The counting element at pulse t, as a value (not yet reduced to 16 bits or BCD). */
  private count(ch: number, t: number): number {
    const phase = this.get(ch, C.Phase);
    if (phase === Phase.Idle || t < this.anchor(ch)) return this.get(ch, C.Frozen);
    if (phase === Phase.Held) return this.get(ch, C.Count);
    return segmentCount(this.segmentAt(ch, t), t);
  }

  /** What a read of the counter returns at pulse t: 16 bits, or four BCD digits. */
  private output(ch: number, t: number): number {
    const v = this.count(ch, t);
    return this.get(ch, C.Bcd) ? toBcd(mod(v, 10000)) : mod(v, 65536);
  }

  private out(ch: number, t: number): boolean {
    if (this.get(ch, C.Phase) !== Phase.Run) return this.get(ch, C.Out) !== 0;
    return segmentOut(this.segmentAt(ch, t), t);
  }

  /** The first pulse after `after` at which OUT rises (or falls), or Infinity. */
  private channelEdge(ch: number, after: number, rising: boolean): number {
    if (this.get(ch, C.Phase) !== Phase.Run) return Infinity;
    const first = this.segment(ch);
    if (!this.get(ch, C.Switch)) return segmentEdge(first, after, rising);
    const at = this.getTick(ch, C.SwitchLo);
    const k = segmentEdge(first, after, rising);
    if (k < at) return k;
    return segmentEdge(this.switched(ch, first), Math.max(after, at - 1), rising);
  }

  private nullCount(ch: number, t: number): boolean {
    const n = this.get(ch, C.Null);
    return n === NullState.Pending || (n === NullState.UntilTick && t < this.getTick(ch, C.NullLo));
  }

  /** Makes a pending switch the counter's only segment once its pulse has come. */
  private commitSwitch(ch: number, t: number): void {
    if (this.get(ch, C.Phase) !== Phase.Run || !this.get(ch, C.Switch)) return;
    const at = this.getTick(ch, C.SwitchLo);
    if (t < at) return;
    const s = this.switched(ch, this.segment(ch));
    this.setTick(ch, C.AnchorLo, s.a);
    this.set(ch, C.Count, s.c);
    this.set(ch, C.Offset, s.off);
    this.set(ch, C.Out, s.pre ? 1 : 0);
    this.set(ch, C.Switch, 0);
  }

  /** Passes channel 0's OUT to IRQ 0 up to pulse t: a rising edge since the last time, and the level now. */
  private syncIrq(t: number): void {
    const seen = this.seen();
    const level = this.out(0, t);
    const was = this.state[W.IrqLevel] !== 0;
    if (t > seen && this.channelEdge(0, seen, true) <= t) {
      if (was) this.irq0.lower();
      this.irq0.raise();
      if (!level) this.irq0.lower();
    } else if (level !== was) {
      if (level) this.irq0.raise();
      else this.irq0.lower();
    }
    this.state[W.IrqLevel] = level ? 1 : 0;
    this.state[W.SeenLo] = mod(t, TWO32) | 0;
    this.state[W.SeenHi] = Math.floor(t / TWO32);
  }

  // ---- Words ----

  private get(ch: number, slot: C): number {
    return this.state[W.Channels + ch * C.Words + slot]!;
  }

  private set(ch: number, slot: C, value: number): void {
    this.state[W.Channels + ch * C.Words + slot] = value;
  }

  private getTick(ch: number, lo: C): number {
    return this.get(ch, lo + 1) * TWO32 + (this.get(ch, lo) >>> 0);
  }

  private setTick(ch: number, lo: C, tick: number): void {
    this.set(ch, lo, mod(tick, TWO32) | 0);
    this.set(ch, lo + 1, Math.floor(tick / TWO32));
  }

  private anchor(ch: number): number {
    return this.getTick(ch, C.AnchorLo);
  }

  private setNull(ch: number, tick: number): void {
    this.set(ch, C.Null, NullState.UntilTick);
    this.setTick(ch, C.NullLo, tick);
  }

  /** The count register as a value: 0 stays 0 (the modulus), BCD digits are decoded. */
  private crValue(ch: number): number {
    const cr = this.get(ch, C.Cr);
    return this.get(ch, C.Bcd) ? fromBcd(cr) : cr;
  }

  private seen(): number {
    return this.state[W.SeenHi]! * TWO32 + (this.state[W.SeenLo]! >>> 0);
  }
}
