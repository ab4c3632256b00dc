/**
 * The x87 FPU against the host processor: fpu-native/harness.c runs the same instruction sequences
 * natively (32-bit static binary, no libc) on the same FRSTOR image, memory operand and EFLAGS, and both
 * sides' FNSAVE images, memory, EFLAGS and AX are compared. Arithmetic cases run with precision control
 * 53-bit, so native results are rounded to double like ours; a case whose native result needs the
 * extended exponent range (beyond what a double holds) is counted and skipped. Transcendental results are
 * compared within a stated ulp tolerance. Then unit tests for what the oracle cannot show.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Fpu } from '../../hypervisor/x86/fpu.js';
import type { X87Factory } from '../../hypervisor/x86/x87.js';
import {
  type D,
  type NativeCase,
  type Outcome,
  type X80,
  FakeHost,
  GuestFault,
  IN_SIZE,
  NAN_DOUBLES,
  OUT_SIZE,
  Rng,
  SPECIAL_DOUBLES,
  approx80,
  dbl,
  decodeOutcome,
  encodeCase,
  encodeImage,
  exact80,
  hex80,
  isNaND,
  round80,
  num,
  randomDouble,
  randomFloatBits,
  slotOf,
  tagOf,
  to80,
} from './fpu-native/cases.js';

const HARNESS = join(dirname(fileURLToPath(import.meta.url)), 'fpu-native', 'harness.c');

function buildHarness(): { path: string } | { reason: string } {
  if (process.arch !== 'x64' && process.arch !== 'ia32') return { reason: `host is ${process.arch}, not x86` };
  const version = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return { reason: 'gcc is not installed' };
  const out = join(mkdtempSync(join(tmpdir(), 'pvrt-fpu-')), 'harness');
  const flags = ['-m32', '-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-fno-stack-protector', '-O2'];
  const build = spawnSync('gcc', [...flags, '-o', out, HARNESS], { encoding: 'utf8' });
  if (build.status !== 0) return { reason: `gcc -m32 cannot build the harness: ${build.stderr.trim().split('\n')[0]}` };
  return { path: out };
}

const harness = buildHarness();
if ('reason' in harness) console.warn(`\n*** SKIPPING the native x87 comparison: ${harness.reason} ***\n`);

// ---- our side: the same FRSTOR image, instructions and FNSAVE through a fake host ----

const IMAGE_AT = 0x100, MEM_AT = 0x200, OUT_AT = 0x300;
const host = new FakeHost();
const fpu = new Fpu(host);

function runOurs(c: NativeCase, pointerFields?: Uint8Array): Outcome {
  const image = encodeImage(c);
  if (pointerFields) image.set(pointerFields, 12);
  host.mem.set(image, IMAGE_AT);
  host.mem.set(c.mem, MEM_AT);
  host.flags = c.eflags;
  host.ax = 0xaaaa;
  fpu.reset();
  fpu.execute(0xdd, 0x20, IMAGE_AT, false, false, 0, 0);
  c.insns.forEach(([e, m, o], k) => fpu.execute(e, m, MEM_AT + o, false, false, 0x1000 + k, MEM_AT + o));
  fpu.execute(0xdd, 0x30, OUT_AT, false, false, 0, 0);
  return { image: host.mem.slice(OUT_AT, OUT_AT + 108), mem: host.mem.slice(MEM_AT, MEM_AT + 32), eflags: host.flags, ax: host.ax };
}

// ---- case generation ----

const FMASK = 0x3f;
interface Options {
  depth?: number;
  values?: D[];
  unmask?: boolean;
  pc?: number;
}

function baseCase(rng: Rng, group: string, insns: [number, number, number][], o: Options = {}): NativeCase {
  const top = rng.int(8);
  const depth = o.depth ?? (rng.chance(0.05) ? rng.int(2) : 2 + rng.int(7));
  const slots: X80[] = [];
  let emptyMask = 0xff;
  for (let i = 0; i < 8; i++) {
    const v = o.values?.[i] ?? randomDouble(rng);
    slots.push(to80(v));
    if (i < depth) emptyMask &= ~(1 << ((top + i) & 7));
  }
  let masks = FMASK;
  if (o.unmask && insns.length === 1 && rng.chance(0.25)) masks &= ~(1 << rng.int(6)) & ~(rng.chance(0.3) ? 1 << rng.int(6) : 0);
  const cw = ((o.pc ?? 2) << 8) | (rng.int(4) << 10) | (rng.chance(0.2) ? 0x1000 : 0) | 0x40 | masks;
  // Sticky flags only where masked, so nothing is pending before the instruction.
  const sw = (rng.u32() & 0x4700) | (rng.u32() & masks & FMASK) | (rng.chance(0.1) ? 0x40 : 0);
  const mem = new Uint8Array(32);
  for (let i = 0; i < 32; i++) mem[i] = rng.int(256);
  const eflags = 2 | (rng.u32() & 0x8d5);
  const c: NativeCase = { group, cw, sw, top, slots, emptyMask, mem, eflags, insns };
  if (rng.chance(0.1)) {
    // Wrong non-empty tags: FRSTOR must recompute them from the contents.
    let tags = 0;
    for (let p = 0; p < 8; p++) tags |= (((emptyMask >> p) & 1) !== 0 ? 3 : rng.int(3)) << (2 * p);
    c.tags = tags;
  }
  return c;
}

const putD = (mem: Uint8Array, at: number, d: D): void => {
  const v = new DataView(mem.buffer);
  v.setUint32(at, d.lo, true);
  v.setUint32(at + 4, d.hi, true);
};
const put32 = (mem: Uint8Array, at: number, x: number): void => new DataView(mem.buffer).setUint32(at, x >>> 0, true);
const put16 = (mem: Uint8Array, at: number, x: number): void => new DataView(mem.buffer).setUint16(at, x & 0xffff, true);
const putX = (mem: Uint8Array, at: number, x: X80): void => {
  put32(mem, at, x[0]);
  put32(mem, at + 4, x[1]);
  put16(mem, at + 8, x[2]);
};

const randomInt = (rng: Rng, bits: number): number => {
  const k = rng.next();
  if (k < 0.15) return rng.pick([0, 1, -1, 2 ** (bits - 1) - 1, -(2 ** (bits - 1))]);
  if (k < 0.6) return (rng.chance(0.5) ? -1 : 1) * rng.int(1 << Math.min(30, rng.int(bits)));
  return bits === 16 ? (rng.u32() << 16) >> 16 : rng.u32() | 0;
};
const randomInt64 = (rng: Rng): [number, number] => {
  const k = rng.next();
  if (k < 0.3) {
    const v = (rng.chance(0.5) ? -1 : 1) * Math.floor(rng.next() * 2 ** rng.int(54));
    const hi = Math.floor(v / 4294967296);
    return [(v - hi * 4294967296) >>> 0, hi >>> 0];
  }
  if (k < 0.4) return rng.pick<[number, number]>([[0, 0], [0xffffffff, 0xffffffff], [0, 0x80000000], [0xffffffff, 0x7fffffff], [1, 0x00200000]]);
  return [rng.u32(), rng.u32()];
};

const ARITH_REGS = [0, 1, 4, 5, 6, 7];

function arithmeticCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  for (let n = 0; n < 3000; n++) {
    const esc = rng.pick([0xd8, 0xdc, 0xde]);
    cases.push(baseCase(rng, 'arithmetic ST(i)', [[esc, 0xc0 | (rng.pick(ARITH_REGS) << 3) | rng.int(8), 0]], { unmask: true }));
  }
  const memForms: [string, number][] = [['m32fp', 0xd8], ['m64fp', 0xdc], ['m32int', 0xda], ['m16int', 0xde]];
  for (const [name, esc] of memForms) {
    for (let n = 0; n < 1500; n++) {
      const c = baseCase(rng, `arithmetic ${name}`, [[esc, rng.pick(ARITH_REGS) << 3, 0]], { unmask: true });
      if (esc === 0xd8) put32(c.mem, 0, randomFloatBits(rng));
      else if (esc === 0xdc) putD(c.mem, 0, randomDouble(rng));
      else if (esc === 0xda) put32(c.mem, 0, randomInt(rng, 32));
      else put16(c.mem, 0, randomInt(rng, 16));
      cases.push(c);
    }
  }
  return cases;
}

function compareCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  const regForms = [0xd8d0, 0xd8d8, 0xdcd0, 0xdcd8, 0xded0, 0xdde0, 0xdde8, 0xdbe8, 0xdbf0, 0xdfe8, 0xdff0];
  const fixed = [0xded9, 0xdae9, 0xd9e4, 0xd9e5];
  for (let n = 0; n < 3000; n++) {
    const k = rng.int(4);
    let insn: [number, number, number];
    let c: NativeCase;
    // Equal operands are common in compares: sometimes ST(1) copies ST(0).
    const values = rng.chance(0.2) ? (() => { const v = randomDouble(rng, 0.15); return [v, v]; })() : undefined;
    if (k < 2) {
      const form = rng.pick(regForms);
      insn = [form >> 8, (form & 0xff) | rng.int(8), 0];
      c = baseCase(rng, 'compare ST(i)', [insn], { unmask: true, values: values ?? [randomDouble(rng, 0.15)] });
    } else if (k === 2) {
      const form = rng.pick(fixed);
      c = baseCase(rng, 'compare FCOMPP/FUCOMPP/FTST/FXAM', [[form >> 8, form & 0xff, 0]], { unmask: true, values, depth: rng.chance(0.1) ? rng.int(2) : undefined });
    } else {
      const esc = rng.pick([0xd8, 0xdc, 0xda, 0xde]);
      c = baseCase(rng, 'compare memory', [[esc, (2 + rng.int(2)) << 3, 0]], { unmask: true, values: [randomDouble(rng, 0.15)] });
      if (esc === 0xd8) put32(c.mem, 0, randomFloatBits(rng));
      else if (esc === 0xdc) putD(c.mem, 0, rng.chance(0.3) ? { ...dbl(num(slotToD(c.slots[0]!))) } : randomDouble(rng, 0.15));
      else if (esc === 0xda) put32(c.mem, 0, randomInt(rng, 32));
      else put16(c.mem, 0, randomInt(rng, 16));
    }
    cases.push(c);
  }
  return cases;
}

const slotToD = (x: X80): D => exact80(x) ?? dbl(0);

function loadCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  for (let n = 0; n < 2500; n++) {
    const k = rng.int(9);
    const full = rng.chance(0.08);
    const o: Options = { unmask: true, depth: full ? 8 : rng.int(7) };
    let c: NativeCase;
    if (k === 0) {
      c = baseCase(rng, 'load m32fp', [[0xd9, 0x00, 0]], o);
      put32(c.mem, 0, randomFloatBits(rng));
    } else if (k === 1) {
      c = baseCase(rng, 'load m64fp', [[0xdd, 0x00, 0]], o);
      putD(c.mem, 0, randomDouble(rng, 0.15));
    } else if (k === 2) {
      c = baseCase(rng, 'load m80fp (double values)', [[0xdb, 0x28, 0]], o);
      putX(c.mem, 0, to80(randomDouble(rng, 0.15)));
    } else if (k === 3) {
      c = baseCase(rng, 'load ST(i)', [[0xd9, 0xc0 | rng.int(8), 0]], o);
    } else if (k === 4) {
      c = baseCase(rng, 'load m16int/m32int', [[rng.chance(0.5) ? 0xdf : 0xdb, 0x00, 0]], o);
      if (c.insns[0]![0] === 0xdf) put16(c.mem, 0, randomInt(rng, 16));
      else put32(c.mem, 0, randomInt(rng, 32));
    } else if (k === 5) {
      c = baseCase(rng, 'load m64int', [[0xdf, 0x28, 0]], o);
      c.nearest = true;
      const [lo, hi] = randomInt64(rng);
      put32(c.mem, 0, lo);
      put32(c.mem, 4, hi);
    } else if (k === 6) {
      c = baseCase(rng, 'load BCD', [[0xdf, 0x20, 0]], o);
      c.nearest = true;
      const digits = rng.int(19);
      for (let i = 0; i < 9; i++) c.mem[i] = i * 2 < digits ? rng.int(10) * (i * 2 + 1 < digits ? 16 : 0) + rng.int(10) : 0;
      c.mem[9] = rng.chance(0.5) ? 0x80 : 0;
    } else {
      c = baseCase(rng, 'load constants', [[0xd9, 0xe8 + rng.int(7), 0]], o);
      // The x87 rounds its 66-bit constants to 64 bits under RC; rounding those to 53 bits under the same
      // RC gives the double we load (no 64-bit value is a 53-bit tie).
      c.nearest = c.nearestUnderRc = true;
    }
    cases.push(c);
  }
  return cases;
}

function m80Cases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  for (let n = 0; n < 1200; n++) {
    const c = baseCase(rng, 'load m80fp (beyond double)', [[0xdb, 0x28, 0]], { depth: rng.int(7) });
    c.nearest = true;
    const k = rng.int(6);
    let exp: number;
    if (k === 0) exp = rng.int(0x8000); // anything
    else if (k === 1) exp = 16383 + 1000 + rng.int(60); // around the top of the double range
    else if (k === 2) exp = 16383 - 1022 - rng.int(70); // the double's denormal range
    else if (k === 3) exp = rng.pick([0, 0x7fff]);
    else exp = 16383 + rng.int(200) - 100;
    let hi = rng.u32();
    let lo = rng.u32();
    if (rng.chance(0.2)) lo = (lo & ~0xfff) | rng.pick([0x400, 0x800, 0xc00, 0x3ff, 0x401]); // ties and near-ties
    if (exp !== 0 && rng.chance(0.9)) hi |= 0x80000000;
    if (exp === 0x7fff && rng.chance(0.3)) lo &= 0x7ff; // NaN payload only in the lost bits
    if (exp === 0x7fff && rng.chance(0.2)) {
      hi = 0x80000000;
      lo = 0;
    }
    putX(c.mem, 0, [lo >>> 0, hi >>> 0, (rng.chance(0.5) ? 0x8000 : 0) | exp]);
    cases.push(c);
  }
  return cases;
}

function storeCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  const forms: [string, number, number][] = [
    ['store m32fp', 0xd9, 0x10], ['store m32fp', 0xd9, 0x18], ['store m64fp', 0xdd, 0x10], ['store m64fp', 0xdd, 0x18],
    ['store m80fp', 0xdb, 0x38], ['store m16int', 0xdf, 0x10], ['store m16int', 0xdf, 0x18], ['store m32int', 0xdb, 0x10],
    ['store m32int', 0xdb, 0x18], ['store m64int', 0xdf, 0x38], ['store BCD', 0xdf, 0x30],
    ['store ST(i)', 0xdd, 0xd0], ['store ST(i)', 0xdd, 0xd8], ['store ST(i)', 0xd9, 0xd8], ['store ST(i)', 0xdf, 0xd0], ['store ST(i)', 0xdf, 0xd8],
  ];
  for (let n = 0; n < 4000; n++) {
    const [group, esc, modrm] = rng.pick(forms);
    const rm = modrm >= 0xc0 ? rng.int(8) : 0;
    let v = randomDouble(rng, 0.08);
    // Integer and BCD stores need values near their ranges and rounding boundaries.
    if (group.includes('int') || group.includes('BCD')) {
      const limit = group.includes('16') ? 2 ** 15 : group.includes('32') ? 2 ** 31 : group.includes('64') ? 2 ** 63 : 1e18;
      if (rng.chance(0.6)) v = dbl((rng.chance(0.5) ? -1 : 1) * (rng.chance(0.3) ? limit + rng.pick([-1.5, -1, -0.5, 0, 0.5, -2048, 2048]) : rng.next() * limit * 1.01));
      if (rng.chance(0.2)) v = dbl((rng.chance(0.5) ? -1 : 1) * (rng.int(100) + rng.pick([0.5, 0.25, 0.75, 0.4999999999999999])));
    }
    // FSTP1 (D9 D8+i) of an empty ST(0) copies whatever the processor holds internally: not comparable.
    const depth = esc === 0xd9 ? 1 + rng.int(8) : rng.chance(0.05) ? 0 : undefined;
    cases.push(baseCase(rng, group, [[esc, modrm | rm, 0]], { unmask: true, values: [v], depth }));
  }
  return cases;
}

function unaryCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  const forms: [string, number, number][] = [
    ['FCHS/FABS', 0xd9, 0xe0], ['FCHS/FABS', 0xd9, 0xe1], ['FSQRT', 0xd9, 0xfa], ['FRNDINT', 0xd9, 0xfc],
    ['FSCALE', 0xd9, 0xfd], ['FXTRACT', 0xd9, 0xf4], ['FPREM/FPREM1', 0xd9, 0xf8], ['FPREM/FPREM1', 0xd9, 0xf5],
    ['FDECSTP/FINCSTP/FNOP', 0xd9, 0xf6], ['FDECSTP/FINCSTP/FNOP', 0xd9, 0xf7], ['FDECSTP/FINCSTP/FNOP', 0xd9, 0xd0],
  ];
  const rmForms: [string, number, number][] = [
    ['FXCH', 0xd9, 0xc8], ['FXCH', 0xdd, 0xc8], ['FXCH', 0xdf, 0xc8], ['FFREE/FFREEP', 0xdd, 0xc0], ['FFREE/FFREEP', 0xdf, 0xc0],
    ['FCMOVcc', 0xda, 0xc0], ['FCMOVcc', 0xda, 0xc8], ['FCMOVcc', 0xda, 0xd0], ['FCMOVcc', 0xda, 0xd8],
    ['FCMOVcc', 0xdb, 0xc0], ['FCMOVcc', 0xdb, 0xc8], ['FCMOVcc', 0xdb, 0xd0], ['FCMOVcc', 0xdb, 0xd8],
  ];
  for (let n = 0; n < 4500; n++) {
    const useRm = rng.chance(0.35);
    const [group, esc, modrm] = useRm ? rng.pick(rmForms) : rng.pick(forms);
    const values: D[] = [randomDouble(rng), randomDouble(rng)];
    if (group === 'FSCALE' && rng.chance(0.7)) {
      values[0] = dbl((rng.chance(0.5) ? -1 : 1) * (1 + rng.next()) * 2 ** (rng.int(200) - 100));
      values[1] = dbl((rng.chance(0.5) ? -1 : 1) * rng.next() * rng.pick([10, 100, 300, 900]));
    }
    if (group === 'FPREM/FPREM1' && rng.chance(0.6)) {
      // Exponent differences around and beyond 64 exercise the partial remainder.
      const b = (1 + rng.next()) * 2 ** (rng.int(40) - 20);
      values[0] = dbl((rng.chance(0.5) ? -1 : 1) * (1 + rng.next()) * 2 ** (rng.int(200) - 20) * (rng.chance(0.5) ? 1 : b));
      values[1] = dbl((rng.chance(0.5) ? -1 : 1) * b);
      if (rng.chance(0.2)) values[0] = dbl(num(values[1]!) * rng.int(40) * 0.5);
    }
    if (group === 'FRNDINT' && rng.chance(0.5)) values[0] = dbl((rng.chance(0.5) ? -1 : 1) * (rng.int(8) + rng.pick([0.5, 0.25, 0.75, 0, 2 ** -30])));
    cases.push(baseCase(rng, group, [[esc, modrm | (useRm ? rng.int(8) : 0), 0]], { unmask: true, values }));
  }
  return cases;
}

function transcendentalCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  const sign = (): number => (rng.chance(0.5) ? -1 : 1);
  for (let n = 0; n < 3000; n++) {
    const k = rng.int(8);
    const special = rng.chance(0.08);
    // FYL2XP1 has no defined result outside |x| < 1 - sqrt(2)/2, so its specials stay inside.
    const pickSpecial = (): D =>
      rng.chance(0.3) ? rng.pick(NAN_DOUBLES) : dbl(rng.pick(k === 7 ? [0, -0, 0.25] : [0, -0, Infinity, -Infinity, 1, -1, 5, -3, 2 ** 63, -(2 ** 64)]));
    let x: D, y: D = randomDouble(rng, 0);
    let modrm: number;
    let group: string;
    if (k < 4) {
      modrm = [0xfe, 0xff, 0xfb, 0xf2][k]!;
      group = ['FSIN', 'FCOS', 'FSINCOS', 'FPTAN'][k]!;
      x = dbl(sign() * (1 + rng.next()) * 2 ** (rng.int(36) - 30));
    } else if (k === 4) {
      modrm = 0xf3;
      group = 'FPATAN';
      x = dbl(sign() * (1 + rng.next()) * 2 ** (rng.int(40) - 20));
      y = dbl(sign() * (1 + rng.next()) * 2 ** (rng.int(40) - 20));
    } else if (k === 5) {
      modrm = 0xf0;
      group = 'F2XM1';
      x = dbl(sign() * rng.next() * (rng.chance(0.3) ? 2 ** -rng.int(40) : 1));
    } else if (k === 6) {
      modrm = 0xf1;
      group = 'FYL2X';
      x = dbl((1 + rng.next()) * 2 ** (rng.int(200) - 100));
      y = dbl(sign() * (1 + rng.next()) * 2 ** (rng.int(20) - 10));
    } else {
      modrm = 0xf9;
      group = 'FYL2XP1';
      x = dbl(sign() * rng.next() * 0.29 * (rng.chance(0.3) ? 2 ** -rng.int(40) : 1));
      y = dbl(sign() * (1 + rng.next()) * 2 ** (rng.int(20) - 10));
    }
    if (special) {
      x = pickSpecial();
      if (rng.chance(0.5)) y = pickSpecial();
    }
    const c = baseCase(rng, group, [[0xd9, modrm, 0]], { values: [x, y], depth: rng.chance(0.05) ? rng.int(8) + 1 : 2 + rng.int(5) });
    c.ulps = TRANSCENDENTAL_ULPS;
    c.ignoreStatus = 0x200; // C1 reports the x87's own rounding direction
    cases.push(c);
  }
  return cases;
}

const TRANSCENDENTAL_ULPS = 2;

/** sin/cos/tan on larger arguments, where the x87's argument reduction matters. */
function largeTrigCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  for (let n = 0; n < 600; n++) {
    const k = rng.int(3);
    const x = (rng.chance(0.5) ? -1 : 1) * (1 + rng.next()) * 2 ** (6 + rng.int(ARGUMENT_EXPONENT_LIMIT - 5));
    const c = baseCase(rng, `FSIN/FCOS/FPTAN 64 <= |x| < 2^${ARGUMENT_EXPONENT_LIMIT + 1}`, [[0xd9, [0xfe, 0xff, 0xf2][k]!, 0]], { values: [dbl(x)], depth: 1 + rng.int(6) });
    // The x87 reduces with a finite pi: allow its reduction error |x| * 2^-62 (times 1 + tan^2 for FPTAN).
    c.ulps = TRANSCENDENTAL_ULPS;
    c.argumentError = Math.abs(x) * 2 ** -62;
    c.tangent = k === 2;
    c.ignoreStatus = 0x200;
    cases.push(c);
  }
  return cases;
}
const ARGUMENT_EXPONENT_LIMIT = 20;


