/**
 * Test support for the x87 FPU: a fake FpuHost over a Uint8Array, a seeded random source, double and
 * 80-bit encodings written independently of the FPU, and the native oracle's case/result records
 * (layout in fpu-native/harness.c).
 */
import type { FpuHost } from '../../../hypervisor/x86/fpu-host.js';

export class GuestFault extends Error {
  constructor(readonly vector: number) {
    super(`guest exception ${vector}`);
  }
}

export class FakeHost implements FpuHost {
  /** 1 MiB: real-mode linear addresses fit. */
  readonly mem = new Uint8Array(0x100000);
  private readonly view = new DataView(this.mem.buffer);
  flags = 2;
  ax = 0xaaaa;
  numericError = false;
  readMem8 = (a: number): number => this.view.getUint8(a);
  readMem16 = (a: number): number => this.view.getUint16(a, true);
  readMem32 = (a: number): number => this.view.getInt32(a, true);
  writeMem8 = (a: number, v: number): void => this.view.setUint8(a, v & 0xff);
  writeMem16 = (a: number, v: number): void => this.view.setUint16(a, v & 0xffff, true);
  writeMem32 = (a: number, v: number): void => this.view.setInt32(a, v | 0, true);
  setAx = (v: number): void => void (this.ax = v & 0xffff);
  eflags = (): number => this.flags;
  setCompareFlags = (zf: number, pf: number, cf: number): void => {
    this.flags = (this.flags & ~0x8d5) | (zf << 6) | (pf << 2) | cf;
  };
  numericErrorNative = (): boolean => this.numericError;
  raise = (vector: number): never => {
    throw new GuestFault(vector);
  };
}

/** mulberry32: small, seeded, good enough to spread operands. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A double by its words, so NaN payloads survive. */
export interface D {
  hi: number;
  lo: number;
}
const f64 = new Float64Array(1);
const w = new Uint32Array(f64.buffer);
export const dbl = (x: number): D => {
  f64[0] = x;
  return { hi: w[1]!, lo: w[0]! };
};
export const num = (d: D): number => {
  w[0] = d.lo;
  w[1] = d.hi;
  return f64[0]!;
};
export const isNaND = (d: D): boolean => (d.hi & 0x7ff00000) === 0x7ff00000 && ((d.hi & 0xfffff) | d.lo) !== 0;

/** 80-bit image of a double: [mantissa low, mantissa high, sign+exponent]. */
export type X80 = readonly [number, number, number];
export function to80(d: D): X80 {
  const sign = (d.hi >>> 31) << 15;
  const e = (d.hi >>> 20) & 0x7ff;
  const fh = d.hi & 0xfffff;
  const lo = d.lo;
  if (e === 0 && fh === 0 && lo === 0) return [0, 0, sign];
  if (e === 0x7ff) return [(lo << 11) >>> 0, (0x80000000 | (fh << 11) | (lo >>> 21)) >>> 0, sign | 0x7fff];
  if (e === 0) {
    // Denormal: shift the 52-bit fraction up to an explicit leading one.
    let m = (BigInt(fh) << 32n) | BigInt(lo);
    let exp = 1 - 1023;
    while ((m & (1n << 52n)) === 0n) {
      m <<= 1n;
      exp--;
    }
    const full = m << 11n;
    return [Number(full & 0xffffffffn), Number(full >> 32n), sign | (exp + 16383)];
  }
  return [(lo << 11) >>> 0, (0x80000000 | (fh << 11) | (lo >>> 21)) >>> 0, sign | (e - 1023 + 16383)];
}

/** The double an 80-bit value equals exactly, or null when no double does. */
export function exact80(x: X80): D | null {
  const [lo, hi, se] = x;
  const sign = (se & 0x8000) << 16;
  const exp = se & 0x7fff;
  if (exp === 0x7fff) {
    if ((hi & 0x80000000) === 0 || (lo & 0x7ff) !== 0) return null;
    return { hi: (sign | 0x7ff00000 | ((hi >>> 11) & 0xfffff)) >>> 0, lo: ((hi << 21) | (lo >>> 11)) >>> 0 };
  }
  if (hi === 0 && lo === 0) return exp === 0 ? { hi: sign >>> 0, lo: 0 } : null;
  if ((hi & 0x80000000) === 0) return null;
  const e = exp - 16383;
  if (e > 1023 || e < -1074) return null;
  const m = (BigInt(hi) << 32n) | BigInt(lo);
  if (e >= -1022) {
    if ((lo & 0x7ff) !== 0) return null;
    const frac = (m >> 11n) & ((1n << 52n) - 1n);
    return { hi: (sign | ((e + 1023) << 20) | Number(frac >> 32n)) >>> 0, lo: Number(frac & 0xffffffffn) };
  }
  const shift = BigInt(-1022 - e + 11); // denormal: keep the top bits that land on the 2^-1074 grid
  if ((m & ((1n << shift) - 1n)) !== 0n) return null;
  const frac = m >> shift;
  return { hi: (sign | Number(frac >> 32n)) >>> 0, lo: Number(frac & 0xffffffffn) };
}

