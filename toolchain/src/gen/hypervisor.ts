import { planRegisters, type RegisterPlan } from '../spec/abi.js';
import { declaredFieldSize } from '../spec/layout.js';
import { archOf, type SpecBundle } from '../spec/load.js';
import { allHypercalls, type ArgDef, type ArchSpec } from '../spec/model.js';
import type { FileSet } from './output.js';
import { renderFile } from './render.js';

/** Architectures whose guests the hypervisor runs, with the CPU's register-file index of each register. */
export const HYPERVISOR_ARCHS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // x86 register encoding order, which is also the order of the CPU's register file.
  i386: { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 },
};

export const HYPERVISOR_OUT = 'hypervisor/hypercall/generated';

const pascal = (s: string): string => s.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
const tsString = (s: string): string => JSON.stringify(s);

function targetLiteral(arg: ArgDef): string {
  const t = arg.target;
  if (!t) return 'null';
  if ('bytes' in t) return `{ kind: 'bytes', lengthArg: ${tsString(t.bytes)}, maxLength: ${t.maxLength} }`;
  if ('struct' in t) return `{ kind: 'struct', struct: ${tsString(t.struct)} }`;
  return `{ kind: 'page', size: ${t.page} }`;
}

function interfaceView(bundle: SpecBundle) {
  const { spec } = bundle;
  const structs = new Map(spec.structs.map((s) => [s.name, s]));
  return {
    version: spec.version,
    hypercalls: allHypercalls(spec).map(({ call, group }) => ({
      number: call.number,
      name: call.name,
      group: group.name,
      summary: call.summary,
      noreturn: call.noreturn === true,
      returns: call.returns ? `{ name: ${tsString(call.returns.name)}, type: ${tsString(call.returns.type)} }` : 'null',
      statuses: call.statuses.map(tsString).join(', '),
      args: call.args.map((a) => ({ name: a.name, type: a.type, dir: a.dir, target: targetLiteral(a) })),
    })),
    statuses: spec.statuses,
    events: spec.events,
    features: spec.features.map((f) => ({ ...f, mask: `0x${(2 ** f.bit).toString(16)}` })),
    enums: spec.enums.map((e) => ({ ...e, tsName: pascal(e.name) })),
    structs: spec.structs.map((s) => ({
      name: s.name,
      size: s.size,
      fields: s.fields.map((f) => ({
        name: f.name,
        offset: f.offset,
        type: f.type,
        size: declaredFieldSize(f, structs)!,
      })),
    })),
  };
}

function wordExpression(plan: RegisterPlan, regs: Readonly<Record<string, number>>, arg: ArgDef): string {
  const slots = plan.args.filter((s) => s.arg === arg);
  const word = (reg: string) => `r[${regs[reg]}]!`;
  if (slots.length === 2) {
    const [lo, hi] = slots.map((s) => word(s.register));
    // Exact below 2^53; a larger 64-bit value (a "never" deadline) rounds but keeps its order.
    return arg.type === 'i64' ? `(${lo} >>> 0) + (${hi} | 0) * 4294967296` : `(${lo} >>> 0) + (${hi} >>> 0) * 4294967296`;
  }
  const r = word(slots[0]!.register);
  return arg.type === 'i32' ? `${r} | 0` : `${r} >>> 0`;
}

function archView(arch: ArchSpec, bundle: SpecBundle) {
  const regs = HYPERVISOR_ARCHS[arch.name]!;
  const index = (reg: string) => {
    const i = regs[reg];
    if (i === undefined) throw new Error(`${arch.name}: no register-file index for ${reg}`);
    return i;
  };
  return {
    arch: arch.name,
    trap: arch.trap.mnemonic,
    number: index(arch.registers.number),
    status: index(arch.registers.status),
    args: arch.registers.args.map(index).join(', '),
    value: arch.registers.value.map(index).join(', '),
    registerNames: Object.entries(regs).map(([name, i]) => ({ name, index: i })),
    hypercalls: allHypercalls(bundle.spec).map(({ call }) => {
      const plan = planRegisters(call, arch)!;
      return {
        name: call.name,
        number: call.number,
        typeName: `${pascal(call.name)}Args`,
        decoder: `decode${pascal(call.name)}`,
        fields: call.args.map((a) => ({ name: a.name, doc: a.doc, expr: wordExpression(plan, regs, a) })),
        hasArgs: call.args.length > 0,
        valueWords: plan.value.length,
      };
    }),
  };
}

/** `pvrt gen hypervisor`: the TypeScript tables the hypervisor dispatches with, relative to HYPERVISOR_OUT. */
export function generateHypervisor(bundle: SpecBundle): FileSet {
  const files: FileSet = new Map();
  files.set('interface.ts', renderFile('hypervisor', 'interface.ts.hbs', interfaceView(bundle))!);
  for (const name of Object.keys(HYPERVISOR_ARCHS)) {
    files.set(`${name}.ts`, renderFile('hypervisor', 'arch.ts.hbs', archView(archOf(bundle, name), bundle))!);
  }
  return files;
}