function controlCases(rng: Rng): { cases: NativeCase[]; pointerFields: Map<NativeCase, Uint8Array> } {
  const cases: NativeCase[] = [];
  const pointerFields = new Map<NativeCase, Uint8Array>();
  for (let n = 0; n < 2000; n++) {
    const k = rng.int(10);
    let c: NativeCase;
    if (k === 0) {
      c = baseCase(rng, 'FLDCW', [[0xd9, 0x28, 0]]);
      put16(c.mem, 0, rng.u32());
    } else if (k === 1) c = baseCase(rng, 'FNSTCW/FNSTSW', [[0xd9, 0x38, 0]]);
    else if (k === 2) c = baseCase(rng, 'FNSTCW/FNSTSW', [[0xdd, 0x38, 0]]);
    else if (k === 3) c = baseCase(rng, 'FNSTCW/FNSTSW', [[0xdf, 0xe0, 0]]);
    else if (k === 4) c = baseCase(rng, 'FNCLEX/FNINIT/no-ops', [[0xdb, rng.pick([0xe0, 0xe1, 0xe2, 0xe3, 0xe4]), 0]]);
    else if (k < 7) c = baseCase(rng, 'FNSTENV', [[0xd9, 0x30, 0]], { unmask: true });
    else {
      c = baseCase(rng, 'FLDENV', [[0xd9, 0x20, 0]]);
      for (let i = 0; i < 28; i++) c.mem[i] = rng.int(256);
      // Keep the loaded exceptions masked or not as they come: FNSAVE does not wait.
    }
    if (rng.chance(0.5) && k !== 0) {
      // Unmasked sticky exceptions are pending: only non-waiting instructions may follow.
      const waits = k === 0 || k >= 7;
      if (!waits && (k !== 4 || c.insns[0]![1] !== 0xe1)) {
        c.cw &= ~(1 << rng.int(6));
        c.sw |= (FMASK & ~c.cw) | 0x80 | 0x8000;
      }
    }
    c.pointers = true;
    const fields = new Uint8Array(16);
    for (let i = 0; i < 16; i++) fields[i] = rng.int(256);
    pointerFields.set(c, fields);
    cases.push(c);
  }
  return { cases, pointerFields };
}

function sequenceCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  for (let n = 0; n < 1500; n++) {
    const k = rng.int(6);
    let c: NativeCase;
    if (k === 0) {
      // Within 2^53, where a double holds every integer (larger ones: 'load m64int').
      c = baseCase(rng, 'FILD/FISTP m64 round trip', [[0xdf, 0x28, 0], [0xdf, 0x38, 8]], { depth: rng.int(7) });
      const v = (rng.chance(0.5) ? -1 : 1) * Math.floor(rng.next() * 2 ** rng.int(54));
      const hi = Math.floor(v / 4294967296);
      put32(c.mem, 0, v - hi * 4294967296);
      put32(c.mem, 4, hi);
    } else if (k === 1) {
      // Up to 15 digits, below 2^53 (longer ones: 'load BCD').
      c = baseCase(rng, 'FBLD/FBSTP round trip', [[0xdf, 0x20, 0], [0xdf, 0x30, 16]], { depth: rng.int(7) });
      const digits = 1 + rng.int(15);
      for (let i = 0; i < 9; i++) c.mem[i] = 2 * i < digits ? (2 * i + 1 < digits ? rng.int(10) * 16 : 0) + rng.int(10) : 0;
      c.mem[9] = rng.chance(0.5) ? 0x80 : 0;
    } else if (k === 2) {
      c = baseCase(rng, 'FLD m64, FSTP m32', [[0xdd, 0x00, 0], [0xd9, 0x18, 8]], { depth: rng.int(7) });
      putD(c.mem, 0, randomDouble(rng));
    } else if (k === 3) {
      c = baseCase(rng, 'FLD m80, FSTP m80', [[0xdb, 0x28, 0], [0xdb, 0x38, 16]], { depth: rng.int(7) });
      putX(c.mem, 0, to80(randomDouble(rng, 0.2)));
    } else {
      // A little expression: (a op b) op c, with the operands loaded from memory.
      const op1 = rng.pick(ARITH_REGS);
      const op2 = rng.pick(ARITH_REGS);
      c = baseCase(rng, 'arithmetic chains', [[0xdd, 0x00, 0], [0xdc, op1 << 3, 8], [0xdc, op2 << 3, 16], [0xdd, 0x18, 24]], { depth: rng.int(6) });
      // Moderate magnitudes: no intermediate leaves the double range (where the x87 keeps extended values).
      for (const at of [0, 8, 16]) putD(c.mem, at, dbl((rng.chance(0.5) ? -1 : 1) * (1 + rng.next()) * 2 ** (rng.int(200) - 100)));
    }
    cases.push(c);
  }
  return cases;
}

