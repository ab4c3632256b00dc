import { Lazy, type Cpu } from './cpu.js';
import { Rep, type Instruction } from './decoder.js';
import { alu, execute, shift } from './interpreter.js';
import { Kind, Op } from './opcodes.js';
import { Exit } from './state.js';

/**
 * Translation of hot straight-line guest code into JavaScript functions, one per block. A block is a run
 * of instructions inside one physical page of flat 32-bit code, ending at the first control transfer or
 * at an instruction that may change how the following ones run (segment and control-register loads,
 * I/O, interrupts, REP strings). Each instruction becomes either specialized code (registers,
 * immediates and addresses folded to constants, semantics from the interpreter's own helpers) or a
 * call of the interpreter for that one instruction; both keep faults precise, because cpu.startEip is
 * set before anything that can fault.
 */

export interface Block {
  /**
   * Runs the block. A block whose closing branch returns to its own start loops inside, up to
   * `iterations` times; each pass stores its number in cpu.blockIterations first.
   */
  run: (cpu: Cpu, iterations: number) => Exit;
  /** Start EIPs of the block's instructions, to count those completed when one faults. */
  eips: Int32Array;
  count: number;
  /** True when the block loops on itself. */
  loops: boolean;
  /** Successor cache for chaining: up to two next EIPs and their blocks, valid for one mapping epoch. */
  successorEip: Int32Array;
  successor: (Block | undefined)[];
  successorEpoch: number;
  /** Set when the block's page is written: chains must not enter it again. */
  dead: boolean;
}

/** The most passes a looping block makes per call, which bounds how long interrupts wait. */
export const MAX_ITERATIONS = 4096;

/** Operations that never change how the next instruction is fetched or whether interrupts may come. */
const STRAIGHT = new Set<Op>([
  Op.Alu, Op.Test, Op.Inc, Op.Dec, Op.Not, Op.Neg, Op.Mul, Op.Imul1, Op.Div, Op.Idiv, Op.Imul2, Op.Imul3, Op.Shift, Op.Shld, Op.Shrd,
  Op.Bt, Op.Bsf, Op.Bsr, Op.Mov, Op.Movzx, Op.Movsx, Op.Lea, Op.Xchg, Op.Xadd, Op.Cmpxchg, Op.Cmpxchg8b, Op.Bswap, Op.Push, Op.Pop,
  Op.Pusha, Op.Popa, Op.Pushf, Op.Lahf, Op.Sahf, Op.Cbw, Op.Cwd, Op.Setcc, Op.Cmovcc, Op.Clc, Op.Stc, Op.Cmc, Op.Cld, Op.Std,
  Op.Enter, Op.Leave, Op.Bound, Op.Daa, Op.Das, Op.Aaa, Op.Aas, Op.Aam, Op.Aad, Op.Salc, Op.Xlat, Op.Nop, Op.Fpu, Op.Cpuid,
]);

/** Control transfers the translator writes itself; they end the block. */
const BRANCHES = new Set<Op>([Op.Jcc, Op.Jmp, Op.Call, Op.Ret]);

/** The longest block, in instructions. */
export const MAX_BLOCK = 64;
/** Executions of an address before its block is compiled (cold and random code stays interpreted). */
export const HOT = 16;

/** Whether an instruction may sit inside a block (possibly ending it). */
export function translatable(insn: Instruction): 'straight' | 'end' | 'no' {
  const entry = insn.entry;
  if (entry === undefined || insn.checks !== 0 || !insn.code32) return 'no';
  if (BRANCHES.has(entry.op)) return insn.o32 ? 'end' : 'no';
  if (STRAIGHT.has(entry.op)) return 'straight';
  if ((entry.op === Op.Movs || entry.op === Op.Stos || entry.op === Op.Lods || entry.op === Op.Cmps || entry.op === Op.Scas) && insn.rep === Rep.None) return 'straight';
  return 'no';
}

