import type { Problem } from '../errors.js';
import { argumentWords, valueWords } from './abi.js';
import type { JsonFile } from './json-file.js';
import { computeLayout, declaredFieldSize, isFixedType, structRef } from './layout.js';
import { allHypercalls, type ArchSpec, type InterfaceSpec, type StructDef } from './model.js';

/** An architecture file together with the JSON it came from, for locating problems. */
export interface LoadedArch {
  arch: ArchSpec;
  file: JsonFile;
}

/** Reports every value that occurs more than once in a list, at the later occurrences. */
function duplicates<T>(
  file: JsonFile,
  items: readonly T[],
  key: (item: T) => string | number,
  pointer: (index: number) => string,
  what: string,
): Problem[] {
  const first = new Map<string | number, number>();
  const out: Problem[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    const prev = first.get(k);
    if (prev === undefined) first.set(k, i);
    else out.push(file.problem(pointer(i), `duplicate ${what} ${JSON.stringify(k)} (first used at ${pointer(prev)})`));
  });
  return out;
}

/** Checks of the interface spec on its own: uniqueness, references, struct offsets and overlaps. */
export function checkInterface(spec: InterfaceSpec, file: JsonFile): Problem[] {
  const out: Problem[] = [];
  const calls = allHypercalls(spec);
  out.push(...duplicates(file, calls, (e) => e.call.number, (i) => `${calls[i]!.pointer}/number`, 'hypercall number'));
  out.push(...duplicates(file, calls, (e) => e.call.name, (i) => `${calls[i]!.pointer}/name`, 'hypercall name'));
  out.push(...duplicates(file, spec.groups, (g) => g.name, (i) => `/groups/${i}/name`, 'group name'));
  out.push(...duplicates(file, spec.statuses, (s) => s.name, (i) => `/statuses/${i}/name`, 'status name'));
  out.push(...duplicates(file, spec.statuses, (s) => s.value, (i) => `/statuses/${i}/value`, 'status value'));
  out.push(...duplicates(file, spec.events, (e) => e.name, (i) => `/events/${i}/name`, 'event name'));
  out.push(...duplicates(file, spec.events, (e) => e.number, (i) => `/events/${i}/number`, 'event number'));
  out.push(...duplicates(file, spec.features, (f) => f.name, (i) => `/features/${i}/name`, 'feature name'));
  out.push(...duplicates(file, spec.features, (f) => `word ${f.word} bit ${f.bit}`, (i) => `/features/${i}/bit`, 'feature bit'));
  out.push(...duplicates(file, spec.enums, (e) => e.name, (i) => `/enums/${i}/name`, 'enumeration name'));
  out.push(...duplicates(file, spec.structs, (s) => s.name, (i) => `/structs/${i}/name`, 'structure name'));

  const ok = spec.statuses.find((s) => s.name === 'OK');
  if (!ok || ok.value !== 0) out.push(file.problem('/statuses', 'the status list must contain OK with value 0'));
  spec.statuses.forEach((s, i) => {
    if (s.name !== 'OK' && s.value >= 0) out.push(file.problem(`/statuses/${i}/value`, `error status ${s.name} must be negative`));
  });

  const enums = new Map(spec.enums.map((e) => [e.name, e]));
  spec.enums.forEach((e, i) => {
    out.push(...duplicates(file, e.items, (it) => it.name, (j) => `/enums/${i}/items/${j}/name`, `${e.name} item name`));
    out.push(...duplicates(file, e.items, (it) => it.value, (j) => `/enums/${i}/items/${j}/value`, `${e.name} item value`));
    if (e.kind === 'bits') {
      e.items.forEach((it, j) => {
        if (it.value === 0 || (it.value & (it.value - 1)) !== 0 || it.value > 0x80000000) {
          out.push(file.problem(`/enums/${i}/items/${j}/value`, `bit-set item ${it.name} must be a single bit, not ${it.value}`));
        }
      });
    }
  });

  const statusNames = new Set(spec.statuses.map((s) => s.name));
  const structs = new Map(spec.structs.map((s) => [s.name, s]));
  for (const { call, pointer } of calls) {
    call.statuses.forEach((name, i) => {
      if (!statusNames.has(name)) out.push(file.problem(`${pointer}/statuses/${i}`, `${call.name}: unknown status ${name}`));
    });
    if (!call.noreturn && !call.statuses.includes('OK')) {
      out.push(file.problem(`${pointer}/statuses`, `${call.name}: a call that returns must list OK among its statuses`));
    }
    if (call.noreturn && call.returns) out.push(file.problem(`${pointer}/returns`, `${call.name}: a noreturn call cannot return a value`));
    out.push(...duplicates(file, call.args, (a) => a.name, (i) => `${pointer}/args/${i}/name`, `${call.name} argument name`));
    call.args.forEach((arg, i) => {
      const at = `${pointer}/args/${i}`;
      if (arg.enum !== undefined && !enums.has(arg.enum)) out.push(file.problem(`${at}/enum`, `${call.name}.${arg.name}: unknown enumeration ${arg.enum}`));
      if (arg.type === 'gpa') {
        if (!arg.target) {
          out.push(file.problem(at, `${call.name}.${arg.name}: a gpa argument needs a target saying how much memory it reaches`));
          return;
        }
        const t = arg.target;
        if ('bytes' in t) {
          const len = call.args.find((a) => a.name === t.bytes);
          if (!len) out.push(file.problem(`${at}/target/bytes`, `${call.name}.${arg.name}: no argument named ${t.bytes} holds its length`));
          else if (len.type === 'gpa' || len.type === 'u64' || len.type === 'i64' || len.type === 'i32') {
            out.push(file.problem(`${at}/target/bytes`, `${call.name}.${arg.name}: length argument ${t.bytes} must be u32 or uword, not ${len.type}`));
          }
        } else if ('struct' in t && !structs.has(t.struct)) {
          out.push(file.problem(`${at}/target/struct`, `${call.name}.${arg.name}: unknown structure ${t.struct}`));
        }
      } else {
        if (arg.target) out.push(file.problem(`${at}/target`, `${call.name}.${arg.name}: only a gpa argument has a target`));
        if (arg.dir !== 'in') out.push(file.problem(`${at}/dir`, `${call.name}.${arg.name}: a value argument can only be "in" (dir describes memory, and only gpa arguments reach memory)`));
      }
    });
  }

  spec.structs.forEach((s, i) => out.push(...checkStructOffsets(s, i, structs, enums, file)));
  return out;
}