function imageCases(rng: Rng): NativeCase[] {
  const cases: NativeCase[] = [];
  for (let n = 0; n < 500; n++) {
    const c = baseCase(rng, 'FRSTOR/FNSAVE', []);
    c.sw = rng.u32() & 0xc7ff;
    c.cw = rng.u32() & 0xffff;
    cases.push(c);
  }
  return cases;
}

// ---- comparison ----

const ulpOf = (x: number): number => {
  const a = Math.abs(x);
  if (a < 2 ** -1022) return 5e-324;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
};

/** The double our load must give for a native register that no double equals. */
function expectedLoad(x: X80, rc: number): D {
  const [lo, hi, se] = x;
  const exp = se & 0x7fff;
  const sign = (se & 0x8000) << 16;
  if (exp === 0x7fff && (hi & 0x80000000) !== 0 && ((hi & 0x7fffffff) !== 0 || lo !== 0)) {
    let fracHi = (hi >>> 11) & 0xfffff;
    let fracLo = ((hi << 21) | (lo >>> 11)) >>> 0;
    if (fracHi === 0 && fracLo === 0) fracLo = 1;
    return { hi: (sign | 0x7ff00000 | fracHi) >>> 0, lo: fracLo };
  }
  if ((exp === 0x7fff || exp !== 0) && (hi & 0x80000000) === 0) return { hi: 0xfff80000, lo: 0 };
  return dbl(round80(x, rc));
}

