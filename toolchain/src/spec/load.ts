import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { PvrtError, type Problem } from '../errors.js';
import { checkArch, checkInterface, checkLayouts, type LoadedArch } from './check.js';
import { JsonFile } from './json-file.js';
import type { ArchSpec, InterfaceSpec } from './model.js';

/** The interface spec and every architecture file of one spec folder, validated together. */
export interface SpecBundle {
  root: string;
  spec: InterfaceSpec;
  specFile: JsonFile;
  archs: ReadonlyMap<string, ArchSpec>;
}

export const SPEC_FILE = 'pvrt.json';

interface Validators {
  spec: ValidateFunction;
  arch: ValidateFunction;
}

const validatorCache = new Map<string, Validators>();

function validators(root: string): Validators {
  const cached = validatorCache.get(root);
  if (cached) return cached;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const compile = (name: string): ValidateFunction => {
    const file = JsonFile.read(join(root, 'schema', name));
    try {
      return ajv.compile(file.value as object);
    } catch (err) {
      throw new PvrtError({ file: file.path, message: `invalid JSON Schema: ${(err as Error).message}` });
    }
  };
  const v = { spec: compile('interface.schema.json'), arch: compile('arch.schema.json') };
  validatorCache.set(root, v);
  return v;
}

/** ajv's errors as problems: one per location, with the vaguer alternatives of a oneOf dropped. */
function schemaProblems(file: JsonFile, errors: readonly ErrorObject[]): Problem[] {
  const byPointer = new Map<string, string[]>();
  for (const e of errors) {
    let pointer = e.instancePath;
    let message: string;
    switch (e.keyword) {
      case 'enum':
        message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'additionalProperties':
        pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
        message = 'unknown property';
        break;
      case 'required':
        message = `missing required property "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'pattern':
        message = `${JSON.stringify(valueAt(file.value, pointer))} does not match ${(e.params as { pattern: string }).pattern}`;
        break;
      default:
        message = e.message ?? e.keyword;
    }
    const list = byPointer.get(pointer) ?? [];
    if (!list.includes(message)) list.push(message);
    byPointer.set(pointer, list);
  }
  const out: Problem[] = [];
  for (const [pointer, messages] of byPointer) {
    const specific = messages.filter((m) => !/must match (exactly one|a) schema in (oneOf|anyOf)/.test(m) && m !== 'must be null');
    out.push(file.problem(pointer, (specific.length ? specific : messages).join('; ')));
  }
  return out;
}

function valueAt(value: unknown, pointer: string): unknown {
  let v = value;
  for (const seg of pointer.split('/').slice(1)) v = (v as Record<string, unknown> | undefined)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  return v;
}

export function archFileNames(root: string): string[] {
  const dir = join(root, 'arch');
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new PvrtError({ file: dir, message: `cannot list architecture files: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
  }
}

/**
 * Reads and validates a spec folder: the schema, then the checks the schema cannot express.
 * Throws one PvrtError listing every problem found, each with its file, line and JSON pointer.
 */
export function loadSpec(rootDir: string): SpecBundle {
  const root = resolve(rootDir);
  const v = validators(root);
  const problems: Problem[] = [];

  const specFile = JsonFile.read(join(root, SPEC_FILE));
  const specValid = v.spec(specFile.value);
  if (!specValid) problems.push(...schemaProblems(specFile, v.spec.errors ?? []));
  const spec = specFile.value as InterfaceSpec;

  const loaded: { name: string; entry: LoadedArch; valid: boolean }[] = [];
  for (const fileName of archFileNames(root)) {
    let file: JsonFile;
    try {
      file = JsonFile.read(join(root, 'arch', fileName));
    } catch (err) {
      if (err instanceof PvrtError) {
        problems.push(...err.problems);
        continue;
      }
      throw err;
    }
    const valid = v.arch(file.value);
    if (!valid) problems.push(...schemaProblems(file, v.arch.errors ?? []));
    loaded.push({ name: fileName.replace(/\.json$/, ''), entry: { arch: file.value as ArchSpec, file }, valid });
  }

  if (specValid) {
    const interfaceProblems = checkInterface(spec, specFile);
    problems.push(...interfaceProblems);
    for (const { name, entry, valid } of loaded) {
      if (!valid) continue;
      problems.push(...checkArch(spec, specFile, entry, name));
      // Layout needs well-formed structs; their own problems are already reported above.
      if (interfaceProblems.length === 0) problems.push(...checkLayouts(spec, specFile, entry.arch));
    }
  }
  if (problems.length > 0) {
    throw new PvrtError(problems, `${root}: the hypercall specification is invalid (${problems.length} problem${problems.length > 1 ? 's' : ''})`);
  }
  return { root, spec, specFile, archs: new Map(loaded.map((l) => [l.entry.arch.name, l.entry.arch])) };
}

export function archOf(bundle: SpecBundle, name: string): ArchSpec {
  const arch = bundle.archs.get(name);
  if (!arch) {
    throw new PvrtError({
      file: join(bundle.root, 'arch', `${name}.json`),
      message: `unknown architecture "${name}"; known: ${[...bundle.archs.keys()].join(', ')}`,
    });
  }
  return arch;
}
