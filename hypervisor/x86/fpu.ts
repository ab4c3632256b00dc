/**
 * The x87 FPU of the i686 emulator (Pentium Pro/II instruction set: no FISTTP, no SSE).
 *
 * Precision. A register holds an IEEE double, not an 80-bit extended value. Results are what an x87 with
 * precision control 53-bit computes, correctly rounded under RC with PE and C1 ("rounded up in
 * magnitude") exact, except:
 * - PC is ignored: PC=24 and PC=64 round to 53 bits too (compilers' default PC=64 keeps intermediates
 *   in extended precision; here they are doubles, as if every result were stored to m64).
 * - Exponent range is the double's. A result beyond it overflows to infinity or DBL_MAX (per RC) with
 *   OE and PE, or becomes a denormal or zero with UE (if inexact), where the x87 keeps an extended
 *   value and signals only on a later FST m64/m32. Tininess for double results is judged on the rounded
 *   result; FST m32 detects it after rounding with an unbounded exponent, as the x87 does. With OM/UM
 *   unmasked a register destination still gets the masked response (the x87 scales by 2^-/+24576).
 * - m80 loads (FLD m80, FRSTOR) round to the nearest double whatever RC says, without flags; beyond the
 *   double's range to infinity, a denormal or zero. NaNs keep their top 52 significand bits (a signalling
 *   NaN whose payload lies only in the dropped bits gets its lowest kept bit set). Pseudo-NaNs,
 *   pseudo-infinities and unnormals load as the indefinite QNaN. Every double round-trips through m80.
 * - FILD m64 and FBLD round integers beyond 2^53 to nearest; FIST/FISTP/FBSTP then convert that double
 *   exactly (FBSTP of an 18-digit value shows the rounding).
 * - FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 use V8's libm, rounded to double: within
 *   2 ulps of the x87 rounded to double for |x| < 64. The x87 reduces trigonometric arguments with a
 *   finite pi, so for larger |x| results differ by up to about |x| * 2^-62 absolute (1 + tan^2 times that
 *   for FPTAN). C1 after them is 0 (the x87 reports its own rounding direction). As on the x87, FYL2X,
 *   FYL2XP1 and F2XM1 set PE for every finite non-zero result; F2XM1 outside [-1, 1] returns x with PE
 *   (what the processors we compare with do); FYL2XP1 outside its range gives the mathematical value.
 * - FPREM/FPREM1 are exact; exponent differences >= 64 give a partial remainder that leaves a difference
 *   of 32 + (d mod 32), C2 set, as on the processors we compare with.
 * - FXAM never reports "denormal" (a denormal double is a normal extended value); DE is raised only for
 *   m32/m64 denormal operands, never for registers.
 * Condition codes the manuals leave undefined follow the processor the tests compare with (AMD EPYC):
 * arithmetic keeps C0/C2/C3, FCOMI and FCMOVcc keep C1, FFREE clears C1, FPREM on NaNs keeps C0/C3.
 *
 * Pending exceptions: every instruction except FNINIT, FNCLEX, FNSTCW, FNSTSW, FNSTENV, FNSAVE and the
 * 287 no-ops FNENI/FNDISI/FNSETPM first checks for a pending unmasked exception (ES) and, when the host
 * reports CR0.NE, raises #MF (16) before doing anything. With CR0.NE clear the exception is ignored (as if
 * IGNNE# were asserted); there is no FERR#/IRQ 13 path. FLDCW, FLDENV and FRSTOR recompute ES.
 *
 * Unmasked exceptions follow the x87: IE/ZE/DE leave the destination and the stack unchanged (compares
 * still set "unordered" codes and flags but do not pop; FLD of a denormal still loads); a store with
 * unmasked IE/OE/UE writes nothing and does not pop; PE delivers the result.
 *
 * Undocumented aliases real processors execute are implemented: DC D0-DF (FCOM/FCOMP), DE D0-D7 (FCOMP),
 * DF D0-DF (FSTP), D9 D8-DF (FSTP1: copies the register and its tag, no underflow check), DD C8-CF and
 * DF C8-CF (FXCH), DF C0-C7 (FFREEP), DB E0/E1/E4 (no-ops).
 */
import type { FpuHost } from './fpu-host.js';
import {
  DBL_MAX,
  DBL_MIN,
  exponentOf,
  nextDown,
  nextUp,
  pow2,
  productError,
  productErrorSign,
  quotientErrorSign,
  roundToInteger,
  scale,
  sqrtErrorSign,
} from './fpu-float.js';

// Status word bits (exception flags share their positions with the control word's masks).
const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000;
const EXCEPTIONS = 0x3f;
const TOP_MASK = 0x3800;

/** Register cells 0-7 are the physical registers; MEM holds a decoded memory operand, TMP a scratch value. */
const MEM = 8, TMP = 9;

/** Condition codes C3, C2, C0 for greater, less, equal and unordered. */
const COMPARE_CODES = [0, C0, C3, C3 | C2 | C0] as const;
/** ZF, PF, CF for FCOMI per compare outcome. */
const COMPARE_ZF = [0, 0, 1, 1] as const;
const COMPARE_PF = [0, 0, 0, 1] as const;
const COMPARE_CF = [0, 1, 0, 1] as const;
const GREATER = 0, LESS = 1, EQUAL = 2, UNORDERED = 3;

const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_CHOP = 3;

const FLT_MIN = 2 ** -126;
const FLT_MAX = 3.4028234663852886e38;

/** x87 constants as doubles rounded down, from the processors' 64-bit truncations; `up` says whether the
 * nearest double is the next one up. */
const constant = (hi: number, lo: number, exp: number, nearestIsUp: boolean): Float64Array => {
  const down = (hi * 2 ** 21 + (lo >>> 11)) * 2 ** (exp - 52);
  const up = nextUp(down);
  // Indexed by RC: nearest, down, up, chop (all positive, so chop = down).
  return Float64Array.of(nearestIsUp ? up : down, down, up, down);
};
const CONSTANTS = [
  Float64Array.of(1, 1, 1, 1), // FLD1
  constant(0xd49a784b, 0xcd1b8afe, 1, false), // FLDL2T
  constant(0xb8aa3b29, 0x5c17f0bb, 0, false), // FLDL2E
  constant(0xc90fdaa2, 0x2168c234, 1, false), // FLDPI
  constant(0x9a209a84, 0xfbcff798, -2, true), // FLDLG2
  constant(0xb17217f7, 0xd1cf79ab, -1, false), // FLDLN2
  Float64Array.of(0, 0, 0, 0), // FLDZ
] as const;

/** ln 2 - Math.LN2, to correct F2XM1's argument. */
const LN2_LOW = 2.3190468138462996e-17;

/** Whether an x87 opcode form exists on a Pentium Pro/II (including the undocumented aliases it runs). */
export function isValidX87(escape: number, modrm: number): boolean {
  const reg = (modrm >> 3) & 7;
  const esc = escape & 7;
  if (modrm < 0xc0) {
    switch (esc) {
      case 1: return reg !== 1;
      case 3: return reg !== 1 && reg !== 4 && reg !== 6;
      case 5: return reg !== 1 && reg !== 5;
      case 7: return reg !== 1;
      default: return true;
    }
  }
  switch (esc) {
    case 1:
      if (reg === 2) return modrm === 0xd0;
      if (reg === 4) return modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4 || modrm === 0xe5;
      if (reg === 5) return modrm !== 0xef;
      return true;
    case 2: return reg < 4 || modrm === 0xe9;
    case 3: return reg < 4 || (reg === 4 && modrm <= 0xe4) || reg === 5 || reg === 6;
    case 5: return reg < 6;
    case 6: return reg !== 3 || modrm === 0xd9;
    case 7: return reg < 4 || modrm === 0xe0 || reg === 5 || reg === 6;
    default: return true;
  }
}

export class Fpu {
  private readonly cells = new Float64Array(10);
  /** Word view of cells: cell i is bits[2i] (low) and bits[2i + 1] (high). NaNs move through these. */
  private readonly bits = new Uint32Array(this.cells.buffer);
  /** The physical registers R0-R7 as doubles. */
  readonly registers: Float64Array = this.cells.subarray(0, 8);
  /** FRSTOR stages the registers here before committing, so a faulting read changes nothing. */
  private readonly staged = new Uint32Array(16);
  /** Bit i set: physical register i is empty. */
  private emptyMask = 0xff;
  private top = 0;
  /** The status word without TOP. */
  private sw = 0;
  private cw = 0x37f;
  private fip = 0;
  private fcs = 0;
  private fop = 0;
  private fdp = 0;
  private fds = 0;
  /** Exceptions raised by the instruction being executed. */
  private exc = 0;
  /** The memory operand decoded into MEM was an m32/m64 denormal. */
  private memDenormal = false;
  /** m80 encoding results (encode80). */
  private e80lo = 0;
  private e80hi = 0;
  private e80se = 0;