interface Tally {
  ran: number;
  /** Compared within the argument-reduction allowance rather than the ulp tolerance. */
  beyondUlps: number;
  failed: number;
  skipped: number;
  worstUlps: number;
}

function check(c: NativeCase, nat: Outcome, ours: Outcome, tally: Tally): string | null {
  const nv = new DataView(nat.image.buffer);
  const ov = new DataView(ours.image.buffer);
  const natTop = (nv.getUint16(4, true) >> 11) & 7;
  const natTags = nv.getUint16(8, true);
  let expectedTags = natTags;
  const problems: string[] = [];
  const expectedSlots: (D | X80)[] = [];
  for (let i = 0; i < 8; i++) {
    const x = slotOf(nat.image, i);
    const exact = exact80(x);
    if (exact) {
      expectedSlots.push(x);
      continue;
    }
    if (c.nearest) {
      const d = expectedLoad(x, c.nearestUnderRc ? (c.cw >> 10) & 3 : 0);
      expectedSlots.push(d);
      const p = (natTop + i) & 7;
      if (((natTags >> (2 * p)) & 3) !== 3) expectedTags = (expectedTags & ~(3 << (2 * p))) | (tagOf(to80(d), false) << (2 * p));
    } else if (c.ulps) expectedSlots.push(x);
    else {
      tally.skipped++;
      return null; // the native value needs the extended range or precision
    }
  }
  // Unmasked overflow/underflow into a register: the x87 delivers a bias-adjusted extended value, we the
  // masked response (documented).
  const nsw = nv.getUint16(4, true);
  if ((nsw & ~c.sw & ~c.cw & 0x18) !== 0 && c.insns.length === 1 && !c.group.startsWith('store')) {
    tally.skipped++;
    return null;
  }
  tally.ran++;
  const field = (name: string, a: number, b: number): void => {
    if (a !== b) problems.push(`${name}: native ${a.toString(16)} ours ${b.toString(16)}`);
  };
  field('control word', nv.getUint16(0, true), ov.getUint16(0, true));
  const swMask = ~(c.ignoreStatus ?? 0) & 0xffff;
  field('status word', nv.getUint16(4, true) & swMask, ov.getUint16(4, true) & swMask);
  field('tag word', expectedTags, ov.getUint16(8, true));
  if (c.pointers) for (let i = 12; i < 28; i++) field(`image byte ${i}`, nat.image[i]!, ours.image[i]!);
  for (let i = 0; i < 8; i++) {
    const want = expectedSlots[i]!;
    const got = slotOf(ours.image, i);
    const wantX: X80 = Array.isArray(want) ? (want as X80) : to80(want as D);
    if (wantX[0] === got[0] && wantX[1] === got[1] && wantX[2] === got[2]) continue;
    if (c.ulps) {
      const a = approx80(wantX);
      const b = approx80(got);
      if (Number.isFinite(a) && Number.isFinite(b) && Math.sign(a) === Math.sign(b)) {
        const u = Math.abs(a - b) / ulpOf(a);
        tally.worstUlps = Math.max(tally.worstUlps, u);
        if (u <= c.ulps) continue;
        if (c.argumentError && Math.abs(a - b) <= c.ulps * ulpOf(a) + c.argumentError * (c.tangent ? 1 + a * a : 1)) {
          tally.beyondUlps++;
          continue;
        }
      }
    }
    problems.push(`ST(${i}): native ${hex80(wantX)} ours ${hex80(got)}`);
  }
  for (let i = 0; i < 32; i++) field(`memory byte ${i}`, nat.mem[i]!, ours.mem[i]!);
  field('EFLAGS', nat.eflags & 0x8d5, ours.eflags & 0x8d5);
  field('AX', nat.ax, ours.ax);
  return problems.length ? problems.join('; ') : null;
}

function describeCase(c: NativeCase): string {
  const insns = c.insns.map(([e, m, o]) => `${e.toString(16)} ${m.toString(16)}${m < 0xc0 ? `@${o}` : ''}`).join(', ');
  const stack = c.slots.map((x, i) => `${((c.emptyMask >> ((c.top + i) & 7)) & 1) !== 0 ? '(empty)' : ''}${hex80(x)}`).slice(0, 4).join(' ');
  const mem = Array.from(c.mem.subarray(0, 12), (b) => b.toString(16).padStart(2, '0')).join('');
  return `[${c.group}] ${insns} cw=${c.cw.toString(16)} sw=${c.sw.toString(16)} top=${c.top} st=${stack} mem=${mem} eflags=${c.eflags.toString(16)}`;
}

const nativeIt = 'path' in harness ? it : it.skip;

describe('x87 FPU against the host processor', () => {
  nativeIt('matches native x87 execution on seeded random and edge operands', () => {
    if (!('path' in harness)) return;
    const rng = new Rng(0x5eed_87);
    const control = controlCases(rng);
    const cases = [
      ...arithmeticCases(rng), ...compareCases(rng), ...loadCases(rng), ...m80Cases(rng), ...storeCases(rng),
      ...unaryCases(rng), ...transcendentalCases(rng), ...largeTrigCases(rng), ...control.cases, ...sequenceCases(rng), ...imageCases(rng),
    ];
    // The pointer fields of control cases' images are random, to show FRSTOR/FNSTENV/FLDENV carry them.
    const natives = runNative(harness.path, cases, control.pointerFields);
    const tallies = new Map<string, Tally>();
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const tally = tallies.get(c.group) ?? { ran: 0, beyondUlps: 0, failed: 0, skipped: 0, worstUlps: 0 };
      tallies.set(c.group, tally);
      const problem = check(c, natives[i]!, runOurs(c, control.pointerFields.get(c)), tally);
      if (problem) tally.failed++;
      if (problem && tally.failed <= 4) failures.push(`${describeCase(c)}\n    ${problem}`);
      else if (problem) failures.push('');
    });
    let ran = 0;
    let skipped = 0;
    const lines: string[] = [];
    for (const [group, t] of tallies) {
      ran += t.ran;
      skipped += t.skipped;
      lines.push(`  ${group.padEnd(36)} ${String(t.ran).padStart(5)} compared${t.failed ? ` (${t.failed} MISMATCHED)` : ''}${t.skipped ? `, ${t.skipped} skipped (extended range)` : ''}${t.worstUlps ? `, worst ${t.worstUlps.toFixed(2)} ulp` : ''}${t.beyondUlps ? ` (${t.beyondUlps} beyond ${TRANSCENDENTAL_ULPS} ulp, within the x87's argument-reduction error)` : ''}`);
    }
    console.log(`x87 native comparison: ${cases.length} cases, ${ran} compared, ${skipped} skipped because the native result needs the extended range\n${lines.join('\n')}`);
    expect(failures.filter(Boolean).slice(0, 80).join('\n'), `${failures.length} mismatches`).toBe('');
    expect(ran).toBeGreaterThan(25_000);
    // A skip may not hide a whole group.
    for (const [group, t] of tallies) expect(t.skipped, group).toBeLessThan(Math.max(5, (t.ran + t.skipped) * 0.08));
  });
});

