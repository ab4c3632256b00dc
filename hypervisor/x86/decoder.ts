import { Kind, PREFIXES, SLOTS, type OpEntry } from './opcodes.js';

/** Where the decoder reads instruction bytes: offset from the instruction's first byte. May throw a guest fault. */
export interface CodeSource {
  fetchCode8(offset: number): number;
}

export const enum Rep { None = 0, Repne = 0xf2, Rep = 0xf3 }

/** The longest legal instruction; a longer one raises #GP(0). */
export const MAX_LENGTH = 15;

/**
 * One decoded instruction. The CPU reuses a single object, so decoding allocates nothing. A memory
 * operand is kept as its parts (base, index, scale, displacement), because its address depends on
 * register values at execution time.
 */
export class Instruction {
  /** The table entry, or undefined for an invalid opcode (#UD). */
  entry: OpEntry | undefined = undefined;
  opcode = 0;
  modrm = 0;
  mod = 0;
  reg = 0;
  rm = 0;
  o32 = false;
  a32 = false;
  /** Segment override (0-5), or -1 for the default. */
  segment = -1;
  rep: Rep = Rep.None;
  lock = false;
  /** True when the ModRM byte names memory (mod != 3). */
  memory = false;
  base = -1;
  index = -1;
  scale = 0;
  displacement = 0;
  /** DS, or SS when the base register is (E)BP or (E)SP. */
  defaultSegment = 3;
  immediate = 0;
  immediate2 = 0;
  length = 0;
  /** True when the bytes ran past 15 (#GP). */
  tooLong = false;
  /** The code segment's default size this was decoded for (the next EIP wraps at 64 KiB when false). */
  code32 = false;
  /** Checks execute must make before running it (Check bits); 0 for most instructions. */
  checks = 0;
  /** The interpreter's handler for the entry, set by the CPU (kept here so dispatch reads one field). */
  handler: (...args: never[]) => number = () => 0;
}

/** What must be checked before an instruction runs; computed once, at decode. */
export const enum Check {
  Invalid = 1,
  LockInvalid = 2,
  Privileged = 4,
  NotInRealMode = 8,
}

const DS = 3;
const SS = 2;

/** 16-bit ModRM r/m: [base, index] registers, -1 for none. */
const RM16: readonly (readonly [number, number])[] = [[3, 6], [3, 7], [5, 6], [5, 7], [6, -1], [7, -1], [5, -1], [3, -1]];

/**
 * Decodes the instruction at the source into `insn`. `default32` is the code segment's D bit.
 * Returns the table entry (or undefined, meaning #UD once the length is known).
 */
export function decode(src: CodeSource, default32: boolean, insn: Instruction): OpEntry | undefined {
  let pos = 0;
  let o32 = default32;
  let a32 = default32;
  insn.segment = -1;
  insn.rep = Rep.None;
  insn.lock = false;
  insn.tooLong = false;

  let byte = src.fetchCode8(pos++);
  while (PREFIXES.has(byte)) {
    switch (byte) {
      case 0x66: o32 = !default32; break;
      case 0x67: a32 = !default32; break;
      case 0xf0: insn.lock = true; break;
      case 0xf2: case 0xf3: insn.rep = byte; break;
      case 0x26: insn.segment = 0; break;
      case 0x2e: insn.segment = 1; break;
      case 0x36: insn.segment = 2; break;
      case 0x3e: insn.segment = 3; break;
      case 0x64: insn.segment = 4; break;
      case 0x65: insn.segment = 5; break;
    }
    if (pos >= MAX_LENGTH) return tooLong(insn, pos);
    byte = src.fetchCode8(pos++);
  }
  let opcode = byte;
  if (opcode === 0x0f) opcode = 0x100 | src.fetchCode8(pos++);
  insn.opcode = opcode;
  insn.o32 = o32;
  insn.a32 = a32;
  insn.memory = false;
  insn.base = -1;
  insn.index = -1;
  insn.scale = 0;
  insn.displacement = 0;
  insn.defaultSegment = DS;

  const slot = SLOTS[opcode];
  let entry: OpEntry | undefined = slot?.plain;
  if (slot?.modrm) {
    const modrm = src.fetchCode8(pos++);
    insn.modrm = modrm;
    insn.mod = modrm >> 6;
    insn.reg = (modrm >> 3) & 7;
    insn.rm = modrm & 7;
    if (slot.exact?.has(modrm)) entry = slot.exact.get(modrm);
    else if (slot.members) entry = slot.members[insn.reg * 2 + (insn.mod === 3 ? 1 : 0)];
    if (insn.mod !== 3) pos = a32 ? decodeAddress32(src, insn, pos) : decodeAddress16(src, insn, pos);
  }
  if (entry) {
    if (entry.operands.length && !validForm(entry, insn)) entry = undefined;
    else {
      let immediates = 0;
      for (const operand of entry.operands) {
        let size = 0;
        switch (operand.kind) {
          case Kind.Imm: size = operand.size === 0 ? (o32 ? 4 : 2) : operand.size; break;
          case Kind.ImmSx: size = 1; break;
          case Kind.Rel: size = operand.size === 1 ? 1 : o32 ? 4 : 2; break;
          case Kind.Moffs: size = a32 ? 4 : 2; break;
          case Kind.FarImm: {
            insn.immediate = readImmediate(src, pos, o32 ? 4 : 2, false);
            pos += o32 ? 4 : 2;
            insn.immediate2 = readImmediate(src, pos, 2, false);
            pos += 2;
            continue;
          }
          default: continue;
        }
        // The first immediate goes to `immediate`, a second (ENTER Iw,Ib) to `immediate2`.
        const value = readImmediate(src, pos, size, operand.kind === Kind.ImmSx || operand.kind === Kind.Rel);
        if (operand.kind === Kind.Moffs) insn.displacement = value;
        else if (immediates++ === 0) insn.immediate = value;
        else insn.immediate2 = value;
        pos += size;
        if (pos > MAX_LENGTH) return tooLong(insn, pos);
      }
    }
  }
  if (pos > MAX_LENGTH) return tooLong(insn, pos);
  insn.length = pos;
  insn.entry = entry;
  insn.code32 = default32;
  insn.checks = entry === undefined
    ? Check.Invalid
    : (insn.lock && (!entry.lockable || !insn.memory) ? Check.LockInvalid : 0) | (entry.privileged ? Check.Privileged : 0) | (entry.noReal ? Check.NotInRealMode : 0);
  if (entry !== undefined) insn.handler = entry.handler;
  return entry;
}

