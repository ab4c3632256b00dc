import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { templatesRoot } from '../paths.js';
import { planRegisters, type RegisterPlan } from '../spec/abi.js';
import { archOf, type SpecBundle } from '../spec/load.js';
import { structRef } from '../spec/layout.js';
import { allHypercalls, type ArchSpec, type FieldDef, type HypercallDef, type InterfaceSpec } from '../spec/model.js';
import { C_FIXED, cString, cType, constantName, registerVariable, wrap } from './c-names.js';
import type { FileSet } from './output.js';
import { renderFile, renderKind } from './render.js';

/** `pvrt gen bsp`: the <arch>virt board support package, as files relative to the BSP folder. */
export function generateBsp(bundle: SpecBundle, archName: string): FileSet {
  const arch = archOf(bundle, archName);
  const view = bspView(bundle.spec, arch);
  const files = renderKind('bsp', view, ['arch']);
  const partial = renderFile('bsp', `arch/${arch.name}.c.hbs`, view);
  if (partial !== undefined) files.set(`start/${view.bsp}-arch.c`, partial);
  return files;
}

export function hasArchPartial(archName: string): boolean {
  return existsSync(join(templatesRoot(), 'bsp', 'arch', `${archName}.c.hbs`));
}

function hypercallView(call: HypercallDef, arch: ArchSpec) {
  const plan = planRegisters(call, arch) as RegisterPlan; // loadSpec has proven every call fits
  const vars = new Map<string, { init?: string; out: boolean }>();
  const use = (register: string) => {
    let v = vars.get(register);
    if (!v) vars.set(register, (v = { out: false }));
    return v;
  };
  use(plan.number).init = String(call.number);
  for (const slot of plan.args) {
    const name = slot.arg.name;
    use(slot.register).init =
      slot.part === 'whole'
        ? slot.arg.type === 'u32' || slot.arg.type === 'i32'
          ? `(unsigned long)(uint32_t)${name}`
          : `(unsigned long)${name}`
        : slot.part === 'low'
          ? `(unsigned long)(uint32_t)(uint64_t)${name}`
          : `(unsigned long)(uint32_t)((uint64_t)${name} >> 32)`;
  }
  use(plan.status).out = true;
  for (const v of plan.value) use(v.register).out = true;

  const decls = [...vars].map(([reg, v]) => `register unsigned long ${registerVariable(reg)} __asm__(${cString(reg)})${v.init ? ` = ${v.init}` : ''};`);
  const outputs = [...vars].filter(([, v]) => v.out).map(([reg, v]) => `"${v.init ? '+' : '='}r"(${registerVariable(reg)})`);
  const inputs = [...vars].filter(([, v]) => !v.out).map(([reg]) => `"r"(${registerVariable(reg)})`);
  const clobbers = ['memory', ...arch.registers.clobbers].map((c) => cString(c));

  const params = call.args.map((a) => `${cType(a.type)} ${a.name}`);
  let valueStore: string | undefined;
  if (call.returns) {
    const r = call.returns;
    params.push(`${cType(r.type)} *${r.name}`);
    const [lo, hi] = plan.value.map((v) => registerVariable(v.register));
    const expr = hi ? `(${cType(r.type)})((uint64_t)${lo} | ((uint64_t)${hi} << 32))` : `(${cType(r.type)})${lo}`;
    valueStore = `if (${r.name} != NULL) *${r.name} = ${expr};`;
  }
  return {
    name: call.name,
    number: call.number,
    constant: constantName('PVRT_HC', call.name),
    summary: call.summary,
    semantics: wrap(call.semantics, 92),
    params: params.length ? params.join(', ') : 'void',
    argDocs: call.args.map((a) => ({ name: a.name, doc: a.doc, unit: a.unit ?? (a.type === 'gpa' ? 'guest-physical address' : '') })),
    returnDoc: call.returns ? { name: call.returns.name, doc: call.returns.doc } : undefined,
    statuses: call.statuses.map((s) => constantName('PVRT', s)).join(', '),
    decls,
    asm: cString(arch.trap.asm),
    outputs: outputs.join(', '),
    inputs: inputs.join(', '),
    clobbers: clobbers.join(', '),
    valueStore,
    statusVar: registerVariable(plan.status),
  };
}

function fieldDecl(f: FieldDef): string {
  const ref = structRef(f.type);
  const type = ref !== undefined ? `struct pvrt_${ref}` : C_FIXED[f.type as keyof typeof C_FIXED];
  return `${type} ${f.name}${f.count !== undefined ? `[${f.count}]` : ''};`;
}

function specView(spec: InterfaceSpec) {
  return {
    version: spec.version,
    description: wrap(spec.description, 92),
    statuses: spec.statuses.map((s) => ({ constant: constantName('PVRT', s.name), value: s.value, meaning: s.meaning })),
    events: spec.events.map((e) => ({ constant: constantName('PVRT_EVENT', e.name), number: e.number, meaning: e.meaning })),
    features: spec.features.map((f) => ({ constant: constantName('PVRT_FEATURE', f.name), word: f.word, mask: `0x${(2 ** f.bit).toString(16)}u`, meaning: f.meaning })),
    enums: spec.enums.map((e) => ({
      name: e.name,
      doc: e.doc,
      items: e.items.map((it) => ({ constant: constantName('PVRT', e.name.replace(/_flags$/, ''), it.name), value: `${e.kind === 'bits' ? '0x' + it.value.toString(16) : it.value}u`, doc: it.doc })),
    })),
    structs: spec.structs.map((s) => ({
      name: s.name,
      ctype: `struct pvrt_${s.name}`,
      doc: wrap(s.doc, 92),
      size: s.size,
      fields: s.fields.map((f) => ({ decl: fieldDecl(f), name: f.name, offset: f.offset, doc: f.doc })),
    })),
    hypercallCount: allHypercalls(spec).length,
  };
}

export function bspView(spec: InterfaceSpec, arch: ArchSpec) {
  const cookie = arch.interrupts.cookie;
  const disabled = `0x${(BigInt(cookie.enabled) ^ BigInt(cookie.mask)).toString(16)}`;
  const suffix = cookie.ctype === 'uint64_t' ? 'ull' : 'ul';
  const bsp = `${arch.name}virt`;
  return {
    bsp,
    BSP: bsp.toUpperCase(),
    arch,
    hasPartial: hasArchPartial(arch.name),
    registerTable: [
      { role: 'hypercall number', regs: arch.registers.number },
      { role: 'arguments, in order', regs: arch.registers.args.join(', ') },
      { role: 'status', regs: arch.registers.status },
      { role: 'value (low word first)', regs: arch.registers.value.join(', ') },
      { role: 'also clobbered', regs: ['memory', ...arch.registers.clobbers].join(', ') },
    ],
    cookie: {
      ctype: cookie.ctype,
      mask: `${cookie.mask}${suffix}`,
      enabled: `${cookie.enabled}${suffix}`,
      disabled: `${disabled}${suffix}`,
      register: cookie.register,
    },
    levelCtype: arch.interrupts.levelCtype,
    hooks: arch.interrupts.hooks,
    compileFlags: [...arch.compilers.clang.flags].join(' '),
    ...specView(spec),
    hypercalls: allHypercalls(spec).map((e) => hypercallView(e.call, arch)),
  };
}