  constructor(private readonly host: FpuHost) {
    this.reset();
  }

  /** FNINIT: control 0x37F, status 0, all registers empty, pointers cleared. Register contents stay. */
  reset(): void {
    this.cw = 0x37f;
    this.sw = 0;
    this.top = 0;
    this.emptyMask = 0xff;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
  }

  get controlWord(): number {
    return this.cw;
  }
  set controlWord(value: number) {
    this.cw = (value & 0x1f3f) | 0x40;
    this.updateSummary();
  }
  /** The status word with TOP. */
  get statusWord(): number {
    return this.sw | (this.top << 11);
  }
  set statusWord(value: number) {
    this.sw = value & ~TOP_MASK & 0xffff;
    this.top = (value >> 11) & 7;
  }
  /** The full tag word (00 valid, 01 zero, 10 special, 11 empty per physical register). */
  get tagWord(): number {
    let tw = 0;
    for (let p = 0; p < 8; p++) tw |= this.tagOf(p) << (2 * p);
    return tw;
  }
  /** Only empty (11) versus non-empty matters; the x87 recomputes the rest from the contents. */
  set tagWord(value: number) {
    let mask = 0;
    for (let p = 0; p < 8; p++) if (((value >> (2 * p)) & 3) === 3) mask |= 1 << p;
    this.emptyMask = mask;
  }
  /** ST(i) as a double (NaN payloads are in `registers`' bits). */
  st(i: number): number {
    return this.cells[(this.top + i) & 7]!;
  }
  isValid(escape: number, modrm: number): boolean {
    return isValidX87(escape, modrm);
  }

  /** FWAIT: #MF when an unmasked exception is pending and CR0.NE is set. */
  wait(): void {
    if ((this.sw & ES) !== 0 && this.host.numericErrorNative()) this.host.raise(16);
  }

  /**
   * Executes one x87 instruction the CPU has checked with isValid (and for #NM). `codeSelector` and
   * `dataSelector` (optional, beyond the base interface) are FCS/FDS for the protected-mode environment;
   * in real mode the environment holds linear addresses: FIP is (codeSelector << 4) + instructionPointer
   * and FDP is `linear`.
   */
  execute(
    escape: number,
    modrm: number,
    linear: number,
    operandSize16: boolean,
    realMode: boolean,
    instructionPointer: number,
    dataPointer: number,
    codeSelector = 0,
    dataSelector = 0,
  ): void {
    const esc = escape & 7;
    const reg = (modrm >> 3) & 7;
    const op = (esc << 3) | reg;
    this.exc = 0;
    this.memDenormal = false;
    if (modrm >= 0xc0) {
      // DB E0-E4 (FNENI, FNDISI, FNCLEX, FNINIT, FNSETPM) and DF E0 (FNSTSW AX) neither wait nor record.
      if (op !== 0x1c && op !== 0x3c) {
        this.wait();
        this.recordInstruction(esc, modrm, instructionPointer, codeSelector, realMode);
      }
      this.executeRegister(op, modrm & 7, modrm);
    } else {
      // FLDENV, FLDCW, FNSTENV, FNSTCW, FRSTOR, FNSAVE, FNSTSW do not record themselves; the FN forms do not wait.
      const control = (esc === 1 && reg >= 4) || (esc === 5 && reg >= 4);
      if (!(control && reg >= 6)) this.wait();
      if (!control) {
        this.recordInstruction(esc, modrm, instructionPointer, codeSelector, realMode);
        this.fdp = realMode ? linear : dataPointer;
        this.fds = dataSelector;
      }
      this.executeMemory(op, linear, operandSize16, realMode);
    }
    if (this.exc !== 0) {
      this.sw |= this.exc;
      this.updateSummary();
    }
  }

  private recordInstruction(esc: number, modrm: number, ip: number, cs: number, realMode: boolean): void {
    this.fip = realMode ? ((cs << 4) + ip) >>> 0 : ip;
    this.fcs = cs;
    this.fop = (esc << 8) | modrm;
  }

  // ---- registers and the stack ----

  private phys(i: number): number {
    return (this.top + i) & 7;
  }
  private isEmpty(p: number): boolean {
    return ((this.emptyMask >> p) & 1) !== 0;
  }
  private isNaNCell(c: number): boolean {
    const v = this.cells[c]!;
    return v !== v;
  }
  private isSNaNCell(c: number): boolean {
    return this.isNaNCell(c) && (this.bits[2 * c + 1]! & 0x80000) === 0;
  }
  private copyCell(to: number, from: number): void {
    this.bits[2 * to] = this.bits[2 * from]!;
    this.bits[2 * to + 1] = this.bits[2 * from + 1]!;
  }
  private setIndefinite(c: number): void {
    this.bits[2 * c] = 0;
    this.bits[2 * c + 1] = 0xfff80000;
  }
  private setQuietCopy(to: number, from: number): void {
    this.bits[2 * to] = this.bits[2 * from]!;
    this.bits[2 * to + 1] = this.bits[2 * from + 1]! | 0x80000;
  }
  private tagOf(p: number): number {
    if (this.isEmpty(p)) return 3;
    const v = this.cells[p]!;
    return v === 0 ? 1 : Number.isFinite(v) ? 0 : 2;
  }
  private setValid(p: number): void {
    this.emptyMask &= ~(1 << p);
  }
  private pop(): void {
    this.emptyMask |= 1 << this.top;
    this.top = (this.top + 1) & 7;
  }
  /**
   * The register below TOP for a push, or -1 when it is occupied: stack overflow, after which a masked
   * response has already pushed the indefinite QNaN.
   */
  private pushSlot(): number {
    const p = (this.top - 1) & 7;
    if (!this.isEmpty(p)) {
      this.stackFault(C1);
      if (this.unmasked(IE)) return -1;
      this.top = p;
      this.setIndefinite(p);
      return -1;
    }
    return p;
  }
  /** Completes a push into p (from pushSlot), whose cell the caller has filled. */
  private commitPush(p: number): void {
    this.top = p;
    this.setValid(p);
  }

  private unmasked(flags: number): boolean {
    return (flags & ~this.cw & EXCEPTIONS) !== 0;
  }
  /** Sets ES and B when any flagged exception is unmasked. */
  private updateSummary(): void {
    if ((this.sw & ~this.cw & EXCEPTIONS) !== 0) this.sw |= ES | B;
    else this.sw &= ~(ES | B);
  }
  /** Stack overflow (c1 = C1) or underflow (c1 = 0): IE and SF. */
  private stackFault(c1: number): void {
    this.exc |= IE | SF;
    this.sw = (this.sw & ~C1) | c1;
  }
  private setC1(on: boolean): void {
    this.sw = on ? this.sw | C1 : this.sw & ~C1;
  }
  /** Arithmetic sets C1 to "rounded up" and leaves C0, C2 and C3 as they were. */
  private setArithmeticCodes(c1: boolean): void {
    this.sw = (this.sw & ~C1) | (c1 ? C1 : 0);
  }
  private get rc(): number {
    return (this.cw >> 10) & 3;
  }

  /**
   * Underflow of ST(i) operands: both the operands must be non-empty. Returns true if the instruction may
   * go on; on a masked underflow the destination receives the indefinite QNaN.
   */
  private needs(p0: number, p1: number, destination: number): boolean {
    if (!this.isEmpty(p0) && (p1 < 0 || !this.isEmpty(p1))) return true;
    this.stackFault(0);
    if (!this.unmasked(IE) && destination >= 0) {
      this.setIndefinite(destination);
      this.setValid(destination);
    }
    return false;
  }

  // ---- rounding ----

  /**
   * Delivers r, the round-to-nearest double of a finite exact result whose sign relative to r is s (sign
   * of exact - r), under RC: adjusts r, raises PE/UE/OE and sets C1 to "rounded up in magnitude".
   */
  private rounded(r: number, s: number): number {
    if (r === Infinity || r === -Infinity) return this.overflow(r > 0);
    if (s === 0) {
      this.setArithmeticCodes(false);
      return r;
    }
    const rc = this.rc;
    let t = r;
    if (rc === RC_DOWN) {
      if (s < 0) t = nextDown(r);
    } else if (rc === RC_UP) {
      if (s > 0) t = nextUp(r);
    } else if (rc === RC_CHOP) {
      if (s < 0 && r > 0) t = nextDown(r);
      else if (s > 0 && r < 0) t = nextUp(r);
    }
    if (t === Infinity || t === -Infinity) return this.overflow(t > 0);
    // The exact value lies between r and t when t moved, so the error changes sign.
    const finalSign = t === r ? s : -s;
    this.exc |= PE;
    if (Math.abs(t) < DBL_MIN) this.exc |= UE;
    this.setArithmeticCodes((finalSign < 0 && t > 0) || (finalSign > 0 && t < 0));
    return t;
  }