function runNative(path: string, cases: NativeCase[], fields: Map<NativeCase, Uint8Array>): Outcome[] {
  const input = new Uint8Array(cases.length * IN_SIZE);
  cases.forEach((c, i) => {
    encodeCase(c, input, i * IN_SIZE);
    const f = fields.get(c);
    if (f) input.set(f, i * IN_SIZE + 12);
  });
  const result = spawnSync(path, { input, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`harness exited with ${result.status} (signal ${result.signal})`);
  const out = new Uint8Array(result.stdout);
  expect(out.length).toBe(cases.length * OUT_SIZE);
  return cases.map((_, i) => decodeOutcome(out, i * OUT_SIZE));
}

// ---- unit tests ----

const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;
const M = 0x40; // memory operand address in the unit tests

function fresh(): { fpu: Fpu; host: FakeHost; run: (esc: number, modrm: number, linear?: number) => void } {
  const h = new FakeHost();
  const f = new Fpu(h);
  return { fpu: f, host: h, run: (esc, modrm, linear = M) => f.execute(esc, modrm, linear, false, false, 0x1234, linear) };
}
const bitsOf = (x: number): string => {
  const d = dbl(x);
  return `${d.hi.toString(16)}:${d.lo.toString(16)}`;
};
const INDEFINITE = 'fff80000:0';
function load64(t: ReturnType<typeof fresh>, x: number | D): void {
  const d = typeof x === 'number' ? dbl(x) : x;
  t.host.writeMem32(M, d.lo);
  t.host.writeMem32(M + 4, d.hi);
  t.run(0xdd, 0x00);
}
const regBits = (f: Fpu, i: number): string => {
  const w = new Uint32Array(f.registers.buffer, f.registers.byteOffset, 16);
  const p = ((f.statusWord >> 11) + i) & 7;
  return `${w[2 * p + 1]!.toString(16)}:${w[2 * p]!.toString(16)}`;
};

describe('x87 stack faults', () => {
  it('overflow: masked pushes the indefinite QNaN with IE, SF and C1; unmasked changes nothing but ES', () => {
    const t = fresh();
    for (let i = 0; i < 8; i++) load64(t, i + 1);
    expect(t.fpu.statusWord & (IE | SF)).toBe(0);
    load64(t, 42);
    expect(t.fpu.statusWord & (IE | SF | C1 | ES)).toBe(IE | SF | C1);
    expect(regBits(t.fpu, 0)).toBe(INDEFINITE);
    expect(t.fpu.st(1)).toBe(8); // the register that held ST(7) now holds the indefinite ST(0)

    const u = fresh();
    for (let i = 0; i < 8; i++) load64(u, i + 1);
    u.fpu.controlWord = 0x37e; // IE unmasked
    const top = u.fpu.statusWord & 0x3800;
    load64(u, 42);
    expect(u.fpu.statusWord & 0x3800).toBe(top);
    expect(u.fpu.st(0)).toBe(8);
    expect(u.fpu.statusWord & (IE | SF | C1 | ES | B)).toBe(IE | SF | C1 | ES | B);
  });

  it('underflow: masked writes the indefinite QNaN with C1 clear; stores of an empty ST(0) store indefinites', () => {
    const t = fresh();
    t.run(0xd8, 0xc1); // FADD ST(0), ST(1) on an empty stack
    expect(t.fpu.statusWord & (IE | SF | C1)).toBe(IE | SF);
    expect(regBits(t.fpu, 0)).toBe(INDEFINITE);
    const u = fresh();
    u.run(0xdd, 0x18); // FSTP m64 from an empty stack
    expect(u.host.readMem32(M)).toBe(0);
    expect(u.host.readMem32(M + 4) >>> 0).toBe(0xfff80000);
    u.run(0xdf, 0x18); // FISTP m16
    expect(u.host.readMem16(M)).toBe(0x8000);
    expect(u.fpu.tagWord).toBe(0xffff);
  });
});

describe('x87 exception flags', () => {
  const status = (setup: (t: ReturnType<typeof fresh>) => void, cw = 0x37f): { sw: number; st0: string; t: ReturnType<typeof fresh> } => {
    const t = fresh();
    t.fpu.controlWord = cw;
    setup(t);
    return { sw: t.fpu.statusWord, st0: regBits(t.fpu, 0), t };
  };
  it('divide by zero, invalid operations, denormal operands, precision with C1', () => {
    let r = status((t) => { load64(t, 0); load64(t, 1); t.run(0xd8, 0xf1); }); // 1 / 0
    expect(r.sw & 0x3f).toBe(ZE);
    expect(r.st0).toBe(bitsOf(Infinity));
    r = status((t) => { load64(t, 0); load64(t, 0); t.run(0xd8, 0xf1); }); // 0 / 0
    expect(r.sw & 0x3f).toBe(IE);
    expect(r.st0).toBe(INDEFINITE);
    r = status((t) => { load64(t, -1); t.run(0xd9, 0xfa); }); // sqrt(-1)
    expect(r.sw & 0x3f).toBe(IE);
    expect(r.st0).toBe(INDEFINITE);
    r = status((t) => load64(t, 5e-324)); // FLD m64 of a denormal
    expect(r.sw & 0x3f).toBe(DE);
    r = status((t) => { load64(t, 10); load64(t, 1); t.run(0xd8, 0xf1); }); // 1 / 10 rounds up
    expect(r.sw & (0x3f | C1)).toBe(PE | C1);
    r = status((t) => { load64(t, 3); load64(t, 1); t.run(0xd8, 0xf1); }); // 1 / 3 rounds down
    expect(r.sw & (0x3f | C1)).toBe(PE);
  });

  it('unmasked invalid and divide-by-zero leave the destination and set ES and B', () => {
    const r = status((t) => { load64(t, 0); load64(t, 7); t.run(0xde, 0xf1); }, 0x37b); // FDIVRP: 7 / 0, ZE unmasked
    expect(r.sw & (0xff | B)).toBe(ZE | ES | B);
    expect(r.t.fpu.st(0)).toBe(7); // not popped
    expect(r.t.fpu.st(1)).toBe(0);
  });

  it('double-range overflow and underflow (documented): OE/PE and UE/PE, RC decides infinity or DBL_MAX', () => {
    let r = status((t) => { load64(t, 2); load64(t, Number.MAX_VALUE); t.run(0xd8, 0xc9); });
    expect(r.sw & 0x3f).toBe(OE | PE);
    expect(r.st0).toBe(bitsOf(Infinity));
    r = status((t) => { load64(t, 2); load64(t, Number.MAX_VALUE); t.run(0xd8, 0xc9); }, 0xf7f); // chop
    expect(r.st0).toBe(bitsOf(Number.MAX_VALUE));
    r = status((t) => { load64(t, 3); load64(t, 2 ** -1060); t.run(0xd8, 0xf1); }); // 2^-1060 / 3
    expect(r.sw & 0x3f).toBe(DE | UE | PE); // DE from loading the denormal
    expect(r.t.fpu.st(0)).toBe(2 ** -1060 / 3);
  });

  it('FST m32 overflow: masked stores infinity with OE, PE and C1; unmasked stores nothing and keeps the stack', () => {
    let r = status((t) => { load64(t, 1e300); t.run(0xd9, 0x18, M + 8); });
    expect(r.sw & (0x3f | C1)).toBe(OE | PE | C1);
    expect(r.t.host.readMem32(M + 8) >>> 0).toBe(0x7f800000);
    expect(r.t.fpu.tagWord).toBe(0xffff);
    r = status((t) => { t.host.writeMem32(M + 8, 0x12345678); load64(t, 1e300); t.run(0xd9, 0x18, M + 8); }, 0x377);
    expect(r.t.host.readMem32(M + 8)).toBe(0x12345678);
    expect(r.t.fpu.st(0)).toBe(1e300);
    expect(r.sw & (0xff | B)).toBe(OE | ES | B);
  });
});

describe('x87 FXAM', () => {
  const classes: [string, (t: ReturnType<typeof fresh>) => void, number][] = [
    ['empty', () => {}, C3 | C0],
    ['+normal', (t) => load64(t, 1.5), C2],
    ['-normal', (t) => load64(t, -1.5), C2 | C1],
    ['denormal double (normal in extended)', (t) => load64(t, 5e-324), C2],
    ['+zero', (t) => load64(t, 0), C3],
    ['-zero', (t) => load64(t, -0), C3 | C1],
    ['+infinity', (t) => load64(t, Infinity), C2 | C0],
    ['-infinity', (t) => load64(t, -Infinity), C2 | C0 | C1],
    ['NaN', (t) => load64(t, { hi: 0xfff80000, lo: 1 }), C0 | C1],
    ['unsupported (unnormal m80) loads as the indefinite NaN', (t) => {
      t.host.writeMem32(M, 0);
      t.host.writeMem32(M + 4, 0x40000000);
      t.host.writeMem16(M + 8, 0x3fff);
      t.run(0xdb, 0x28);
    }, C0 | C1],
  ];
  for (const [name, setup, codes] of classes) {
    it(name, () => {
      const t = fresh();
      setup(t);
      t.fpu.statusWord = t.fpu.statusWord | C0 | C1 | C2 | C3;
      t.run(0xd9, 0xe5);
      expect(t.fpu.statusWord & (C0 | C1 | C2 | C3)).toBe(codes);
    });
  }
});

describe('x87 environment images', () => {
  function state(): ReturnType<typeof fresh> {
    const t = fresh();
    load64(t, 1.25);
    load64(t, { hi: 0x7ff00000, lo: 0x5 }); // an SNaN: IE, loaded as the quieted NaN
    load64(t, -0);
    t.fpu.controlWord = 0x0e7a;
    // The last instruction: FMUL m64 at cs:ip 0x1b:0x12345678, operand ds:0x23:0x9abcdef0.
    t.host.writeMem32(M, 0);
    t.host.writeMem32(M + 4, 0x40000000);
    t.fpu.execute(0xdc, 0x0d, M, false, false, 0x12345678, 0x9abcdef0, 0x1b, 0x23);
    return t;
  }
  const at = 0x100;
  const words = (t: ReturnType<typeof fresh>, n: number, size: 2 | 4): number[] =>
    Array.from({ length: n }, (_, i) => (size === 2 ? t.host.readMem16(at + 2 * i) : t.host.readMem32(at + 4 * i) >>> 0));

  it('32-bit protected mode: 28 bytes, reserved halves all ones, FOP beside FCS; FNSTENV then masks exceptions', () => {
    const t = state();
    const sw = t.fpu.statusWord;
    const tw = t.fpu.tagWord;
    t.fpu.execute(0xd9, 0x30, at, false, false, 0, 0);
    expect(words(t, 7, 4)).toEqual(
      [0xffff0000 | 0x0e7a, 0xffff0000 | sw, 0xffff0000 | tw, 0x12345678, (0x40d << 16) | 0x1b, 0x9abcdef0, 0xffff0000 | 0x23].map((x) => x >>> 0),
    );
    expect(t.fpu.controlWord).toBe(0x0e7f);
    expect(sw & IE).toBe(IE); // the SNaN load
  });

  it('16-bit protected mode: 14 bytes of words', () => {
    const t = state();
    const sw = t.fpu.statusWord;
    t.fpu.execute(0xd9, 0x30, at, true, false, 0, 0);
    expect(words(t, 7, 2)).toEqual([0x0e7a, sw, t.fpu.tagWord, 0x5678, 0x1b, 0xdef0, 0x23]);
  });

  it('real mode: 20-bit linear pointers split across the words, FOP in the low 11 bits', () => {
    const t = fresh();
    t.host.writeMem32(M, 0);
    t.host.writeMem32(M + 4, 0x3ff00000);
    t.fpu.execute(0xdd, 0x05, 0x5a5a4, false, true, 0x0123, 0x5a5a4, 0xf000); // FLD m64 at f000:0123
    t.fpu.execute(0xd9, 0x30, at, false, true, 0, 0);
    const fip = 0xf0123;
    expect(words(t, 7, 4).slice(3)).toEqual([(0xffff0000 | (fip & 0xffff)) >>> 0, ((fip >>> 16) << 12) | 0x505, (0xffff0000 | 0xa5a4) >>> 0, 0x5 << 12]);
    t.fpu.execute(0xd9, 0x30, at, true, true, 0, 0);
    expect(words(t, 7, 2).slice(3)).toEqual([fip & 0xffff, ((fip >>> 16) << 12) | 0x505, 0xa5a4, 0x5 << 12]);
  });

  for (const [o16, realMode] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`FNSAVE/FRSTOR round trip (${o16 ? 16 : 32}-bit, ${realMode ? 'real' : 'protected'} mode)`, () => {
      const rng = new Rng(o16 ? 11 : 12);
      const t = fresh();
      for (let i = 0; i < 6; i++) load64(t, i === 2 ? NAN_DOUBLES[6]! : randomDouble(rng));
      t.run(0xdd, 0xc2); // FFREE ST(2): an empty register in the middle
      t.fpu.controlWord = 0x0a7f;
      const before = { cw: t.fpu.controlWord, sw: t.fpu.statusWord, tw: t.fpu.tagWord, regs: Array.from({ length: 8 }, (_, i) => regBits(t.fpu, i)) };
      t.fpu.execute(0xdd, 0x30, at, o16, realMode, 0, 0);
      expect(t.fpu.tagWord).toBe(0xffff); // FNSAVE initialises
      expect(t.fpu.controlWord).toBe(0x37f);
      const size = o16 ? 94 : 108;
      const image = t.host.mem.slice(at, at + size);
      const u = fresh();
      u.host.mem.set(image, at);
      u.fpu.execute(0xdd, 0x20, at, o16, realMode, 0, 0);
      expect({ cw: u.fpu.controlWord, sw: u.fpu.statusWord, tw: u.fpu.tagWord, regs: Array.from({ length: 8 }, (_, i) => regBits(u.fpu, i)) }).toEqual(before);
      u.fpu.execute(0xdd, 0x30, at + 0x200, o16, realMode, 0, 0);
      expect(u.host.mem.slice(at + 0x200, at + 0x200 + size)).toEqual(image);
    });
  }

  it('FLDENV takes empty/non-empty from the tag word and recomputes the rest', () => {
    const t = fresh();
    load64(t, 0);
    load64(t, 2);
    t.fpu.execute(0xd9, 0x30, at, false, false, 0, 0);
    t.host.writeMem16(at + 8, 0x0000); // claim every register valid
    t.fpu.execute(0xd9, 0x20, at, false, false, 0, 0);
    const top = (t.fpu.statusWord >> 11) & 7;
    expect((t.fpu.tagWord >> (2 * top)) & 3).toBe(0); // 2: valid
    expect((t.fpu.tagWord >> (2 * ((top + 1) & 7))) & 3).toBe(1); // 0: zero
  });
});

