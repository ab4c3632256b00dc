import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { packageRoot } from '../../toolchain/src/paths.js';
import { tempDir } from '../helpers.js';

const BUNDLE = `${packageRoot()}/dist/hypervisor.js`;
const COUNTER = 0x1000;
const LOCK = 0x1004;
const PLAIN = 0x1008;
const ITERATIONS = 200_000;

/** The guest: a LOCK INC loop, then a spinlock (LOCK CMPXCHG to take, XCHG to release) around a plain increment. */
const SOURCE = `
  .code32
  mov $${ITERATIONS}, %ecx
1: lock incl ${COUNTER}
  dec %ecx
  jnz 1b
  mov $${ITERATIONS}, %ecx
2: xor %eax, %eax
  mov $1, %edx
  lock cmpxchg %edx, ${LOCK}
  jnz 2b
  mov ${PLAIN}, %eax
  inc %eax
  mov %eax, ${PLAIN}
  xor %eax, %eax
  xchg %eax, ${LOCK}
  dec %ecx
  jnz 2b
  hlt
`;

/** Assembles the guest with GNU as (hand-assembled displacements are how tests lie). */
function assemble(): Uint8Array | undefined {
  const dir = tempDir('atomic');
  writeFileSync(join(dir, 'guest.s'), SOURCE);
  const as = spawnSync('as', ['--32', '-o', join(dir, 'guest.o'), join(dir, 'guest.s')], { encoding: 'utf8' });
  const copy = as.status === 0 ? spawnSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'guest.o'), join(dir, 'guest.bin')]) : undefined;
  return copy?.status === 0 ? readFileSync(join(dir, 'guest.bin')) : undefined;
}

function runWorker(buffer: SharedArrayBuffer, stack: number): Promise<{ exit: number; instructions: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./atomic-worker.mjs', import.meta.url), { workerData: { buffer, entry: 0x2000, stack } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const code = assemble();
const skip = !existsSync(BUNDLE) ? `${BUNDLE} is missing (npm test builds it first)` : !code ? 'GNU as/objcopy (Debian package binutils) are missing' : undefined;
if (skip) console.warn(`SKIPPED: atomicity across vCPU workers: ${skip}`);

describe.skipIf(skip !== undefined)('LOCK-prefixed instructions across vCPU workers', () => {
  it('two workers on two cores lose no update: lock inc, and a spinlock from lock cmpxchg and xchg', async () => {
    const memory = new GuestMemory(0x10000);
    memory.writeBytes(0x2000, code!);
    const [a, b] = await Promise.all([runWorker(memory.buffer, 0x8000), runWorker(memory.buffer, 0x9000)]);
    expect(a.exit).toBe(1); // Exit.Hlt
    expect(b.exit).toBe(1);
    console.log(`atomicity: 2 workers, ${a.instructions + b.instructions} guest instructions, counter ${memory.read32(COUNTER)}, spinlock-protected ${memory.read32(PLAIN)}`);
    expect(memory.read32(COUNTER)).toBe(2 * ITERATIONS);
    expect(memory.read32(PLAIN)).toBe(2 * ITERATIONS);
    expect(memory.read32(LOCK)).toBe(0);
  });
});