function address(insn: Instruction): string {
  const parts: string[] = [];
  if (insn.base >= 0) parts.push(`r[${insn.base}]`);
  if (insn.index >= 0) parts.push(insn.scale ? `(r[${insn.index}] << ${insn.scale})` : `r[${insn.index}]`);
  if (insn.displacement !== 0 || parts.length === 0) parts.push(String(insn.displacement | 0));
  return `((${parts.join(' + ')}) | 0)`;
}

const segmentOf = (insn: Instruction): number => (insn.segment >= 0 ? insn.segment : insn.defaultSegment);

const read8 = (reg: number): string => (reg < 4 ? `(r[${reg}] & 0xff)` : `((r[${reg - 4}] >> 8) & 0xff)`);
const write8 = (reg: number, value: string): string =>
  reg < 4 ? `r[${reg}] = (r[${reg}] & ~0xff) | ((${value}) & 0xff);` : `r[${reg - 4}] = (r[${reg - 4}] & ~0xff00) | (((${value}) & 0xff) << 8);`;

/** Specialized code for the common byte forms (ALU, TEST, MOV, SETcc), or undefined. */
function specializeByte(insn: Instruction): Specialized | undefined {
  const entry = insn.entry!;
  const ops = entry.operands;
  const mem = insn.memory;
  const seg = segmentOf(insn);
  const linear = (write: boolean) => `cpu.linear(${seg}, ${address(insn)}, 1, ${write})`;
  const rm = mem ? `cpu.readLinear8(${linear(false)})` : read8(insn.rm);
  switch (entry.op) {
    case Op.Alu: {
      const sub = entry.sub;
      const [d, s] = [ops[0]!.kind, ops[1]!.kind];
      const src = s === Kind.Reg ? read8(insn.reg) : s === Kind.Rm ? rm : String(insn.immediate & 0xff);
      if (d === Kind.Rm && mem) {
        if (sub === 7) return { code: `alu(cpu, 7, ${rm}, ${src}, 1);`, faults: true, branch: false };
        return { code: `{ const l = ${linear(true)}; cpu.writeLinear8(l, alu(cpu, ${sub}, cpu.readLinear8(l), ${src}, 1)); }`, faults: true, branch: false };
      }
      const dst = d === Kind.Fixed ? 0 : d === Kind.Reg ? insn.reg : insn.rm;
      const code = sub === 7 ? `alu(cpu, 7, ${read8(dst)}, ${src}, 1);` : write8(dst, `alu(cpu, ${sub}, ${read8(dst)}, ${src}, 1)`);
      return { code, faults: mem, branch: false };
    }
    case Op.Test: {
      const a = ops[0]!.kind === Kind.Fixed ? read8(0) : rm;
      const b = ops[1]!.kind === Kind.Reg ? read8(insn.reg) : String(insn.immediate & 0xff);
      return { code: `{ const a = ${a}; const b = ${b}; cpu.setLazy(${Lazy.Logic}, a, b, a & b, 8); }`, faults: mem, branch: false };
    }
    case Op.Mov: {
      const [d, s] = [ops[0]!.kind, ops[1]!.kind];
      if (d === Kind.OpReg) return { code: write8(insn.opcode & 7, String(insn.immediate & 0xff)), faults: false, branch: false };
      if (d === Kind.Reg && s === Kind.Rm) return { code: write8(insn.reg, rm), faults: mem, branch: false };
      const value = s === Kind.Reg ? read8(insn.reg) : s === Kind.Imm ? String(insn.immediate & 0xff) : undefined;
      if (d !== Kind.Rm || value === undefined) return undefined;
      return mem ? { code: `cpu.writeLinear8(${linear(true)}, ${value});`, faults: true, branch: false } : { code: write8(insn.rm, value), faults: false, branch: false };
    }
    case Op.Setcc: {
      const value = `(cpu.condition(${entry.sub}) ? 1 : 0)`;
      return mem ? { code: `cpu.writeLinear8(${linear(true)}, ${value});`, faults: true, branch: false } : { code: write8(insn.rm, value), faults: false, branch: false };
    }
    default:
      return undefined;
  }
}