  private overflow(positive: boolean): number {
    const rc = this.rc;
    const toInfinity = rc === RC_NEAREST || (rc === RC_UP && positive) || (rc === RC_DOWN && !positive);
    this.exc |= OE | PE;
    this.setArithmeticCodes(toInfinity);
    const magnitude = toInfinity ? Infinity : DBL_MAX;
    return positive ? magnitude : -magnitude;
  }

  /**
   * Masked invalid operation writes the indefinite QNaN to `destination`; returns false (nothing more to do).
   */
  private invalid(destination: number): false {
    this.exc |= IE;
    this.setArithmeticCodes(false);
    if (!this.unmasked(IE) && destination >= 0) {
      this.setIndefinite(destination);
      this.setValid(destination);
    }
    return false;
  }

  /** NaN operand(s) a, b (b < 0: one operand): IE for an SNaN; the x87's choice of NaN goes to dst. */
  private nanResult(destination: number, a: number, b: number): void {
    const aNaN = this.isNaNCell(a);
    const bNaN = b >= 0 && this.isNaNCell(b);
    let from = aNaN ? a : b;
    if (aNaN && bNaN) {
      const aQuiet = (this.bits[2 * a + 1]! & 0x80000) !== 0;
      const bQuiet = (this.bits[2 * b + 1]! & 0x80000) !== 0;
      if (aQuiet !== bQuiet) from = aQuiet ? a : b;
      else {
        // The larger significand wins; on a tie, the positive NaN.
        const ah = this.bits[2 * a + 1]!, bh = this.bits[2 * b + 1]!;
        const am = ah & 0xfffff, bm = bh & 0xfffff;
        const al = this.bits[2 * a]!, bl = this.bits[2 * b]!;
        if (am !== bm) from = am > bm ? a : b;
        else if (al !== bl) from = al > bl ? a : b;
        else from = ah >>> 31 === 0 ? a : b;
      }
    }
    this.setArithmeticCodes(false);
    if (this.isSNaNCell(a) || (b >= 0 && this.isSNaNCell(b))) {
      this.exc |= IE;
      if (this.unmasked(IE)) return;
    }
    this.setQuietCopy(destination, from);
    this.setValid(destination);
  }

  // ---- arithmetic ----

  /**
   * dst := a op b for op 0 add, 1 multiply, 4 subtract (a - b), 6 divide (a / b); cells hold the operands.
   */
  private arith(op: number, destination: number, ia: number, ib: number): void {
    const a = this.cells[ia]!;
    const b = this.cells[ib]!;
    if (a !== a || b !== b) return this.nanResult(destination, ia, ib);
    const finite = Number.isFinite(a) && Number.isFinite(b);
    let r: number;
    let s = 0;
    if (op === 0 || op === 4) {
      const addend = op === 4 ? -b : b;
      if (a === -addend && !Number.isFinite(a)) return void this.invalid(destination);
      if (this.denormalStops()) return;
      r = a + addend;
      if (finite && Number.isFinite(r)) {
        const z = r - a;
        s = Math.sign(a - (r - z) + (addend - z));
        // An exact zero sum of operands that are not both +0 is -0 when rounding down.
        if (r === 0 && this.rc === RC_DOWN && !(Object.is(a, 0) && Object.is(addend, 0))) r = -0;
      }
    } else if (op === 1) {
      if ((a === 0 && !Number.isFinite(b)) || (b === 0 && !Number.isFinite(a))) return void this.invalid(destination);
      if (this.denormalStops()) return;
      r = a * b;
      if (finite && Number.isFinite(r) && a !== 0 && b !== 0) s = productErrorSign(a, b, r);
    } else {
      if ((a === 0 && b === 0) || (!Number.isFinite(a) && !Number.isFinite(b))) return void this.invalid(destination);
      if (b === 0 && Number.isFinite(a)) {
        this.exc |= ZE;
        this.setArithmeticCodes(false);
        if (this.unmasked(ZE)) return;
        return this.store(destination, a / b);
      }
      if (this.denormalStops()) return;
      r = a / b;
      if (finite && Number.isFinite(r) && a !== 0) s = quotientErrorSign(a, b, r);
    }
    if (!Number.isFinite(r)) {
      if (finite) r = this.overflow(r > 0);
      else this.setArithmeticCodes(false);
      return this.store(destination, r);
    }
    this.store(destination, this.rounded(r, s));
  }

  /** DE for a denormal memory operand; true when DE is unmasked (the operation is then skipped). */
  private denormalStops(): boolean {
    if (!this.memDenormal) return false;
    this.exc |= DE;
    if (!this.unmasked(DE)) return false;
    this.setArithmeticCodes(false);
    return true;
  }

  private store(destination: number, value: number): void {
    this.cells[destination] = value;
    this.setValid(destination);
  }

  private compare(ia: number, ib: number, quietNaN: boolean): number {
    const a = this.cells[ia]!;
    const b = this.cells[ib]!;
    if (a !== a || b !== b) {
      if (!quietNaN || this.isSNaNCell(ia) || this.isSNaNCell(ib)) this.exc |= IE;
      return UNORDERED;
    }
    if (this.memDenormal) this.exc |= DE;
    return a > b ? GREATER : a < b ? LESS : EQUAL;
  }

  private setCompareCodes(outcome: number): void {
    this.sw = (this.sw & ~(C0 | C1 | C2 | C3)) | COMPARE_CODES[outcome as 0]!;
  }

  /** FCOM family on ST(0) and a cell; pops `pops` times unless IE is unmasked. */
  private fcom(other: number, otherPhys: number, quietNaN: boolean, pops: number): void {
    const p0 = this.top;
    if (!this.isEmpty(p0) && (otherPhys < 0 || !this.isEmpty(otherPhys))) {
      this.setCompareCodes(this.compare(p0, other, quietNaN));
    } else {
      this.stackFault(0);
      this.setCompareCodes(UNORDERED);
    }
    if ((this.exc & IE) !== 0 && this.unmasked(IE)) return;
    if ((this.exc & DE) !== 0 && this.unmasked(DE)) return;
    for (let i = 0; i < pops; i++) this.pop();
  }

  private fcomi(i: number, quietNaN: boolean, pop: boolean): void {
    const p0 = this.top;
    const pi = this.phys(i);
    let outcome = UNORDERED;
    // C1 is left alone (cleared only by a stack underflow), as the processors we compare with do.
    if (!this.isEmpty(p0) && !this.isEmpty(pi)) outcome = this.compare(p0, pi, quietNaN);
    else this.stackFault(0);
    this.host.setCompareFlags(COMPARE_ZF[outcome as 0]!, COMPARE_PF[outcome as 0]!, COMPARE_CF[outcome as 0]!);
    if ((this.exc & IE) !== 0 && this.unmasked(IE)) return;
    if (pop) this.pop();
  }

  // ---- register forms ----