describe('x87 pending exceptions and WAIT', () => {
  function pending(): ReturnType<typeof fresh> {
    const t = fresh();
    t.fpu.controlWord = 0x37b; // ZE unmasked
    load64(t, 0);
    load64(t, 1);
    t.run(0xd8, 0xf1); // 1 / 0: ZE pending
    expect(t.fpu.statusWord & (ZE | ES | B)).toBe(ZE | ES | B);
    return t;
  }
  it('WAIT raises #MF only with CR0.NE', () => {
    const t = pending();
    expect(() => t.fpu.wait()).not.toThrow();
    t.host.numericError = true;
    expect(() => t.fpu.wait()).toThrow(GuestFault);
    try {
      t.fpu.wait();
    } catch (err) {
      expect((err as GuestFault).vector).toBe(16);
    }
  });
  it('a waiting instruction raises #MF before it executes; FNSTSW and FNCLEX do not wait', () => {
    const t = pending();
    t.host.numericError = true;
    const sw = t.fpu.statusWord;
    expect(() => t.run(0xd9, 0xe8)).toThrow(GuestFault); // FLD1
    expect(t.fpu.statusWord).toBe(sw); // nothing pushed
    t.run(0xdf, 0xe0); // FNSTSW AX
    expect(t.host.ax).toBe(sw);
    t.run(0xdb, 0xe2); // FNCLEX
    expect(t.fpu.statusWord & (0xff | B)).toBe(0);
    expect(() => t.run(0xd9, 0xe8)).not.toThrow();
    expect(t.fpu.st(0)).toBe(1);
  });
  it('FLDCW that unmasks a sticky exception makes it pending', () => {
    const t = fresh();
    load64(t, 3);
    load64(t, 1);
    t.run(0xd8, 0xf1); // PE, masked
    expect(t.fpu.statusWord & ES).toBe(0);
    t.host.writeMem16(M, 0x35f);
    t.run(0xd9, 0x28);
    expect(t.fpu.statusWord & (ES | B)).toBe(ES | B);
  });
});