/** Specialized code for the common 32-bit forms, or undefined to call the interpreter. */
interface Specialized {
  code: string;
  faults: boolean;
  branch: boolean;
  /** After this code, fa and fb hold the operands of a SUB-like or logic result in fv, for a following Jcc. */
  fused?: 'sub' | 'logic' | undefined;
}

/** A Jcc condition evaluated straight from the operands of the instruction before it, or undefined. */
function fusedCondition(code: number, fused: 'sub' | 'logic'): string | undefined {
  const tests: Record<'sub' | 'logic', (string | undefined)[]> = {
    // O, B, E, BE, S, P, L, LE (the odd codes negate)
    sub: [undefined, '(fa >>> 0) < (fb >>> 0)', 'fa === fb', '(fa >>> 0) <= (fb >>> 0)', 'fv < 0', undefined, 'fa < fb', 'fa <= fb'],
    logic: ['false', 'false', 'fv === 0', 'fv === 0', 'fv < 0', undefined, 'fv < 0', 'fv <= 0'],
  };
  const test = tests[fused][code >> 1];
  return test === undefined ? undefined : code & 1 ? `!(${test})` : `(${test})`;
}

function specialize(insn: Instruction, next: number): Specialized | undefined {
  const entry = insn.entry!;
  if (!insn.a32 || insn.lock) return undefined;
  if (entry.byteOp || entry.op === Op.Setcc) return specializeByte(insn);
  if (!insn.o32) return undefined;
  const op = entry.op;
  const ops = entry.operands;
  const mem = insn.memory;
  const ea = mem ? address(insn) : '';
  const seg = segmentOf(insn);
  const load = `cpu.readLinear32(cpu.linear(${seg}, ${ea}, 4, false))`;
  switch (op) {
    case Op.Alu: {
      const sub = entry.sub;
      const [d, s] = [ops[0]!.kind, ops[1]!.kind];
      const src = s === Kind.Reg ? `r[${insn.reg}]` : s === Kind.Rm ? (mem ? load : `r[${insn.rm}]`) : String(insn.immediate | 0);
      if (d === Kind.Rm && mem) {
        if (sub === 7) return { code: `alu(cpu, 7, ${load}, ${src}, 4);`, faults: true, branch: false };
        return {
          code: `{ const l = cpu.linear(${seg}, ${ea}, 4, true); cpu.probeWrite(l, 4); cpu.writeLinear32(l, alu(cpu, ${sub}, cpu.readLinear32(l), ${src}, 4)); }`,
          faults: true,
          branch: false,
        };
      }
      const dst = d === Kind.Fixed ? 'r[0]' : d === Kind.Reg ? `r[${insn.reg}]` : `r[${insn.rm}]`;
      // ADD, SUB, CMP and the logic operations inline; fa and fb keep the operands for a following Jcc.
      const inline: Record<number, [string, Lazy, 'sub' | 'logic' | undefined]> = {
        0: ['(fa + fb) | 0', Lazy.Add, undefined],
        1: ['fa | fb', Lazy.Logic, 'logic'],
        4: ['fa & fb', Lazy.Logic, 'logic'],
        5: ['(fa - fb) | 0', Lazy.Sub, 'sub'],
        6: ['fa ^ fb', Lazy.Logic, 'logic'],
        7: ['(fa - fb) | 0', Lazy.Sub, 'sub'],
      };
      const form = inline[sub];
      if (form) {
        const [result, kind, fused] = form;
        const store = sub === 7 ? '' : ` ${dst} = fv;`;
        return { code: `fa = ${dst}; fb = ${src}; fv = ${result}; cpu.setLazy(${kind}, fa, fb, fv, 32);${store}`, faults: mem, branch: false, fused };
      }
      return { code: `${dst} = alu(cpu, ${sub}, ${dst}, ${src}, 4);`, faults: mem, branch: false };
    }
    case Op.Mov: {
      const [d, s] = [ops[0]!.kind, ops[1]!.kind];
      if (d === Kind.OpReg) return { code: `r[${insn.opcode & 7}] = ${insn.immediate | 0};`, faults: false, branch: false };
      if (d === Kind.Reg && s === Kind.Rm) return { code: `r[${insn.reg}] = ${mem ? load : `r[${insn.rm}]`};`, faults: mem, branch: false };
      const value = s === Kind.Reg ? `r[${insn.reg}]` : s === Kind.Imm ? String(insn.immediate | 0) : undefined;
      if (d === Kind.Rm && value !== undefined) {
        return mem
          ? { code: `cpu.writeLinear32(cpu.linear(${seg}, ${ea}, 4, true), ${value});`, faults: true, branch: false }
          : { code: `r[${insn.rm}] = ${value};`, faults: false, branch: false };
      }
      return undefined;
    }
    case Op.Lea:
      return { code: `r[${insn.reg}] = ${ea};`, faults: false, branch: false };
    case Op.Inc: case Op.Dec: {
      if (mem) return undefined;
      const reg = ops[0]!.kind === Kind.OpReg ? insn.opcode & 7 : insn.rm;
      const [kind, delta] = op === Op.Inc ? [Lazy.Add, '+ 1'] : [Lazy.Sub, '- 1'];
      return { code: `{ const a = r[${reg}]; const v = (a ${delta}) | 0; cpu.setLazyKeepCarry(${kind}, a, v, 32); r[${reg}] = v; }`, faults: false, branch: false };
    }
    case Op.Test: {
      if (mem) return undefined;
      const a = ops[0]!.kind === Kind.Fixed ? 'r[0]' : `r[${insn.rm}]`;
      const b = ops[1]!.kind === Kind.Reg ? `r[${insn.reg}]` : String(insn.immediate | 0);
      return { code: `fa = ${a}; fb = ${b}; fv = fa & fb; cpu.setLazy(${Lazy.Logic}, fa, fb, fv, 32);`, faults: false, branch: false, fused: 'logic' };
    }
    case Op.Shift: {
      if (mem || ops[1]!.kind === Kind.Fixed) return undefined;
      const count = ops[1]!.kind === Kind.Const1 ? 1 : insn.immediate & 0xff;
      return { code: `r[${insn.rm}] = shift(cpu, ${entry.sub}, r[${insn.rm}], ${count}, 4);`, faults: false, branch: false };
    }
    case Op.Push: {
      const kind = ops[0]!.kind;
      if (kind === Kind.Rm) return undefined;
      const value = kind === Kind.OpReg ? `r[${insn.opcode & 7}]` : String(insn.immediate | 0);
      return { code: `cpu.push(${value}, 4);`, faults: true, branch: false };
    }
    case Op.Pop:
      if (ops[0]!.kind !== Kind.OpReg) return undefined;
      return { code: `{ const v = cpu.pop(4); r[${insn.opcode & 7}] = v; }`, faults: true, branch: false };
    case Op.Movzx: case Op.Movsx: {
      const size = ops[1]!.size;
      if (!mem && size === 1 && insn.rm >= 4) return undefined; // AH..BH: leave to the interpreter
      const raw = mem
        ? size === 1 ? `cpu.readLinear8(cpu.linear(${seg}, ${ea}, 1, false))` : `cpu.readLinear16(cpu.linear(${seg}, ${ea}, 2, false))`
        : size === 1 ? `(r[${insn.rm}] & 0xff)` : `(r[${insn.rm}] & 0xffff)`;
      const value = op === Op.Movzx ? raw : size === 1 ? `((${raw} << 24) >> 24)` : `((${raw} << 16) >> 16)`;
      return { code: `r[${insn.reg}] = ${value};`, faults: mem, branch: false };
    }
    case Op.Jcc:
      return { code: `cpu.eip = cpu.condition(${entry.sub}) ? ${(next + insn.immediate) >>> 0} : ${next >>> 0}; return ${Exit.Budget};`, faults: false, branch: true };
    case Op.Jmp:
      return { code: `cpu.eip = ${(next + insn.immediate) >>> 0}; return ${Exit.Budget};`, faults: false, branch: true };
    case Op.Call:
      return { code: `cpu.push(${next | 0}, 4); cpu.eip = ${(next + insn.immediate) >>> 0}; return ${Exit.Budget};`, faults: true, branch: true };
    case Op.Ret:
      return { code: `{ const t = cpu.peek(4); cpu.eip = t >>> 0; cpu.adjustStack(4); } return ${Exit.Budget};`, faults: true, branch: true };
    default:
      return undefined;
  }
}