  private executeRegister(op: number, rm: number, modrm: number): void {
    const p0 = this.top;
    const pi = this.phys(rm);
    switch (op) {
      // D8: ST(0) := ST(0) op ST(i)
      case 0x00: case 0x01: case 0x04: case 0x05: case 0x06: case 0x07:
        this.memDenormal = false;
        if (this.needs(p0, pi, p0)) this.arithOrdered(op & 7, p0, p0, pi);
        return;
      case 0x02: case 0x03: case 0x22: case 0x23: case 0x32: // FCOM, FCOMP and their DC/DE aliases
        this.memDenormal = false;
        this.fcom(pi, pi, false, op === 0x02 || op === 0x22 ? 0 : 1);
        return;
      // D9
      case 0x08: { // FLD ST(i)
        const empty = this.isEmpty(pi);
        const p = this.pushSlot();
        if (p < 0) return;
        if (empty) {
          this.stackFault(0);
          if (this.unmasked(IE)) return;
          this.setIndefinite(p);
        } else this.copyCell(p, pi);
        this.sw &= ~C1;
        this.commitPush(p);
        return;
      }
      case 0x09: case 0x29: case 0x39: // FXCH and aliases
        this.fxch(pi);
        return;
      case 0x0a: // FNOP
        return;
      case 0x0b: // FSTP1 (D9 D8+i): copies the register and its tag without an underflow check
        this.copyCell(pi, p0);
        this.emptyMask = (this.emptyMask & ~(1 << pi)) | (((this.emptyMask >> p0) & 1) << pi);
        this.sw &= ~C1;
        this.pop();
        return;
      case 0x3a: case 0x3b: // FSTP8, FSTP9 (DF D0+i, D8+i)
        this.fstRegister(pi, true);
        return;
      case 0x0c:
        this.signOps(modrm);
        return;
      case 0x0d:
        this.loadConstant(modrm - 0xe8);
        return;
      case 0x0e:
        this.transcendental(modrm);
        return;
      case 0x0f:
        this.misc(modrm);
        return;
      // DA: FCMOVB/E/BE/U; DA E9 FUCOMPP
      case 0x10: case 0x11: case 0x12: case 0x13: case 0x18: case 0x19: case 0x1a: case 0x1b:
        this.fcmov(op, pi);
        return;
      case 0x15:
        this.memDenormal = false;
        this.fcom(this.phys(1), this.phys(1), true, 2);
        return;
      // DB E2 FNCLEX, E3 FNINIT, E0/E1/E4 287 no-ops
      case 0x1c:
        if (modrm === 0xe2) this.sw &= ~(EXCEPTIONS | SF | ES | B);
        else if (modrm === 0xe3) this.reset();
        return;
      case 0x1d: this.fcomi(rm, true, false); return; // FUCOMI
      case 0x1e: this.fcomi(rm, false, false); return; // FCOMI
      // DC: ST(i) := ST(i) op ST(0), with the reversed subtract/divide encodings
      case 0x20: case 0x21: case 0x24: case 0x25: case 0x26: case 0x27:
        this.memDenormal = false;
        if (this.needs(p0, pi, pi)) this.arithOrdered((op & 7) ^ ((op & 4) >> 2), pi, pi, p0);
        return;
      // DD
      case 0x28: // FFREE
        this.emptyMask |= 1 << pi;
        this.sw &= ~C1;
        return;
      case 0x2c: case 0x2d: // FUCOM, FUCOMP
        this.memDenormal = false;
        this.fcom(pi, pi, true, op === 0x2c ? 0 : 1);
        return;
      case 0x2a: case 0x2b: // FST ST(i), FSTP ST(i)
        this.fstRegister(pi, op === 0x2b);
        return;
      // DE: the popping forms of DC; DE D9 FCOMPP
      case 0x30: case 0x31: case 0x34: case 0x35: case 0x36: case 0x37:
        this.memDenormal = false;
        if (this.needs(p0, pi, pi)) {
          this.arithOrdered((op & 7) ^ ((op & 4) >> 2), pi, pi, p0);
          if (!this.stoppedByUnmasked()) this.pop();
        } else if (!this.unmasked(IE)) this.pop();
        return;
      case 0x33:
        this.memDenormal = false;
        this.fcom(this.phys(1), this.phys(1), false, 2);
        return;
      // DF
      case 0x38: // FFREEP
        this.emptyMask |= 1 << pi;
        this.sw &= ~C1;
        this.pop();
        return;
      case 0x3c: // FNSTSW AX
        this.host.setAx(this.statusWord);
        return;
      case 0x3d: this.fcomi(rm, true, true); return; // FUCOMIP
      case 0x3e: this.fcomi(rm, false, true); return; // FCOMIP
    }
  }

  /** True when this instruction raised an unmasked pre-computation exception (no pop follows). */
  private stoppedByUnmasked(): boolean {
    return this.unmasked(this.exc & (IE | ZE | DE));
  }

  /** Maps the reg field's operation (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr) on dst := x op y. */
  private arithOrdered(operation: number, destination: number, x: number, y: number): void {
    switch (operation) {
      case 0: return this.arith(0, destination, x, y);
      case 1: return this.arith(1, destination, x, y);
      case 4: return this.arith(4, destination, x, y);
      case 5: return this.arith(4, destination, y, x);
      case 6: return this.arith(6, destination, x, y);
      default: return this.arith(6, destination, y, x);
    }
  }

  private fxch(pi: number): void {
    const p0 = this.top;
    if (this.isEmpty(p0) || this.isEmpty(pi)) {
      this.stackFault(0);
      if (this.unmasked(IE)) return;
      if (this.isEmpty(p0)) this.setIndefinite(p0);
      if (this.isEmpty(pi)) this.setIndefinite(pi);
      this.setValid(p0);
      this.setValid(pi);
    } else this.sw &= ~C1;
    this.copyCell(TMP, p0);
    this.copyCell(p0, pi);
    this.copyCell(pi, TMP);
  }

  /** FST/FSTP ST(i): an extended-to-extended copy, so no SNaN check. */
  private fstRegister(pi: number, pop: boolean): void {
    const p0 = this.top;
    if (this.isEmpty(p0)) {
      this.stackFault(0);
      if (this.unmasked(IE)) return;
      this.setIndefinite(pi);
    } else {
      this.sw &= ~C1;
      this.copyCell(pi, p0);
    }
    this.setValid(pi);
    if (pop) this.pop();
  }

  private fcmov(op: number, pi: number): void {
    const p0 = this.top;
    if (!this.needs(p0, pi, p0)) return;
    const flags = this.host.eflags();
    const cf = flags & 1, pf = (flags >> 2) & 1, zf = (flags >> 6) & 1;
    const kind = op & 3;
    let condition = kind === 0 ? cf : kind === 1 ? zf : kind === 2 ? cf | zf : pf;
    if (op >= 0x18) condition ^= 1;
    if (condition) this.copyCell(p0, pi);
  }

  /** D9 E0-E5: FCHS, FABS, FTST, FXAM. */
  private signOps(modrm: number): void {
    const p0 = this.top;
    if (modrm === 0xe5) {
      let codes: number;
      const sign = (this.bits[2 * p0 + 1]! >>> 31) !== 0 ? C1 : 0;
      if (this.isEmpty(p0)) codes = C3 | C0;
      else {
        const v = this.cells[p0]!;
        codes = v !== v ? C0 : v === 0 ? C3 : Number.isFinite(v) ? C2 : C2 | C0;
      }
      this.sw = (this.sw & ~(C0 | C1 | C2 | C3)) | codes | sign;
      return;
    }
    if (modrm === 0xe4) { // FTST
      this.memDenormal = false;
      this.cells[TMP] = 0;
      if (this.isEmpty(p0)) {
        this.stackFault(0);
        this.setCompareCodes(UNORDERED);
      } else this.setCompareCodes(this.compare(p0, TMP, false));
      return;
    }
    if (!this.needs(p0, -1, p0)) return;
    this.sw &= ~C1;
    const hi = this.bits[2 * p0 + 1]!;
    this.bits[2 * p0 + 1] = modrm === 0xe0 ? hi ^ 0x80000000 : hi & 0x7fffffff;
  }

  private loadConstant(index: number): void {
    const p = this.pushSlot();
    if (p < 0) return;
    this.sw &= ~C1;
    this.cells[p] = CONSTANTS[index as 0]![this.rc]!;
    this.commitPush(p);
  }

  // ---- D9 F0-F7: F2XM1, FYL2X, FPTAN, FPATAN, FXTRACT, FPREM1, FDECSTP, FINCSTP ----