function checkStructOffsets(
  s: StructDef,
  index: number,
  structs: ReadonlyMap<string, StructDef>,
  enums: ReadonlyMap<string, unknown>,
  file: JsonFile,
): Problem[] {
  const out: Problem[] = [];
  const at = `/structs/${index}`;
  out.push(...duplicates(file, s.fields, (f) => f.name, (j) => `${at}/fields/${j}/name`, `${s.name} field name`));
  let previousEnd = 0;
  let previousName = '';
  s.fields.forEach((f, j) => {
    const fat = `${at}/fields/${j}`;
    const ref = structRef(f.type);
    if (ref !== undefined) {
      const nestedIndex = [...structs.keys()].indexOf(ref);
      if (nestedIndex < 0) {
        out.push(file.problem(`${fat}/type`, `${s.name}.${f.name}: unknown structure ${ref}`));
        return;
      }
      if (nestedIndex >= index) {
        out.push(file.problem(`${fat}/type`, `${s.name}.${f.name}: structure ${ref} must be declared before ${s.name} (no forward or recursive nesting)`));
        return;
      }
    } else if (!isFixedType(f.type)) {
      out.push(file.problem(`${fat}/type`, `${s.name}.${f.name}: unknown type ${f.type}`));
      return;
    }
    if (f.enum !== undefined && !enums.has(f.enum)) out.push(file.problem(`${fat}/enum`, `${s.name}.${f.name}: unknown enumeration ${f.enum}`));
    const size = declaredFieldSize(f, structs)!;
    if (f.offset < previousEnd) {
      out.push(file.problem(`${fat}/offset`, `${s.name}.${f.name} at offset ${f.offset} overlaps ${previousName}, which ends at ${previousEnd}`));
    }
    if (f.offset + size > s.size) {
      out.push(file.problem(`${fat}/offset`, `${s.name}.${f.name} (${size} bytes at ${f.offset}) ends past the structure size ${s.size}`));
    }
    previousEnd = Math.max(previousEnd, f.offset + size);
    previousName = f.name;
  });
  return out;
}

