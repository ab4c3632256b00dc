import type { ArchSpec, FieldDef, FixedType, StructDef } from './model.js';

/** C structure layout as one architecture's ABI computes it. */

export const FIXED_SIZE: Readonly<Record<FixedType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8 };

export function isFixedType(type: string): type is FixedType {
  return Object.hasOwn(FIXED_SIZE, type);
}

export function structRef(type: string): string | undefined {
  return type.startsWith('struct:') ? type.slice('struct:'.length) : undefined;
}

export function scalarAlign(type: FixedType, arch: Pick<ArchSpec, 'alignment'>): number {
  const size = FIXED_SIZE[type];
  if (size === 1) return 1;
  if (size === 2) return arch.alignment.u16;
  if (size === 4) return arch.alignment.u32;
  return arch.alignment.u64;
}

export interface FieldLayout {
  name: string;
  offset: number;
  /** Bytes the field occupies, all array elements included. */
  size: number;
  align: number;
}

export interface StructLayout {
  size: number;
  align: number;
  fields: FieldLayout[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Lays the fields out in order with the architecture's alignment rules, ignoring the declared offsets:
 * the result is what a C compiler for that architecture would do with the generated struct.
 * Nested structures must be declared before use and must not recurse (check.ts ensures both).
 */
export function computeLayout(
  struct: StructDef,
  arch: Pick<ArchSpec, 'alignment'>,
  structs: ReadonlyMap<string, StructDef>,
  seen: ReadonlySet<string> = new Set(),
): StructLayout {
  if (seen.has(struct.name)) throw new Error(`structure ${struct.name} contains itself`);
  const inner = new Set(seen).add(struct.name);
  let cursor = 0;
  let maxAlign = 1;
  const fields: FieldLayout[] = [];
  for (const field of struct.fields) {
    const { size: elemSize, align } = elementLayout(field, arch, structs, inner);
    const offset = alignUp(cursor, align);
    const size = elemSize * (field.count ?? 1);
    fields.push({ name: field.name, offset, size, align });
    cursor = offset + size;
    maxAlign = Math.max(maxAlign, align);
  }
  return { size: alignUp(cursor, maxAlign), align: maxAlign, fields };
}

function elementLayout(
  field: FieldDef,
  arch: Pick<ArchSpec, 'alignment'>,
  structs: ReadonlyMap<string, StructDef>,
  seen: ReadonlySet<string>,
): { size: number; align: number } {
  const ref = structRef(field.type);
  if (ref !== undefined) {
    const nested = structs.get(ref);
    if (!nested) throw new Error(`unknown structure ${ref}`);
    const layout = computeLayout(nested, arch, structs, seen);
    return { size: layout.size, align: layout.align };
  }
  if (!isFixedType(field.type)) throw new Error(`unknown type ${field.type}`);
  return { size: FIXED_SIZE[field.type], align: scalarAlign(field.type, arch) };
}

/** The bytes a field occupies according to the spec's own sizes (declared struct sizes for nested structures). */
export function declaredFieldSize(field: FieldDef, structs: ReadonlyMap<string, StructDef>): number | undefined {
  const ref = structRef(field.type);
  const elem = ref !== undefined ? structs.get(ref)?.size : isFixedType(field.type) ? FIXED_SIZE[field.type] : undefined;
  return elem === undefined ? undefined : elem * (field.count ?? 1);
}