/**
 * A finite, supported 80-bit value rounded to a double under a rounding control (0 nearest-even, 1 down,
 * 2 up, 3 towards zero); used for loads of values no double holds.
 */
export function round80(x: X80, rc = 0): number {
  const [lo, hi, se] = x;
  const negative = (se & 0x8000) !== 0;
  const exp = se & 0x7fff;
  const m = (BigInt(hi) << 32n) | BigInt(lo);
  if (m === 0n) return negative ? -0 : 0;
  const e2 = (exp === 0 ? -16382 : exp - 16383) - 63; // value = m * 2^e2
  // Keep 53 significant bits, or fewer on the denormal grid.
  const topExponent = e2 + m.toString(2).length - 1;
  const awayFromZero = rc === 2 ? !negative : rc === 1 ? negative : false;
  if (topExponent > 1023) return (rc === 0 || awayFromZero ? Infinity : Number.MAX_VALUE) * (negative ? -1 : 1);
  const lowest = Math.max(topExponent - 52, -1074);
  let q: bigint;
  const drop = lowest - e2;
  if (drop <= 0) q = m << BigInt(-drop);
  else {
    const s = BigInt(drop);
    q = m >> s;
    const rest = m - (q << s);
    const half = 1n << (s - 1n);
    if (rc === 0 ? rest > half || (rest === half && (q & 1n) === 1n) : rest !== 0n && awayFromZero) q++;
  }
  const v = Number(q) * 2 ** lowest;
  return negative ? -v : v;
}
export const nearest80 = (x: X80): number => round80(x, 0);

export const FLT_MIN = 2 ** -126;
export const FLT_MAX = 3.4028234663852886e38;
const DBL_MIN = 2 ** -1022;

export const SPECIAL_DOUBLES: readonly number[] = [
  0, -0, 1, -1, 2, -2, 0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 0.1, -0.1, 1 / 3, Math.PI, 10, 1e10, 1e300, -1e300, 1e-300,
  Number.MAX_VALUE, -Number.MAX_VALUE, DBL_MIN, -DBL_MIN, 5e-324, -5e-324, DBL_MIN - 5e-324, 2 ** -1070,
  Infinity, -Infinity, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, 2 ** -149, 2 ** -150, 2 ** -127, FLT_MIN * (1 - 2 ** -25),
  FLT_MIN * (1 - 2 ** -24), FLT_MAX * (1 + 2 ** -25), 2 ** 128, 1 + 2 ** -24, 1 + 2 ** -23 + 2 ** -24, 1 - 2 ** -25,
  2 ** 15, 2 ** 15 - 0.5, -(2 ** 15) - 0.5, 32767.5, -32768.5, 2 ** 31, 2 ** 31 - 0.5, -(2 ** 31), -(2 ** 31) - 0.5,
  2 ** 31 - 1, 2 ** 63, -(2 ** 63), 2 ** 63 - 1024, -(2 ** 63) - 2048, 2 ** 52 + 0.5, 2 ** 52 - 0.5, 2 ** 53, 2 ** 53 + 2,
  1e18, -1e18, 1e18 - 128, 999999999999999900, 1 + 2 ** -52, 1 - 2 ** -53, 4503599627370497.5, 0.49999999999999994,
];
export const NAN_DOUBLES: readonly D[] = [
  { hi: 0x7ff80000, lo: 0 }, { hi: 0xfff80000, lo: 0 }, { hi: 0x7ff80000, lo: 5 }, { hi: 0xfff80000, lo: 9 },
  { hi: 0x7ffc0000, lo: 0x12345678 }, { hi: 0x7ff00000, lo: 1 }, { hi: 0xfff00000, lo: 7 }, { hi: 0x7ff7ffff, lo: 0xffffffff },
  { hi: 0x7ff40000, lo: 0 }, { hi: 0xfffabcde, lo: 0xf0f0f0f0 },
];

/** A double operand: specials, NaNs, moderate random values, wide random values, integers, ties. */
export function randomDouble(rng: Rng, nanRate = 0.05): D {
  const k = rng.next();
  if (k < nanRate) return rng.pick(NAN_DOUBLES);
  if (k < 0.25) return dbl(rng.pick(SPECIAL_DOUBLES));
  const sign = rng.chance(0.5) ? -1 : 1;
  if (k < 0.7) return dbl(sign * (1 + rng.next()) * 2 ** (rng.int(121) - 60));
  if (k < 0.8) return dbl(sign * (1 + rng.next()) * 2 ** (rng.int(2046) - 1022));
  if (k < 0.9) return dbl(sign * rng.int(1 << rng.int(31)));
  return dbl(sign * (rng.int(1 << 20) + rng.pick([0.5, 0.25, 0.75])) * 2 ** (rng.int(40) - 20));
}

