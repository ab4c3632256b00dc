import type { ArchSpec, ArgDef, ArgType, HypercallDef, ValueType } from './model.js';

/** How one hypercall's arguments and results map onto one architecture's registers. */

export type WordPart = 'whole' | 'low' | 'high';

export interface ArgSlot {
  register: string;
  arg: ArgDef;
  /** A 64-bit argument on a 32-bit architecture takes two registers, low word first. */
  part: WordPart;
}

export interface ValueSlot {
  register: string;
  part: WordPart;
}

export interface RegisterPlan {
  number: string;
  status: string;
  args: ArgSlot[];
  value: ValueSlot[];
}

export function wordsFor(type: ArgType | ValueType, wordBits: 32 | 64): 1 | 2 {
  return (type === 'u64' || type === 'i64') && wordBits === 32 ? 2 : 1;
}

export function argumentWords(call: HypercallDef, wordBits: 32 | 64): number {
  return call.args.reduce((n, a) => n + wordsFor(a.type, wordBits), 0);
}

export function valueWords(call: HypercallDef, wordBits: 32 | 64): number {
  return call.returns ? wordsFor(call.returns.type, wordBits) : 0;
}

function parts(words: 1 | 2): WordPart[] {
  return words === 1 ? ['whole'] : ['low', 'high'];
}

/** The register plan, or undefined when the call needs more argument or value registers than the architecture has. */
export function planRegisters(call: HypercallDef, arch: ArchSpec): RegisterPlan | undefined {
  const { registers, wordBits } = arch;
  if (argumentWords(call, wordBits) > registers.args.length) return undefined;
  if (valueWords(call, wordBits) > registers.value.length) return undefined;
  const args: ArgSlot[] = [];
  for (const arg of call.args) {
    for (const part of parts(wordsFor(arg.type, wordBits))) {
      args.push({ register: registers.args[args.length]!, arg, part });
    }
  }
  const value: ValueSlot[] = call.returns
    ? parts(wordsFor(call.returns.type, wordBits)).map((part, i) => ({ register: registers.value[i]!, part }))
    : [];
  return { number: registers.number, status: registers.status, args, value };
}