  private transcendental(modrm: number): void {
    const p0 = this.top;
    const p1 = this.phys(1);
    switch (modrm) {
      case 0xf0: { // F2XM1
        if (!this.needs(p0, -1, p0)) return;
        const x = this.cells[p0]!;
        if (x !== x) return this.nanResult(p0, p0, -1);
        this.sw &= ~C1;
        if (x === 0 || x === Infinity) return;
        if (x === -Infinity) return this.store(p0, -1);
        // Beyond [-1, 1] the result is undefined; the processors we compare with return x (with PE).
        if (Math.abs(x) > 1) return void this.inexact(x);
        const t = x * Math.LN2;
        // 2^x - 1 = expm1(x ln 2); the product's rounding error and ln 2's tail enter linearly.
        const correction = productError(x, Math.LN2, t) + x * LN2_LOW;
        const e = Math.expm1(t);
        this.store(p0, this.inexact(e + correction * (e + 1)));
        return;
      }
      case 0xf1: case 0xf9: { // FYL2X, FYL2XP1
        if (!this.needs(p0, p1, p1)) {
          if (!this.unmasked(IE)) this.pop();
          return;
        }
        const x = this.cells[p0]!;
        const y = this.cells[p1]!;
        if (x !== x || y !== y) {
          this.nanResult(p1, p0, p1);
          if (!this.stoppedByUnmasked()) this.pop();
          return;
        }
        this.sw &= ~C1;
        let r: number;
        if (modrm === 0xf1) {
          if (x === 0 && y !== 0 && Number.isFinite(y)) {
            this.exc |= ZE;
            if (this.unmasked(ZE)) return;
            r = y > 0 ? -Infinity : Infinity;
          } else r = y * Math.log2(x);
        } else r = y * (Math.log1p(x) * Math.LOG2E);
        // The x87 reports PE for every finite non-zero result, even an exact one (log2 8 = 3).
        const exact = r === 0 || !Number.isFinite(r);
        if (r !== r) {
          this.invalid(p1);
          if (!this.unmasked(IE)) this.pop();
          return;
        }
        if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y) && x !== 0) r = this.overflow(r > 0);
        else if (!exact) this.inexact(r);
        this.store(p1, r);
        this.pop();
        return;
      }
      case 0xf2: case 0xfb: { // FPTAN; FSINCOS is here too (D9 FB)
        this.pushingTrig(modrm);
        return;
      }
      case 0xf3: { // FPATAN: ST(1) := atan2(ST(1), ST(0)), pop
        if (!this.needs(p0, p1, p1)) {
          if (!this.unmasked(IE)) this.pop();
          return;
        }
        const x = this.cells[p0]!;
        const y = this.cells[p1]!;
        if (x !== x || y !== y) {
          this.nanResult(p1, p1, p0);
          if (!this.stoppedByUnmasked()) this.pop();
          return;
        }
        this.sw &= ~C1;
        const r = Math.atan2(y, x);
        this.store(p1, r);
        // atan2 is exact only when it is a zero.
        if (r !== 0) this.inexact(r);
        this.pop();
        return;
      }
      case 0xf4: { // FXTRACT
        const p = (this.top - 1) & 7;
        if (!this.needs(p0, -1, p0)) {
          // A masked underflow pushes the indefinite QNaN as well.
          if (!this.unmasked(IE)) {
            this.setIndefinite(p);
            this.commitPush(p);
          }
          return;
        }
        if (!this.isEmpty(p)) {
          this.stackFault(C1);
          if (this.unmasked(IE)) return;
          this.setIndefinite(p0);
          this.setIndefinite(p);
          this.setValid(p);
          this.top = p;
          return;
        }
        const x = this.cells[p0]!;
        this.sw &= ~C1;
        if (x !== x) {
          this.nanResult(p0, p0, -1);
          if (this.unmasked(IE) && (this.exc & IE) !== 0) return;
          this.copyCell(p, p0);
        } else if (x === 0) {
          this.exc |= ZE;
          if (this.unmasked(ZE)) return;
          this.cells[p] = x;
          this.cells[p0] = -Infinity;
        } else if (!Number.isFinite(x)) {
          this.cells[p] = x;
          this.cells[p0] = Infinity;
        } else {
          const e = exponentOf(x);
          this.cells[p] = scale(x, -e);
          this.cells[p0] = e;
        }
        this.commitPush(p);
        return;
      }
      case 0xf5: // FPREM1
        this.fprem(true);
        return;
      case 0xf6: // FDECSTP
        this.top = (this.top - 1) & 7;
        this.sw &= ~C1;
        return;
      case 0xf7: // FINCSTP
        this.top = (this.top + 1) & 7;
        this.sw &= ~C1;
        return;
    }
  }

  /** A libm result: PE, C1 cleared (the direction of a libm rounding is unknown), UE when tiny. */
  private inexact(r: number): number {
    this.exc |= PE;
    if (r !== 0 && Math.abs(r) < DBL_MIN) this.exc |= UE;
    this.sw &= ~C1;
    return r;
  }

  /** FPTAN (push 1.0 after tan) and FSINCOS (push cos after sin). */
  private pushingTrig(modrm: number): void {
    const p0 = this.top;
    if (!this.needs(p0, -1, p0)) {
      // A masked underflow also pushes the indefinite QNaN.
      if (!this.unmasked(IE)) {
        const p = (this.top - 1) & 7;
        this.setIndefinite(p);
        this.commitPush(p);
      }
      return;
    }
    const p = (this.top - 1) & 7;
    if (!this.isEmpty(p)) {
      this.stackFault(C1);
      if (this.unmasked(IE)) return;
      this.setIndefinite(p0);
      this.setIndefinite(p);
      this.commitPush(p);
      return;
    }
    const x = this.cells[p0]!;
    this.sw &= ~(C1 | C2);
    if (x !== x) {
      this.nanResult(p0, p0, -1);
      if ((this.exc & IE) !== 0 && this.unmasked(IE)) return;
      this.copyCell(p, p0);
      this.commitPush(p);
      return;
    }
    if (!Number.isFinite(x)) {
      this.invalid(p0);
      if (this.unmasked(IE)) return;
      this.setIndefinite(p);
      this.commitPush(p);
      return;
    }
    if (Math.abs(x) >= 2 ** 63) {
      this.sw |= C2;
      return;
    }
    if (modrm === 0xf2) {
      this.cells[p0] = x === 0 ? x : this.inexact(Math.tan(x));
      this.cells[p] = 1;
    } else {
      this.cells[p0] = x === 0 ? x : this.inexact(Math.sin(x));
      this.cells[p] = x === 0 ? 1 : this.inexact(Math.cos(x));
    }
    this.commitPush(p);
  }

  // ---- D9 F8-FF: FPREM, FYL2XP1, FSQRT, FSINCOS, FRNDINT, FSCALE, FSIN, FCOS ----

  private misc(modrm: number): void {
    const p0 = this.top;
    switch (modrm) {
      case 0xf8: this.fprem(false); return;
      case 0xf9: this.transcendental(modrm); return;
      case 0xfb: this.pushingTrig(modrm); return;
      case 0xfa: { // FSQRT
        if (!this.needs(p0, -1, p0)) return;
        const x = this.cells[p0]!;
        if (x !== x) return this.nanResult(p0, p0, -1);
        if (x < 0) return void this.invalid(p0);
        if (x === 0 || x === Infinity) {
          this.setArithmeticCodes(false);
          return;
        }
        const r = Math.sqrt(x);
        this.store(p0, this.rounded(r, sqrtErrorSign(x, r)));
        return;
      }
      case 0xfc: { // FRNDINT
        if (!this.needs(p0, -1, p0)) return;
        const x = this.cells[p0]!;
        if (x !== x) return this.nanResult(p0, p0, -1);
        const r = roundToInteger(x, this.rc);
        this.setArithmeticCodes(Math.abs(r) > Math.abs(x));
        if (r !== x) {
          this.exc |= PE;
          this.cells[p0] = r;
        }
        return;
      }
      case 0xfd: this.fscale(); return;
      case 0xfe: case 0xff: { // FSIN, FCOS
        if (!this.needs(p0, -1, p0)) return;
        const x = this.cells[p0]!;
        this.sw &= ~(C1 | C2);
        if (x !== x) return this.nanResult(p0, p0, -1);
        if (!Number.isFinite(x)) return void this.invalid(p0);
        if (Math.abs(x) >= 2 ** 63) {
          this.sw |= C2;
          return;
        }
        if (modrm === 0xfe) {
          if (x !== 0) this.cells[p0] = this.inexact(Math.sin(x));
        } else this.cells[p0] = x === 0 ? 1 : this.inexact(Math.cos(x));
        return;
      }
    }
  }

  private fscale(): void {
    const p0 = this.top;
    const p1 = this.phys(1);
    if (!this.needs(p0, p1, p0)) return;
    const x = this.cells[p0]!;
    const y = this.cells[p1]!;
    if (x !== x || y !== y) return this.nanResult(p0, p0, p1);
    if ((x === 0 && y === Infinity) || (!Number.isFinite(x) && y === -Infinity)) return void this.invalid(p0);
    this.setArithmeticCodes(false);
    if (x === 0 || !Number.isFinite(x)) return;
    if (!Number.isFinite(y)) return this.store(p0, y > 0 ? x * Infinity : x * 0);
    const n = Math.trunc(Math.max(-1e5, Math.min(1e5, y)));
    const e = exponentOf(x);
    const m = scale(x, -e); // [1, 2)
    const t = e + n;
    if (t > 1023) return this.store(p0, this.overflow(x > 0));
    if (t >= -1022) return this.store(p0, m * pow2(t));
    // Into the denormal range: one rounding, then the exact error by scaling back.
    const r = t < -1130 ? m * 0 : m * pow2(t + 100) * pow2(-100);
    this.store(p0, this.rounded(r, Math.sign(m - scale(r, -t))));
  }

  private fprem(ieee: boolean): void {
    const p0 = this.top;
    const p1 = this.phys(1);
    // Underflow, NaN and invalid operands clear C1 and C2 and keep C0 and C3; results set all four.
    this.sw &= ~(C1 | C2);
    if (!this.needs(p0, p1, p0)) return;
    const a = this.cells[p0]!;
    const b = this.cells[p1]!;
    if (a !== a || b !== b) return this.nanResult(p0, p0, p1);
    if (!Number.isFinite(a) || b === 0) return void this.invalid(p0);
    this.sw &= ~(C0 | C3);
    if (a === 0 || !Number.isFinite(b)) return;
    const d = exponentOf(a) - exponentOf(b);
    const ab = Math.abs(a);
    const bb = Math.abs(b);
    if (d >= 64) {
      // Partial remainder: reduce by a multiple of b * 2^(d - N), N = 32 + (d mod 32).
      const chunk = scale(bb, d - 32 - (d % 32));
      const r = ab % chunk;
      this.cells[p0] = a < 0 ? -r : r;
      this.sw |= C2;
      return;
    }
    let r = ab % bb;
    // q mod 8 from the remainders modulo b and 8b (both exact).
    const eight = 8 * bb;
    let q = Number.isFinite(eight) ? Math.round(((ab % eight) - r) / bb) : Math.round((ab - r) / bb);
    if (ieee && (r > bb / 2 || (r === bb / 2 && (q & 1) !== 0))) {
      r -= bb;
      q++;
    }
    this.cells[p0] = r === 0 ? (a < 0 ? -0 : 0) : a < 0 ? -r : r;
    this.sw |= ((q & 4) !== 0 ? C0 : 0) | ((q & 2) !== 0 ? C3 : 0) | ((q & 1) !== 0 ? C1 : 0);
  }

  // ---- memory forms ----

  private executeMemory(op: number, linear: number, o16: boolean, realMode: boolean): void {
    const host = this.host;
    const esc = op >> 3;
    const reg = op & 7;
    switch (esc) {
      case 0: case 2: case 4: case 6: { // arithmetic and compares with m32fp, m32int, m64fp, m16int
        if (esc === 0) this.loadM32(linear);
        else if (esc === 4) this.loadM64(linear);
        else {
          this.memDenormal = false;
          this.cells[MEM] = esc === 2 ? host.readMem32(linear) : (host.readMem16(linear) << 16) >> 16;
        }
        const p0 = this.top;
        if (reg === 2 || reg === 3) return this.fcom(MEM, -1, false, reg - 2);
        if (this.needs(p0, -1, p0)) this.arithOrdered(reg, p0, p0, MEM);
        return;
      }
      case 1:
        switch (reg) {
          case 0: this.loadM32(linear); return this.fldMem(true);
          case 2: case 3: return this.storeM32(linear, reg === 3);
          case 4: return this.loadEnv(linear, o16, realMode);
          case 5:
            this.cw = (host.readMem16(linear) & 0x1f3f) | 0x40;
            this.updateSummary();
            return;
          case 6:
            this.storeEnv(linear, o16, realMode);
            // FNSTENV masks all exceptions after storing.
            this.cw |= EXCEPTIONS;
            this.updateSummary();
            return;
          case 7: host.writeMem16(linear, this.cw); return;
        }
        return;
      case 3:
        switch (reg) {
          case 0:
            this.memDenormal = false;
            this.cells[MEM] = host.readMem32(linear);
            return this.fldMem(false);
          case 2: case 3: return this.storeInt(linear, 32, reg === 3);
          case 5: this.loadM80(linear, MEM); return this.fldMem(false);
          case 7: return this.storeM80(linear);
        }
        return;
      case 5:
        switch (reg) {
          case 0: this.loadM64(linear); return this.fldMem(true);
          case 2: case 3: return this.storeM64(linear, reg === 3);
          case 4: return this.frstor(linear, o16, realMode);
          case 6: return this.fsave(linear, o16, realMode);
          case 7: host.writeMem16(linear, this.statusWord); return;
        }
        return;
      case 7:
        switch (reg) {
          case 0:
            this.memDenormal = false;
            this.cells[MEM] = (host.readMem16(linear) << 16) >> 16;
            return this.fldMem(false);
          case 2: case 3: return this.storeInt(linear, 16, reg === 3);
          case 4: this.loadBcd(linear); return this.fldMem(false);
          case 5: {
            const lo = host.readMem32(linear) >>> 0;
            const hi = host.readMem32(linear + 4);
            this.memDenormal = false;
            this.cells[MEM] = hi * 4294967296 + lo;
            return this.fldMem(false);
          }
          case 6: return this.fbstp(linear);
          case 7: return this.storeInt(linear, 64, true);
        }
    }
  }

  private loadM32(linear: number): void {
    const raw = this.host.readMem32(linear) >>> 0;
    const exp = (raw >>> 23) & 0xff;
    const frac = raw & 0x7fffff;
    this.memDenormal = exp === 0 && frac !== 0;
    if (exp === 0xff && frac !== 0) {
      // NaN: widen by bits so a signalling NaN stays signalling.
      this.bits[2 * MEM] = (frac << 29) >>> 0;
      this.bits[2 * MEM + 1] = ((raw & 0x80000000) | 0x7ff00000 | (frac >>> 3)) >>> 0;
      return;
    }
    const sign = raw >>> 31 ? -1 : 1;
    this.cells[MEM] = exp === 0 ? sign * frac * 2 ** -149 : exp === 0xff ? sign * Infinity : sign * (0x800000 + frac) * pow2(exp - 150);
  }

  private loadM64(linear: number): void {
    const lo = this.host.readMem32(linear) >>> 0;
    const hi = this.host.readMem32(linear + 4) >>> 0;
    this.bits[2 * MEM] = lo;
    this.bits[2 * MEM + 1] = hi;
    this.memDenormal = (hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0;
  }

  /** FLD of the MEM cell; `fromDouble`: an m32/m64 source, whose SNaN raises IE and is quieted. */
  private fldMem(fromDouble: boolean): void {
    const p = this.pushSlot();
    if (p < 0) return;
    this.sw &= ~C1;
    if (fromDouble) {
      if (this.isSNaNCell(MEM)) {
        this.exc |= IE;
        if (this.unmasked(IE)) return;
        this.bits[2 * MEM + 1] = this.bits[2 * MEM + 1]! | 0x80000;
      } else if (this.memDenormal) this.exc |= DE;
    }
    this.copyCell(p, MEM);
    this.commitPush(p);
  }

  /** Whether ST(0) can be stored; false after a stack underflow (the caller stores the masked response). */
  private storeSource(): boolean {
    if (!this.isEmpty(this.top)) return true;
    this.stackFault(0);
    return false;
  }

  private storeM32(linear: number, pop: boolean): void {
    const p0 = this.top;
    let raw: number;
    this.sw &= ~C1;
    if (!this.storeSource()) {
      if (this.unmasked(IE)) return;
      raw = 0xffc00000;
    } else {
      const x = this.cells[p0]!;
      if (x !== x) {
        if (this.isSNaNCell(p0)) {
          this.exc |= IE;
          if (this.unmasked(IE)) return;
        }
        const hi = this.bits[2 * p0 + 1]!, lo = this.bits[2 * p0]!;
        raw = (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29);
      } else {
        const f = this.roundToFloat(x);
        if (f === undefined) return;
        raw = this.floatBits(f);
      }
    }
    this.host.writeMem32(linear, raw | 0);
    if (pop) this.pop();
  }

  private readonly f32 = new Float32Array(1);
  private readonly f32bits = new Uint32Array(this.f32.buffer);
  private floatBits(f: number): number {
    this.f32[0] = f;
    return this.f32bits[0]!;
  }

  /** x rounded to binary32 under RC with PE/UE/OE and C1; undefined when an unmasked OE/UE stops the store. */
  private roundToFloat(x: number): number | undefined {
    if (x === 0 || !Number.isFinite(x)) return x;
    const rc = this.rc;
    const away = (rc === RC_UP && x > 0) || (rc === RC_DOWN && x < 0);
    const ax = Math.abs(x);
    let f = ax >= 2 ** 128 ? x * Infinity : Math.fround(x);
    let s: number;
    if (!Number.isFinite(f)) {
      // Between the largest float and 2^128 only rounding towards zero stays finite.
      if (ax >= 2 ** 128 || rc === RC_NEAREST || away) return this.floatOverflow(x, rc);
      f = x > 0 ? FLT_MAX : -FLT_MAX;
      s = Math.sign(x);
    } else {
      s = Math.sign(x - f); // exact: f lies within a factor of two of x, or is 0
      if (s !== 0 && this.movesAway(rc, s, f)) {
        f = this.nextFloat(f, rc === RC_DOWN ? -1 : rc === RC_UP ? 1 : f > 0 ? -1 : 1);
        s = -s;
        if (!Number.isFinite(f)) return this.floatOverflow(x, rc);
      }
    }
    // Tininess after rounding: x rounded to 24 bits with an unbounded exponent lies below FLT_MIN.
    const tiny = ax < FLT_MIN && Math.abs(this.roundFloatUnbounded(x * 2 ** 64, rc)) < FLT_MIN * 2 ** 64;
    if (tiny && this.unmasked(UE)) {
      this.exc |= UE;
      return undefined;
    }
    if (s !== 0) {
      this.exc |= tiny ? PE | UE : PE;
      this.setC1(Math.abs(f) > ax);
    }
    return f;
  }

  /** Whether directed rounding must move the nearest result f one step (s: sign of exact - f). */
  private movesAway(rc: number, s: number, f: number): boolean {
    return rc === RC_DOWN ? s < 0 : rc === RC_UP ? s > 0 : rc === RC_CHOP ? (s < 0 && f > 0) || (s > 0 && f < 0) : false;
  }

  private floatOverflow(x: number, rc: number): number | undefined {
    this.exc |= OE;
    if (this.unmasked(OE)) return undefined;
    this.exc |= PE;
    const toInfinity = rc === RC_NEAREST || (rc === RC_UP && x > 0) || (rc === RC_DOWN && x < 0);
    this.setC1(toInfinity);
    return toInfinity ? x * Infinity : x > 0 ? FLT_MAX : -FLT_MAX;
  }

  private roundFloatUnbounded(x: number, rc: number): number {
    const f = Math.fround(x);
    const s = Math.sign(x - f);
    if (s === 0 || !this.movesAway(rc, s, f)) return f;
    return this.nextFloat(f, rc === RC_DOWN ? -1 : rc === RC_UP ? 1 : f > 0 ? -1 : 1);
  }

  /** The float next to f (finite) in direction dir (+1 up, -1 down). */
  private nextFloat(f: number, dir: number): number {
    if (f === 0) return dir * 2 ** -149;
    this.f32[0] = f;
    this.f32bits[0] = this.f32bits[0]! + ((f > 0) === (dir > 0) ? 1 : -1);
    return this.f32[0]!;
  }

  private storeM64(linear: number, pop: boolean): void {
    const p0 = this.top;
    this.sw &= ~C1;
    if (!this.storeSource()) {
      if (this.unmasked(IE)) return;
      this.setIndefinite(TMP);
    } else if (this.isSNaNCell(p0)) {
      this.exc |= IE;
      if (this.unmasked(IE)) return;
      this.setQuietCopy(TMP, p0);
    } else {
      // A denormal double is tiny in m64 (exactly stored): only an unmasked UE notices.
      const x = this.cells[p0]!;
      if (x !== 0 && Math.abs(x) < DBL_MIN && this.unmasked(UE)) {
        this.exc |= UE;
        return;
      }
      this.copyCell(TMP, p0);
    }
    this.host.writeMem32(linear, this.bits[2 * TMP]! | 0);
    this.host.writeMem32(linear + 4, this.bits[2 * TMP + 1]! | 0);
    if (pop) this.pop();
  }

  private storeM80(linear: number): void {
    const p0 = this.top;
    this.sw &= ~C1;
    if (!this.storeSource()) {
      if (this.unmasked(IE)) return;
      this.setIndefinite(TMP);
    } else this.copyCell(TMP, p0);
    this.encode80(TMP);
    this.write80(linear);
    this.pop();
  }

  private write80(linear: number): void {
    this.host.writeMem32(linear, this.e80lo | 0);
    this.host.writeMem32(linear + 4, this.e80hi | 0);
    this.host.writeMem16(linear + 8, this.e80se);
  }

  /** FIST/FISTP m16/m32/m64 under RC; out of range or NaN: IE and the integer indefinite. */
  private storeInt(linear: number, width: number, pop: boolean): void {
    const p0 = this.top;
    this.sw &= ~C1;
    let r: number;
    if (!this.storeSource()) {
      if (this.unmasked(IE)) return;
      r = NaN;
    } else {
      const x = this.cells[p0]!;
      r = roundToInteger(x, this.rc);
      const limit = 2 ** (width - 1);
      if (!(r >= -limit && r < limit)) {
        this.exc |= IE;
        if (this.unmasked(IE)) return;
        r = NaN;
      } else if (r !== x) {
        this.exc |= PE;
        this.setC1(Math.abs(r) > Math.abs(x));
      }
    }
    const host = this.host;
    if (width === 16) host.writeMem16(linear, r === r ? r & 0xffff : 0x8000);
    else if (width === 32) host.writeMem32(linear, r === r ? r | 0 : -0x80000000);
    else if (r !== r) {
      host.writeMem32(linear, 0);
      host.writeMem32(linear + 4, -0x80000000);
    } else {
      const hi = Math.floor(r / 4294967296);
      host.writeMem32(linear, (r - hi * 4294967296) | 0);
      host.writeMem32(linear + 4, hi | 0);
    }
    if (pop) this.pop();
  }

  private loadBcd(linear: number): void {
    const host = this.host;
    let high = 0;
    let low = 0;
    for (let i = 8; i >= 0; i--) {
      const byte = host.readMem8(linear + i);
      const pair = (byte >> 4) * 10 + (byte & 15);
      if (i >= 5) high = high * 100 + pair;
      else if (i === 4) {
        high = high * 10 + (byte >> 4);
        low = byte & 15;
      } else low = low * 100 + pair;
    }
    const negative = (host.readMem8(linear + 9) & 0x80) !== 0;
    // high < 2^30 and 10^9 = 2^9 * 1953125, so high * 10^9 is exact; the sum rounds once.
    const value = high * 1e9 + low;
    this.memDenormal = false;
    this.cells[MEM] = negative ? -value : value;
  }

  private fbstp(linear: number): void {
    const p0 = this.top;
    this.sw &= ~C1;
    let indefinite = false;
    let value = 0;
    if (!this.storeSource()) {
      if (this.unmasked(IE)) return;
      indefinite = true;
    } else {
      const x = this.cells[p0]!;
      value = roundToInteger(x, this.rc);
      if (!(Math.abs(value) < 1e18)) {
        this.exc |= IE;
        if (this.unmasked(IE)) return;
        indefinite = true;
      } else if (value !== x) {
        this.exc |= PE;
        this.setC1(Math.abs(value) > Math.abs(x));
      }
    }
    const host = this.host;
    if (indefinite) {
      for (let i = 0; i < 7; i++) host.writeMem8(linear + i, 0);
      host.writeMem8(linear + 7, 0xc0);
      host.writeMem8(linear + 8, 0xff);
      host.writeMem8(linear + 9, 0xff);
    } else {
      const negative = value < 0 || Object.is(value, -0);
      const a = Math.abs(value);
      let high = Math.floor(a / 1e9);
      let low = a - high * 1e9;
      if (low < 0) {
        high--;
        low += 1e9;
      } else if (low >= 1e9) {
        high++;
        low -= 1e9;
      }
      for (let i = 0; i < 9; i++) {
        let part: number;
        if (i < 4) {
          part = low % 100;
          low = (low - part) / 100;
        } else if (i === 4) {
          part = low + (high % 10) * 10;
          high = (high - (high % 10)) / 10;
        } else {
          part = high % 100;
          high = (high - part) / 100;
        }
        host.writeMem8(linear + i, ((part / 10) | 0) * 16 + (part % 10));
      }
      host.writeMem8(linear + 9, negative ? 0x80 : 0);
    }
    this.pop();
  }

  // ---- 80-bit conversion ----

  /** Sets e80lo/e80hi/e80se from a cell (exact for every double). */
  private encode80(c: number): void {
    let lo = this.bits[2 * c]!;
    let hi = this.bits[2 * c + 1]!;
    const sign = (hi >>> 31) << 15;
    let exp = (hi >>> 20) & 0x7ff;
    let bias = 16383 - 1023;
    if (exp === 0) {
      if ((hi & 0xfffff) === 0 && lo === 0) {
        this.e80lo = this.e80hi = 0;
        this.e80se = sign;
        return;
      }
      // A denormal double is a normal extended value: normalise through an exact scaling.
      this.cells[TMP] = this.cells[c]! * 2 ** 64;
      lo = this.bits[2 * TMP]!;
      hi = this.bits[2 * TMP + 1]!;
      exp = (hi >>> 20) & 0x7ff;
      bias -= 64;
    }
    this.e80lo = (lo << 11) >>> 0;
    this.e80hi = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
    this.e80se = sign | (exp === 0x7ff ? 0x7fff : exp + bias);
  }

  /** Decodes an m80 image into a cell (see the precision notes). */
  private decode80(lo: number, hi: number, se: number, c: number): void {
    const exp = se & 0x7fff;
    const negative = (se & 0x8000) !== 0;
    if (exp === 0x7fff) {
      if ((hi & 0x80000000) === 0) return this.setIndefinite(c);
      let fracHi = (hi >>> 11) & 0xfffff;
      let fracLo = ((hi << 21) | (lo >>> 11)) >>> 0;
      const nan = (hi & 0x7fffffff) !== 0 || lo !== 0;
      if (nan && fracHi === 0 && fracLo === 0) fracLo = 1;
      if (!nan) fracHi = fracLo = 0;
      this.bits[2 * c] = fracLo;
      this.bits[2 * c + 1] = ((negative ? 0x80000000 : 0) | 0x7ff00000 | fracHi) >>> 0;
      return;
    }
    let v: number;
    if (exp !== 0 && (hi & 0x80000000) === 0) return this.setIndefinite(c); // unnormal
    const e = exp === 0 ? -16382 : exp - 16383;
    if (hi === 0 && lo === 0) v = 0;
    else if (e > 1023) v = Infinity;
    else if (e >= -1022) v = (hi * 4294967296 + lo) * 2 ** -63 * pow2(e);
    else v = this.denormalFrom80(lo, hi, e);
    this.cells[c] = negative ? -v : v;
  }

  /** An m80 value below DBL_MIN, rounded once to the denormal grid (nearest-even). */
  private denormalFrom80(lo: number, hi: number, e: number): number {
    // value = m * 2^(e - 63); grid 2^-1074: keep m >> k, k = -1074 - (e - 63).
    const k = -1074 - (e - 63);
    if (k > 65) return 0;
    let m = (BigInt(hi) << 32n) | BigInt(lo);
    const shift = BigInt(k);
    let q = m >> shift;
    const rest = m - (q << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
    m = q;
    return Number(m) * 2 ** -1074;
  }

  private loadM80(linear: number, c: number): void {
    const lo = this.host.readMem32(linear) >>> 0;
    const hi = this.host.readMem32(linear + 4) >>> 0;
    const se = this.host.readMem16(linear + 8);
    this.memDenormal = false;
    this.decode80(lo, hi, se, c);
  }

  // ---- environment ----

  private storeEnv(linear: number, o16: boolean, realMode: boolean): number {
    const host = this.host;
    const tw = this.tagWord;
    if (o16) {
      host.writeMem16(linear, this.cw);
      host.writeMem16(linear + 2, this.statusWord);
      host.writeMem16(linear + 4, tw);
      if (realMode) {
        host.writeMem16(linear + 6, this.fip & 0xffff);
        host.writeMem16(linear + 8, ((this.fip >>> 4) & 0xf000) | (this.fop & 0x7ff));
        host.writeMem16(linear + 10, this.fdp & 0xffff);
        host.writeMem16(linear + 12, (this.fdp >>> 4) & 0xf000);
      } else {
        host.writeMem16(linear + 6, this.fip & 0xffff);
        host.writeMem16(linear + 8, this.fcs);
        host.writeMem16(linear + 10, this.fdp & 0xffff);
        host.writeMem16(linear + 12, this.fds);
      }
      return 14;
    }
    host.writeMem32(linear, this.cw | 0xffff0000);
    host.writeMem32(linear + 4, this.statusWord | 0xffff0000);
    host.writeMem32(linear + 8, tw | 0xffff0000);
    if (realMode) {
      host.writeMem32(linear + 12, (this.fip & 0xffff) | 0xffff0000);
      host.writeMem32(linear + 16, ((this.fip >>> 16) << 12) | (this.fop & 0x7ff));
      host.writeMem32(linear + 20, (this.fdp & 0xffff) | 0xffff0000);
      host.writeMem32(linear + 24, (this.fdp >>> 16) << 12);
    } else {
      host.writeMem32(linear + 12, this.fip | 0);
      host.writeMem32(linear + 16, (this.fcs & 0xffff) | ((this.fop & 0x7ff) << 16));
      host.writeMem32(linear + 20, this.fdp | 0);
      host.writeMem32(linear + 24, (this.fds & 0xffff) | 0xffff0000);
    }
    return 28;
  }

  /** Reads an environment image into the env* fields; commitEnv applies it once every read has succeeded. */
  private readEnv(linear: number, o16: boolean, realMode: boolean): void {
    const host = this.host;
    const r16 = (offset: number): number => host.readMem16(linear + offset); // control path only
    let cw: number, sw: number, tw: number, fip: number, fcs = 0, fop: number, fdp: number, fds = 0;
    if (o16) {
      cw = r16(0);
      sw = r16(2);
      tw = r16(4);
      if (realMode) {
        const w8 = r16(8);
        fip = r16(6) | ((w8 & 0xf000) << 4);
        fop = w8 & 0x7ff;
        fdp = r16(10) | ((r16(12) & 0xf000) << 4);
      } else {
        fip = r16(6);
        fcs = r16(8);
        fop = 0;
        fdp = r16(10);
        fds = r16(12);
      }
    } else {
      cw = r16(0);
      sw = r16(4);
      tw = r16(8);
      if (realMode) {
        const w16 = host.readMem32(linear + 16);
        fip = (r16(12) | ((w16 >>> 12) << 16)) >>> 0;
        fop = w16 & 0x7ff;
        fdp = (r16(20) | ((host.readMem32(linear + 24) >>> 12) << 16)) >>> 0;
      } else {
        fip = host.readMem32(linear + 12) >>> 0;
        const w16 = host.readMem32(linear + 16);
        fcs = w16 & 0xffff;
        fop = (w16 >>> 16) & 0x7ff;
        fdp = host.readMem32(linear + 20) >>> 0;
        fds = r16(24);
      }
    }
    this.envCw = cw;
    this.envSw = sw;
    this.envTw = tw;
    this.envPointers[0] = fip;
    this.envPointers[1] = fcs;
    this.envPointers[2] = fop;
    this.envPointers[3] = fdp;
    this.envPointers[4] = fds;
  }
  private envCw = 0;
  private envSw = 0;
  private envTw = 0;
  private readonly envPointers = new Uint32Array(5);

  private commitEnv(): void {
    this.cw = (this.envCw & 0x1f3f) | 0x40;
    this.statusWord = this.envSw;
    this.tagWord = this.envTw;
    this.fip = this.envPointers[0]!;
    this.fcs = this.envPointers[1]!;
    this.fop = this.envPointers[2]!;
    this.fdp = this.envPointers[3]!;
    this.fds = this.envPointers[4]!;
    this.updateSummary();
  }

  private loadEnv(linear: number, o16: boolean, realMode: boolean): void {
    this.readEnv(linear, o16, realMode);
    this.commitEnv();
  }

  private fsave(linear: number, o16: boolean, realMode: boolean): void {
    const size = this.storeEnv(linear, o16, realMode);
    for (let i = 0; i < 8; i++) {
      this.encode80(this.phys(i));
      this.write80(linear + size + 10 * i);
    }
    this.reset();
  }

  private frstor(linear: number, o16: boolean, realMode: boolean): void {
    this.readEnv(linear, o16, realMode);
    const size = o16 ? 14 : 28;
    const host = this.host;
    // Read every register before changing anything: a fault leaves the FPU as it was.
    for (let i = 0; i < 8; i++) {
      const at = linear + size + 10 * i;
      const lo = host.readMem32(at) >>> 0;
      const hi = host.readMem32(at + 4) >>> 0;
      const se = host.readMem16(at + 8);
      this.decode80(lo, hi, se, TMP);
      this.staged[2 * i] = this.bits[2 * TMP]!;
      this.staged[2 * i + 1] = this.bits[2 * TMP + 1]!;
    }
    this.commitEnv();
    for (let i = 0; i < 8; i++) {
      const p = this.phys(i);
      this.bits[2 * p] = this.staged[2 * i]!;
      this.bits[2 * p + 1] = this.staged[2 * i + 1]!;
    }
  }
}
