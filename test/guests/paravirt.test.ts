import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../hypervisor/vm/machine.js';
import { generateBsp } from '../../toolchain/src/gen/bsp.js';
import { writeTree } from '../../toolchain/src/gen/output.js';
import { defaultSpecRoot } from '../../toolchain/src/paths.js';
import { loadSpec } from '../../toolchain/src/spec/load.js';
import { tempDir } from '../helpers.js';
import { buildImage, GUESTS_DIR, guestToolchainProblem } from '../support/guest-build.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: the paravirtual guest: ${problem}`);

/** The guest, built against a freshly generated i386virt BSP: spec, generator, compiler and CPU in one path. */
function buildHello(): string {
  const bsp = join(tempDir('i386virt'), 'i386virt');
  writeTree(bsp, generateBsp(loadSpec(defaultSpecRoot()), 'i386'), 'test');
  const dir = join(GUESTS_DIR, 'paravirt');
  return buildImage({
    name: 'paravirt-hello',
    sources: [join(dir, 'start.S'), join(dir, 'hello.c'), join(dir, 'linker.ld'), join(bsp, 'include', 'pvrt', 'hypercall.h'), join(bsp, 'include', 'pvrt', 'abi.h')],
    runtime: false,
    extraFlags: [`-I${join(bsp, 'include')}`, '-T', join(dir, 'linker.ld')],
  });
}

describe.skipIf(problem !== null)('a paravirtual guest on the generated i386virt headers', () => {
  it('talks to the hypervisor through hypercalls, gets an error status for each bad call, and shuts down with its code', () => {
    const image = buildHello();
    let console = '';
    const logs: string[] = [];
    const machine = new Machine({ memoryBytes: 16 << 20, hypercalls: true, serial: (b) => (console += String.fromCharCode(b)), log: (level, message) => logs.push(`${level}: ${message}`) });
    machine.bootElf({ name: image, bytes: readFileSync(image) });
    const stop = machine.run(10_000_000);
    expect(stop).toEqual({ kind: 'guest-shutdown', reason: 0, code: 7 });
    expect(console).toBe(
      [
        'hello from i386virt',
        'interface version status 0',
        'interface version 1',
        'feature word 0 status 0',
        'clock status 0',
        'clock advanced 1',
        'debug log status 0',
        'unknown hypercall -1', // ENOSYS
        'buffer outside RAM -3', // EFAULT
        'oversized length -4', // E2BIG
        'unknown feature word -2', // EINVAL
        'unknown log level -2',
        'unknown shutdown reason -2',
        'still running',
        '',
      ].join('\n'),
    );
    expect(logs).toEqual(['2: hello from the debug log']);
  });

  it('without the paravirtual interface, VMCALL is #UD, and with no IDT that ends in a triple fault', () => {
    const image = buildHello();
    const machine = new Machine({ memoryBytes: 16 << 20 });
    machine.bootElf({ name: image, bytes: readFileSync(image) });
    const stop = machine.run(10_000_000);
    expect(stop).toMatchObject({ kind: 'shutdown', reason: expect.stringMatching(/^triple fault/), bytes: expect.arrayContaining([0x0f, 0x01, 0xc1]) });
  });
});
