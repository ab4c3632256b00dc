import { planRegisters } from '../spec/abi.js';
import type { SpecBundle } from '../spec/load.js';
import { declaredFieldSize } from '../spec/layout.js';
import { allHypercalls, type ArgDef } from '../spec/model.js';
import { renderFile } from './render.js';

export const DOCS_OUT = 'hypercall-spec/REFERENCE.md';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function argSummary(a: ArgDef): string {
  const t = a.target;
  const target = !t ? '' : 'bytes' in t ? ` → ${t.maxLength} bytes max, length in \`${t.bytes}\`` : 'struct' in t ? ` → \`${t.struct}\`` : ` → ${t.page}-byte page`;
  return `${a.type}${a.type === 'gpa' ? ` (${a.dir})` : ''}${a.unit ? `, ${a.unit}` : ''}${a.enum ? `, \`${a.enum}\`` : ''}${target}`;
}

/** `pvrt gen docs`: the human reference of the interface, with each architecture's calling convention. */
export function generateDocs(bundle: SpecBundle): string {
  const { spec } = bundle;
  const archs = [...bundle.archs.values()];
  const structs = new Map(spec.structs.map((s) => [s.name, s]));
  const view = {
    name: spec.name,
    version: spec.version,
    description: spec.description,
    index: allHypercalls(spec).map(({ call, group }) => ({ number: call.number, name: call.name, group: group.name, summary: cell(call.summary) })),
    groups: spec.groups.map((g) => ({
      name: g.name,
      doc: g.doc,
      hypercalls: g.hypercalls.map((c) => ({
        number: c.number,
        name: c.name,
        summary: c.summary,
        semantics: c.semantics,
        args: c.args.map((a) => ({ name: a.name, type: cell(argSummary(a)), doc: cell(a.doc) })),
        returns: c.returns ? `\`${c.returns.name}\` (${c.returns.type}${c.returns.unit ? `, ${c.returns.unit}` : ''}): ${c.returns.doc}` : c.noreturn ? 'does not return on success' : 'status only',
        statuses: c.statuses.map((s) => `\`${s}\``).join(', '),
        registers: archs.map((arch) => {
          const plan = planRegisters(c, arch)!;
          const args = plan.args.map((s) => `${s.arg.name}${s.part === 'whole' ? '' : `.${s.part === 'low' ? 'lo' : 'hi'}`}=${s.register}`);
          const value = plan.value.map((v) => v.register);
          return `${arch.name}: ${[`nr=${plan.number}`, ...args].join(' ')} → ${plan.status}${value.length ? ` + ${value.join(':')}` : ''}`;
        }),
      })),
    })),
    statuses: spec.statuses.map((s) => ({ ...s, meaning: cell(s.meaning) })),
    events: spec.events.map((e) => ({ ...e, meaning: cell(e.meaning) })),
    features: spec.features.map((f) => ({ ...f, meaning: cell(f.meaning) })),
    enums: spec.enums,
    structs: spec.structs.map((s) => ({
      ...s,
      fields: s.fields.map((f) => ({
        ...f,
        bytes: declaredFieldSize(f, structs),
        type: f.count ? `${f.type}[${f.count}]` : f.type,
        doc: cell(f.doc),
      })),
    })),
    archs: archs.map((a) => ({
      name: a.name,
      trap: `\`${a.trap.mnemonic}\``,
      number: a.registers.number,
      args: a.registers.args.join(' '),
      status: a.registers.status,
      value: a.registers.value.join(' '),
      word: a.wordBits,
      endian: a.endianness === 'little' ? 'LE' : 'BE',
      align: `${a.alignment.u16}/${a.alignment.u32}/${a.alignment.u64}`,
      clang: `\`${a.compilers.clang.target}\``,
      hooks: a.interrupts.rtemsParavirt ? `RTEMS: \`${a.interrupts.hooks.disable}\`…` : `pvrt: \`${a.interrupts.hooks.disable}\`…`,
      cookie: `${a.interrupts.cookie.register} & ${a.interrupts.cookie.mask} == ${a.interrupts.cookie.enabled}`,
    })),
  };
  return renderFile('docs', 'REFERENCE.md.hbs', view)!;
}