describe('x87 instruction pointers', () => {
  it('records FIP, FCS, FOP and FDP for non-control instructions only', () => {
    const t = fresh();
    t.host.writeMem32(M, 0);
    t.host.writeMem32(M + 4, 0x3ff00000);
    t.fpu.execute(0xdd, 0x45, M, false, false, 0x1111, 0x2222, 8, 0x10); // FLD m64 (modrm as encoded)
    t.fpu.execute(0xd9, 0xe8, 0, false, false, 0x3333, 0x4444, 8, 0x10); // FLD1: register form keeps FDP
    t.fpu.execute(0xd9, 0x38, M + 8, false, false, 0x5555, 0x6666, 8, 0x10); // FNSTCW: not recorded
    t.fpu.execute(0xd9, 0x30, 0x100, false, false, 0x7777, 0x8888, 8, 0x10); // FNSTENV: not recorded
    expect(t.host.readMem32(0x10c)).toBe(0x3333);
    expect(t.host.readMem32(0x110)).toBe((0x1e8 << 16) | 8);
    expect(t.host.readMem32(0x114)).toBe(0x2222);
  });
});

describe('x87 m80 conversions', () => {
  it('every double round-trips through m80 (NaN payloads, denormals, zeros, infinities)', () => {
    const rng = new Rng(80);
    const t = fresh();
    for (let n = 0; n < 5000; n++) {
      const d = n < NAN_DOUBLES.length ? NAN_DOUBLES[n]! : n < 200 ? dbl(SPECIAL_DOUBLES[n % SPECIAL_DOUBLES.length]!) : randomDouble(rng);
      const x = to80(d);
      t.host.writeMem32(M, x[0]);
      t.host.writeMem32(M + 4, x[1]);
      t.host.writeMem16(M + 8, x[2]);
      t.run(0xdb, 0x28); // FLD m80
      t.run(0xd9, 0xc0); // FLD ST(0)
      t.run(0xdb, 0x38, M + 16); // FSTP m80
      t.run(0xdd, 0x18, M + 32); // FSTP m64
      expect([t.host.readMem32(M + 16) >>> 0, t.host.readMem32(M + 20) >>> 0, t.host.readMem16(M + 24)]).toEqual([...x]);
      expect({ hi: t.host.readMem32(M + 36) >>> 0, lo: t.host.readMem32(M + 32) >>> 0 }).toEqual(isNaND(d) ? { hi: (d.hi | 0x80000) >>> 0, lo: d.lo } : d);
    }
    expect(t.fpu.statusWord & (SF | OE | UE)).toBe(0);
  });
});

describe('x87 decoding', () => {
  it('is the X87 unit the CPU drives', () => {
    const factory: X87Factory = (h) => new Fpu(h); // a type error here breaks the contract with cpu.ts
    expect(factory(new FakeHost()).isValid(0xd9, 0xe8)).toBe(true);
  });

  it('isValid rejects exactly the reserved forms', () => {
    const f = new Fpu(new FakeHost());
    const invalidMemory = ['d9/1', 'db/1', 'db/4', 'db/6', 'dd/1', 'dd/5', 'df/1'];
    for (let esc = 0xd8; esc <= 0xdf; esc++) {
      for (let reg = 0; reg < 8; reg++) {
        expect(f.isValid(esc, reg << 3), `${esc.toString(16)}/${reg}`).toBe(!invalidMemory.includes(`${esc.toString(16)}/${reg}`));
        expect(f.isValid(esc, 0x80 | (reg << 3) | 4)).toBe(f.isValid(esc, reg << 3));
      }
    }
    const invalidRegister = new Set<number>();
    for (const m of [0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xe2, 0xe3, 0xe6, 0xe7, 0xef]) invalidRegister.add(0xd900 | m);
    for (let m = 0xe0; m <= 0xff; m++) if (m !== 0xe9) invalidRegister.add(0xda00 | m);
    for (const m of [0xe5, 0xe6, 0xe7]) invalidRegister.add(0xdb00 | m);
    for (let m = 0xf8; m <= 0xff; m++) invalidRegister.add(0xdb00 | m);
    for (let m = 0xf0; m <= 0xff; m++) invalidRegister.add(0xdd00 | m);
    for (let m = 0xd8; m <= 0xdf; m++) if (m !== 0xd9) invalidRegister.add(0xde00 | m);
    for (let m = 0xe1; m <= 0xe7; m++) invalidRegister.add(0xdf00 | m);
    for (let m = 0xf8; m <= 0xff; m++) invalidRegister.add(0xdf00 | m);
    for (let esc = 0xd8; esc <= 0xdf; esc++) {
      for (let m = 0xc0; m <= 0xff; m++) expect(f.isValid(esc, m), `${esc.toString(16)} ${m.toString(16)}`).toBe(!invalidRegister.has((esc << 8) | m));
    }
  });

  it('never throws for any valid encoding on any state (fuzz)', () => {
    const rng = new Rng(1234);
    const t = fresh();
    let executed = 0;
    for (let n = 0; n < 200_000; n++) {
      const esc = 0xd8 + rng.int(8);
      const modrm = rng.int(256);
      if (!t.fpu.isValid(esc, modrm)) continue;
      if (rng.chance(0.02)) t.fpu.controlWord = rng.u32();
      for (let i = 0; i < 112; i++) if (rng.chance(0.05)) t.host.mem[M + i] = rng.int(256);
      if (rng.chance(0.3)) putD(t.host.mem, M, randomDouble(rng, 0.2));
      t.host.flags = rng.u32();
      t.fpu.execute(esc, modrm, M, rng.chance(0.1), rng.chance(0.1), rng.u32(), rng.u32());
      executed++;
      expect(t.fpu.tagWord >>> 16).toBe(0);
    }
    expect(executed).toBeGreaterThan(100_000);
  });
});