/** A float32 bit pattern: specials, NaNs, denormals, random. */
export function randomFloatBits(rng: Rng): number {
  const k = rng.next();
  const f32 = new Float32Array(1);
  const bits = new Uint32Array(f32.buffer);
  if (k < 0.05) return rng.pick([0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7fc0abcd, 0x7fbfffff]);
  if (k < 0.15) return rng.pick([0, 0x80000000, 0x7f800000, 0xff800000, 1, 0x807fffff, 0x00800000, 0x7f7fffff, 0x3f800000]);
  if (k < 0.25) return ((rng.chance(0.5) ? 0x80000000 : 0) | rng.int(0x800000)) >>> 0; // denormals
  if (k < 0.4) return rng.u32();
  f32[0] = (rng.chance(0.5) ? -1 : 1) * (1 + rng.next()) * 2 ** (rng.int(61) - 30);
  return bits[0]!;
}

// ---- native case records ----

export interface NativeCase {
  group: string;
  cw: number;
  sw: number;
  top: number;
  /** Image register slots ST(0)..ST(7) (80-bit), and which physical registers are empty. */
  slots: X80[];
  emptyMask: number;
  /** Override of the tag word written into the image (non-empty tags the FPU must recompute). */
  tags?: number;
  mem: Uint8Array;
  eflags: number;
  insns: [number, number, number][];
  /** Register comparison tolerance in double ulps (transcendentals); 0 means bit-exact. */
  ulps?: number;
  /** Absolute error of the x87's argument reduction allowed on top of `ulps` (large trig arguments). */
  argumentError?: number;
  /** The allowance is scaled by the derivative of tan. */
  tangent?: boolean;
  /** Status word bits not compared (documented differences only). */
  ignoreStatus?: number;
  /** Loads of values no double holds (m80, large m64int, BCD): compare with the nearest double of the native value. */
  nearest?: boolean;
  /** With `nearest`: round under the case's RC instead (FLD constants are rounded per RC). */
  nearestUnderRc?: boolean;
  /** Compare the FNSAVE pointer fields as well (only when no recording instruction ran). */
  pointers?: boolean;
}

export const IN_SIZE = 156;
export const OUT_SIZE = 148;

export function tagOf(x: X80, empty: boolean): number {
  if (empty) return 3;
  const [lo, hi, se] = x;
  const exp = se & 0x7fff;
  if (exp === 0 && hi === 0 && lo === 0) return 1;
  if (exp === 0x7fff || exp === 0 || (hi & 0x80000000) === 0) return 2;
  return 0;
}

export function encodeImage(c: NativeCase): Uint8Array {
  const b = new Uint8Array(108);
  const v = new DataView(b.buffer);
  v.setUint16(0, c.cw, true);
  v.setUint16(4, (c.sw & ~0x3800) | (c.top << 11), true);
  let tw = 0;
  for (let i = 0; i < 8; i++) {
    const p = (c.top + i) & 7;
    tw |= tagOf(c.slots[i]!, ((c.emptyMask >> p) & 1) !== 0) << (2 * p);
  }
  v.setUint16(8, c.tags ?? tw, true);
  for (let i = 0; i < 8; i++) {
    const [lo, hi, se] = c.slots[i]!;
    v.setUint32(28 + 10 * i, lo, true);
    v.setUint32(32 + 10 * i, hi, true);
    v.setUint16(36 + 10 * i, se, true);
  }
  return b;
}

export function encodeCase(c: NativeCase, out: Uint8Array, at: number): void {
  out.set(encodeImage(c), at);
  out.set(c.mem, at + 108);
  new DataView(out.buffer, out.byteOffset).setUint32(at + 140, c.eflags >>> 0, true);
  c.insns.forEach(([e, m, o], i) => {
    out[at + 144 + 3 * i] = e;
    out[at + 145 + 3 * i] = m;
    out[at + 146 + 3 * i] = o;
  });
}

export interface Outcome {
  image: Uint8Array;
  mem: Uint8Array;
  eflags: number;
  ax: number;
}

export function decodeOutcome(out: Uint8Array, at: number): Outcome {
  const v = new DataView(out.buffer, out.byteOffset);
  return {
    image: out.slice(at, at + 108),
    mem: out.slice(at + 108, at + 140),
    eflags: v.getUint32(at + 140, true),
    ax: v.getUint16(at + 144, true),
  };
}

export function slotOf(image: Uint8Array, i: number): X80 {
  const v = new DataView(image.buffer, image.byteOffset);
  return [v.getUint32(28 + 10 * i, true), v.getUint32(32 + 10 * i, true), v.getUint16(36 + 10 * i, true)];
}

/** Value of a finite 80-bit image as the nearest double (for tolerance comparisons). */
export function approx80(x: X80): number {
  const [lo, hi, se] = x;
  const exp = se & 0x7fff;
  const s = se & 0x8000 ? -1 : 1;
  if (exp === 0x7fff) return (hi & 0x7fffffff) !== 0 || lo !== 0 ? NaN : s * Infinity;
  return nearest80(x);
}

export const hex80 = (x: X80): string =>
  `${x[2].toString(16).padStart(4, '0')}:${x[1].toString(16).padStart(8, '0')}${x[0].toString(16).padStart(8, '0')}`;