/** Checks that need an architecture: its own consistency, argument registers, and the C layout of every struct. */
export function checkArch(spec: InterfaceSpec, specFile: JsonFile, loaded: LoadedArch, expectedName: string): Problem[] {
  const { arch, file } = loaded;
  const out: Problem[] = [];
  if (arch.name !== expectedName) out.push(file.problem('/name', `name "${arch.name}" must match the file name "${expectedName}.json"`));
  const r = arch.registers;
  if (r.args.includes(r.number)) out.push(file.problem('/registers/number', `the number register ${r.number} is also an argument register`));
  if (r.value.includes(r.status)) out.push(file.problem('/registers/value', `the status register ${r.status} is also a value register`));
  const cookie = arch.interrupts.cookie;
  if ((BigInt(cookie.enabled) & ~BigInt(cookie.mask)) !== 0n) {
    out.push(file.problem('/interrupts/cookie/enabled', `enabled value ${cookie.enabled} has bits outside the mask ${cookie.mask}`));
  }
  const hookNames = Object.values(arch.interrupts.hooks);
  if (new Set(hookNames).size !== hookNames.length) out.push(file.problem('/interrupts/hooks', 'hook names must differ'));
  if (arch.interrupts.cookie.ctype === 'uint64_t' && arch.wordBits === 32) {
    out.push(file.problem('/interrupts/cookie/ctype', 'a 32-bit architecture cannot keep a 64-bit interrupt cookie in one register'));
  }

  for (const { call, pointer } of allHypercalls(spec)) {
    const need = argumentWords(call, arch.wordBits);
    if (need > r.args.length) {
      out.push(
        specFile.problem(
          `${pointer}/args`,
          `${call.name} needs ${need} argument registers on ${arch.name}, which has ${r.args.length} (${file.path} at /registers/args)`,
        ),
      );
    }
    const values = valueWords(call, arch.wordBits);
    if (values > r.value.length) {
      out.push(
        specFile.problem(
          `${pointer}/returns`,
          `${call.name} returns ${values} words on ${arch.name}, which has ${r.value.length} value registers (${file.path} at /registers/value)`,
        ),
      );
    }
  }
  return out;
}

/** Every struct must lay out to the declared offsets and size under this architecture's C alignment rules. */
export function checkLayouts(spec: InterfaceSpec, specFile: JsonFile, arch: ArchSpec): Problem[] {
  const out: Problem[] = [];
  const structs = new Map(spec.structs.map((s) => [s.name, s]));
  spec.structs.forEach((s, i) => {
    const layout = computeLayout(s, arch, structs);
    s.fields.forEach((f, j) => {
      const got = layout.fields[j]!.offset;
      if (got !== f.offset) {
        out.push(
          specFile.problem(
            `/structs/${i}/fields/${j}/offset`,
            `${s.name}.${f.name}: declared offset ${f.offset}, but ${arch.name} C layout puts it at ${got} (${f.type} aligns to ${layout.fields[j]!.align} there); add explicit padding`,
          ),
        );
      }
    });
    if (layout.size !== s.size) {
      out.push(specFile.problem(`/structs/${i}/size`, `${s.name}: declared size ${s.size}, but ${arch.name} C layout gives ${layout.size}`));
    }
  });
  return out;
}