function tooLong(insn: Instruction, pos: number): undefined {
  insn.length = pos;
  insn.tooLong = true;
  insn.entry = undefined;
  insn.checks = Check.Invalid;
  return undefined;
}

function validForm(entry: OpEntry, insn: Instruction): boolean {
  for (const o of entry.operands) {
    if (o.kind !== Kind.Rm) continue;
    if (o.memoryOnly && insn.mod === 3) return false;
    if (o.registerOnly && insn.mod !== 3) {
      // MOV to/from control and debug registers ignores mod: the operand is always a register.
      insn.mod = 3;
      insn.memory = false;
    }
  }
  return true;
}

function readImmediate(src: CodeSource, pos: number, size: number, signed: boolean): number {
  if (size === 1) {
    const b = src.fetchCode8(pos);
    return signed ? (b << 24) >> 24 : b;
  }
  if (size === 2) {
    const w = src.fetchCode8(pos) | (src.fetchCode8(pos + 1) << 8);
    return signed ? (w << 16) >> 16 : w;
  }
  return src.fetchCode8(pos) | (src.fetchCode8(pos + 1) << 8) | (src.fetchCode8(pos + 2) << 16) | (src.fetchCode8(pos + 3) << 24);
}

function decodeAddress16(src: CodeSource, insn: Instruction, pos: number): number {
  insn.memory = true;
  if (insn.mod === 0 && insn.rm === 6) {
    insn.displacement = readImmediate(src, pos, 2, false);
    return pos + 2;
  }
  const [base, index] = RM16[insn.rm]!;
  insn.base = base;
  insn.index = index;
  if (base === 5) insn.defaultSegment = SS;
  if (insn.mod === 1) {
    insn.displacement = readImmediate(src, pos, 1, true);
    return pos + 1;
  }
  if (insn.mod === 2) {
    insn.displacement = readImmediate(src, pos, 2, false);
    return pos + 2;
  }
  return pos;
}

function decodeAddress32(src: CodeSource, insn: Instruction, pos: number): number {
  insn.memory = true;
  let base = insn.rm;
  if (insn.rm === 4) {
    const sib = src.fetchCode8(pos++);
    insn.scale = sib >> 6;
    const index = (sib >> 3) & 7;
    insn.index = index === 4 ? -1 : index;
    base = sib & 7;
    if (base === 5 && insn.mod === 0) {
      insn.base = -1;
      insn.displacement = readImmediate(src, pos, 4, false);
      return pos + 4;
    }
  } else if (insn.rm === 5 && insn.mod === 0) {
    insn.displacement = readImmediate(src, pos, 4, false);
    return pos + 4;
  }
  insn.base = base;
  if (base === 4 || base === 5) insn.defaultSegment = SS;
  if (insn.mod === 1) {
    insn.displacement = readImmediate(src, pos, 1, true);
    return pos + 1;
  }
  if (insn.mod === 2) {
    insn.displacement = readImmediate(src, pos, 4, false);
    return pos + 4;
  }
  return pos;
}
