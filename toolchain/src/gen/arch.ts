import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PvrtError } from '../errors.js';
import { archOf, type SpecBundle } from '../spec/load.js';
import type { ArchSpec } from '../spec/model.js';

/**
 * `pvrt gen arch --like <arch> --name <new>`: a new architecture file to edit, started from an existing one.
 * The copy keeps the like-architecture's conventions as a starting point, but claims nothing it cannot know:
 * its hooks carry pvrt's own names and its sources say where it came from.
 */
export function startArch(bundle: SpecBundle, like: string, name: string): { path: string; text: string } {
  if (!/^[a-z][a-z0-9_]*$/.test(name) || name.length > 24) {
    throw new PvrtError({ message: `--name "${name}": an architecture name is lower case letters, digits and _, starting with a letter, at most 24 characters` });
  }
  const base = archOf(bundle, like);
  const path = join(bundle.root, 'arch', `${name}.json`);
  if (existsSync(path)) throw new PvrtError({ file: path, message: 'already exists; edit it, or choose another --name' });
  const { upcall: _upcall, ...rest } = base;
  const arch: ArchSpec = {
    ...structuredClone(rest),
    name,
    title: `${name} (started from ${like}: review the trap, registers, alignment, compilers and interrupt cookie)`,
    rtemsCpu: name,
    interrupts: {
      ...structuredClone(base.interrupts),
      hooks: {
        disable: `${name}virt_interrupt_disable`,
        enable: `${name}virt_interrupt_enable`,
        flash: `${name}virt_interrupt_flash`,
        setLevel: `${name}virt_set_interrupt_level`,
        getLevel: `${name}virt_get_interrupt_level`,
      },
      rtemsParavirt: false,
      doc: `Started from ${like}; the cookie encoding below is ${like}'s and must be replaced by what ${name}'s RTEMS port tests in _CPU_ISR_Is_enabled().`,
    },
    sources: [`started from hypercall-spec/arch/${like}.json by pvrt gen arch`],
  };
  return { path, text: JSON.stringify({ $schema: '../schema/arch.schema.json', ...arch }, null, 2) + '\n' };
}