/**
 * Compiles the instructions (all in one page, in order) into a block function. The CS segment is flat
 * and 32-bit when this runs, so near jumps need no limit check.
 */
export function compileBlock(instructions: readonly Instruction[], eips: readonly number[]): Block {
  const lines: string[] = [];
  const lastInsn = instructions[instructions.length - 1]!;
  const lastNext = (eips[eips.length - 1]! + lastInsn.length) | 0;
  const lastOp = lastInsn.entry!.op;
  // A closing JMP or Jcc back to the block's own start turns the block into a loop.
  const loops = (lastOp === Op.Jcc || lastOp === Op.Jmp) && ((lastNext + lastInsn.immediate) >>> 0) === (eips[0]! >>> 0);
  let fused: 'sub' | 'logic' | undefined;
  instructions.forEach((insn, k) => {
    const start = eips[k]!;
    const next = (start + insn.length) | 0;
    const last = k === instructions.length - 1;
    const condition = (code: number) => (fused && fusedCondition(code, fused)) || `cpu.condition(${code})`;
    if (last && loops) {
      const again = `if (n < iterations) continue; cpu.eip = ${eips[0]! >>> 0}; return ${Exit.Budget};`;
      lines.push(lastOp === Op.Jmp ? again : `if (${condition(insn.entry!.sub)}) { ${again} } cpu.eip = ${next >>> 0}; return ${Exit.Budget};`);
      return;
    }
    if (last && lastOp === Op.Jcc && insn.o32) {
      lines.push(`cpu.eip = ${condition(insn.entry!.sub)} ? ${(next + insn.immediate) >>> 0} : ${next >>> 0}; return ${Exit.Budget};`);
      return;
    }
    const special = specialize(insn, next);
    fused = special?.fused;
    if (special) {
      if (special.faults) lines.push(`cpu.startEip = ${start >>> 0};`);
      lines.push(special.code);
      if (last && !special.branch) lines.push(`cpu.eip = ${next >>> 0}; return ${Exit.Budget};`);
    } else {
      // The interpreter runs this one instruction: it sets cpu.eip itself, and may end the run.
      fused = undefined;
      lines.push(`cpu.startEip = ${start >>> 0}; x = execute(cpu, I[${k}]); if (x !== ${Exit.Budget}) return x;`);
      if (last) lines.push(`return ${Exit.Budget};`);
    }
  });
  const body = `"use strict"; return function block(cpu, iterations) { const r = cpu.regs; let x = 0; let n = 0; let fa = 0; let fb = 0; let fv = 0; for (;;) { cpu.blockIterations = ++n; ${lines.join('\n')} } };`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('alu', 'shift', 'execute', 'I', body) as (...args: unknown[]) => (cpu: Cpu, iterations: number) => Exit;
  return {
    run: factory(alu, shift, execute, instructions),
    eips: Int32Array.from(eips),
    count: instructions.length,
    loops,
    successorEip: Int32Array.of(-1, -1),
    successor: [undefined, undefined],
    successorEpoch: -1,
    dead: false,
  };
}
