/** The shapes of hypercall-spec/pvrt.json and hypercall-spec/arch/<arch>.json, as the schemas define them. */

export type FixedType = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';
export type ArgType = 'u32' | 'i32' | 'u64' | 'i64' | 'uword' | 'gpa';
export type ValueType = 'u32' | 'i32' | 'u64' | 'i64' | 'uword';
export type Direction = 'in' | 'out' | 'inout';

export interface StatusDef { name: string; value: number; meaning: string }
export interface EventDef { name: string; number: number; meaning: string }
export interface FeatureDef { name: string; word: number; bit: number; meaning: string }
export interface EnumItem { name: string; value: number; doc: string }
export interface EnumDef { name: string; kind: 'values' | 'bits'; doc: string; items: EnumItem[] }

export interface FieldDef {
  name: string;
  /** A FixedType, or `struct:<name>` for an embedded structure. */
  type: string;
  offset: number;
  count?: number;
  unit?: string;
  enum?: string;
  writer?: 'guest' | 'hypervisor' | 'both' | 'none';
  doc: string;
}
export interface StructDef { name: string; doc: string; size: number; fields: FieldDef[] }

export type ArgTarget = { bytes: string; maxLength: number } | { struct: string } | { page: 4096 };
export interface ArgDef {
  name: string;
  type: ArgType;
  dir: Direction;
  unit?: string;
  enum?: string;
  target?: ArgTarget;
  doc: string;
}
export interface ReturnDef { name: string; type: ValueType; unit?: string; doc: string }
export interface HypercallDef {
  number: number;
  name: string;
  summary: string;
  semantics: string;
  args: ArgDef[];
  returns: ReturnDef | null;
  noreturn?: boolean;
  statuses: string[];
}
export interface GroupDef { name: string; doc: string; hypercalls: HypercallDef[] }

export interface InterfaceSpec {
  name: string;
  version: number;
  description: string;
  statuses: StatusDef[];
  events: EventDef[];
  features: FeatureDef[];
  enums: EnumDef[];
  structs: StructDef[];
  groups: GroupDef[];
}

export interface ArchSpec {
  name: string;
  title: string;
  rtemsCpu: string;
  wordBits: 32 | 64;
  endianness: 'little' | 'big';
  alignment: { u16: number; u32: number; u64: number };
  trap: { mnemonic: string; asm: string; encoding?: string; doc: string };
  registers: { number: string; args: string[]; status: string; value: string[]; clobbers: string[] };
  compilers: {
    clang: { target: string; flags: string[]; unusable?: string };
    gcc?: { command: string; flags: string[]; debianPackage: string };
  };
  interrupts: {
    cookie: { ctype: 'uint32_t' | 'uint64_t' | 'unsigned long'; mask: string; enabled: string; register: string };
    levelCtype: 'uint32_t' | 'uint64_t';
    hooks: { disable: string; enable: string; flash: string; setLevel: string; getLevel: string };
    rtemsParavirt: boolean;
    doc: string;
  };
  upcall?: { doc: string };
  sources: string[];
}

/** A hypercall with the group it belongs to and its place in the spec file. */
export interface HypercallEntry {
  call: HypercallDef;
  group: GroupDef;
  pointer: string;
}

export function allHypercalls(spec: InterfaceSpec): HypercallEntry[] {
  const out: HypercallEntry[] = [];
  spec.groups.forEach((group, g) =>
    group.hypercalls.forEach((call, h) => out.push({ call, group, pointer: `/groups/${g}/hypercalls/${h}` })),
  );
  return out;
}
