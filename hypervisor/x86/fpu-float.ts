/**
 * Double-precision helpers for the x87 FPU: bit access, exact power-of-two scaling, and the sign of a
 * rounding error (exact result minus the round-to-nearest double), which drives directed rounding, PE
 * and C1. Module-level scratch buffers keep every helper allocation-free.
 */

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

export const DBL_MIN = 2 ** -1022;
export const DBL_MAX = Number.MAX_VALUE;
/** Veltkamp's splitter for 53-bit doubles: 2^27 + 1. */
const SPLIT = 134217729;

/** A double from its high and low words. Do not use for NaNs that must keep their payload. */
export function fromBits(hi: number, lo: number): number {
  scratchBits[0] = lo;
  scratchBits[1] = hi;
  return scratch[0]!;
}

export function highWord(x: number): number {
  scratch[0] = x;
  return scratchBits[1]!;
}

/** 2^n, exact, for -1074 <= n <= 1023 (denormal powers included). */
export function pow2(n: number): number {
  if (n >= -1022) return fromBits((n + 1023) << 20, 0);
  if (n >= -1042) return fromBits(1 << (n + 1042), 0);
  return n >= -1074 ? fromBits(0, 1 << (n + 1074)) : 0;
}

/**
 * x * 2^n in steps that never lose a bit while the result moves towards the normal range; used only to
 * normalise operands and to undo that on results, so every step is exact.
 */
export function scale(x: number, n: number): number {
  while (n > 1023) {
    x *= 2 ** 1023;
    n -= 1023;
  }
  while (n < -1022) {
    x *= DBL_MIN;
    n += 1022;
  }
  return x * pow2(n);
}

/** The unbiased exponent of a finite non-zero x as the x87 sees it (denormal doubles are normal there). */
export function exponentOf(x: number): number {
  scratch[0] = x;
  const e = (scratchBits[1]! >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  scratch[0] = x * 2 ** 64;
  return ((scratchBits[1]! >>> 20) & 0x7ff) - 1023 - 64;
}

/** The next double towards +infinity (x finite, or -infinity). */
export function nextUp(x: number): number {
  if (x === 0) return 5e-324;
  scratch[0] = x;
  let lo = scratchBits[0]!;
  let hi = scratchBits[1]!;
  if (x > 0) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi++;
  } else {
    if (lo === 0) hi--;
    lo = (lo - 1) >>> 0;
  }
  scratchBits[0] = lo;
  scratchBits[1] = hi;
  return scratch[0]!;
}

export const nextDown = (x: number): number => -nextUp(-x);

/** The error of p = fl(a * b): a * b - p exactly, for |a|, |b| within 2^±450 (Dekker's product). */
export function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

const SAFE_LOW = 2 ** -450;
const SAFE_HIGH = 2 ** 450;
const inSafeRange = (x: number): boolean => {
  const m = Math.abs(x);
  return m >= SAFE_LOW && m <= SAFE_HIGH;
};

/** Sign of a * b - r, r the nearest double to the product (finite non-zero a, b; r finite). */
export function productErrorSign(a: number, b: number, r: number): number {
  if (inSafeRange(a) && inSafeRange(b)) return Math.sign(productError(a, b, r));
  // Near the ends of the range: normalise both operands to [1, 2), where Dekker is exact, and bring r
  // to the same scale (exact, since r sits within a factor of two of the product or is zero).
  const ea = exponentOf(a);
  const eb = exponentOf(b);
  const sa = scale(a, -ea);
  const sb = scale(b, -eb);
  const rs = scale(r, -(ea + eb));
  const p = sa * sb;
  return Math.sign(p - rs + productError(sa, sb, p));
}

/** Sign of a / b - r, r the nearest double to the quotient (finite non-zero a, b; r finite). */
export function quotientErrorSign(a: number, b: number, r: number): number {
  if (inSafeRange(a) && inSafeRange(b)) {
    const p = r * b;
    return Math.sign(a - p - productError(r, b, p)) * Math.sign(b);
  }
  const ea = exponentOf(a);
  const eb = exponentOf(b);
  const sa = scale(a, -ea);
  const sb = scale(b, -eb);
  const rs = scale(r, eb - ea);
  const p = rs * sb;
  return Math.sign(sa - p - productError(rs, sb, p)) * Math.sign(sb);
}

/** Sign of sqrt(x) - r, r the nearest double to the root (finite x > 0). */
export function sqrtErrorSign(x: number, r: number): number {
  let k = 0;
  if (x < SAFE_LOW || x > SAFE_HIGH) k = -2 * Math.floor(exponentOf(x) / 2);
  const xs = scale(x, k);
  const rs = scale(r, k / 2);
  const p = rs * rs;
  return Math.sign(xs - p - productError(rs, rs, p));
}

/** Round to an integer: 0 nearest-even, 1 down, 2 up, 3 towards zero; keeps the sign of a zero. */
export function roundToInteger(x: number, rc: number): number {
  if (!(Math.abs(x) < 2 ** 52)) return x;
  let r: number;
  if (rc === 0) {
    const f = Math.floor(x);
    const d = x - f;
    r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  } else {
    r = rc === 1 ? Math.floor(x) : rc === 2 ? Math.ceil(x) : Math.trunc(x);
  }
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}
