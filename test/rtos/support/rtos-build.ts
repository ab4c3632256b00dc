import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildApplication } from '../../../toolchain/src/build/app.js';
import { packageRoot } from '../../../toolchain/src/paths.js';
import { compilerVersion } from '../../support/guest-build.js';
import { createVm, type ClockKind, type VmResult } from '../../../hypervisor/vm/vm.js';

/** The BSPs every executive test and example is built for: paravirtual first, then full emulation. */
export const RTOS_BSPS = ['i386virt', 'pc386'] as const;
export type RtosBsp = (typeof RTOS_BSPS)[number];

export const RTOS_TESTS_DIR = join(packageRoot(), 'test', 'rtos');
export const RTOS_SUPPORT_DIR = join(RTOS_TESTS_DIR, 'support');
export const EXAMPLES_DIR = join(packageRoot(), 'examples');
const GUEST_BSP = join(packageRoot(), 'guest-bsp');

/** Why the executive cannot be built for every BSP (a BSP's manifest missing), or null when it can. */
export function executiveProblem(): string | null {
  for (const bsp of RTOS_BSPS) if (!existsSync(join(GUEST_BSP, bsp, 'bsp.json'))) return `guest-bsp/${bsp}/bsp.json is missing: the ${bsp} BSP is not finished`;
  return null;
}

/** The executive tests: the folders of test/rtos holding an init.c, sorted. */
export function rtosTestNames(): string[] {
  return readdirSync(RTOS_TESTS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(RTOS_TESTS_DIR, e.name, 'init.c')))
    .map((e) => e.name)
    .sort();
}

/** Every file under `dir`, recursively, sorted (for the cache key). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(path));
    else if (e.isFile()) out.push(path);
  }
  return out.sort();
}

/**
 * The inputs of an image: the executive, the BSP, the spec and templates a generated BSP comes from, the
 * application's own folder(s). Changing any of them changes the key.
 */
function cacheKey(bsp: RtosBsp, dirs: readonly string[]): string {
  const hash = createHash('sha256').update(compilerVersion()).update(bsp);
  const inputs = [join(GUEST_BSP, 'executive'), join(GUEST_BSP, bsp), join(packageRoot(), 'hypercall-spec'), join(packageRoot(), 'toolchain', 'templates'), join(packageRoot(), 'toolchain', 'src', 'build'), ...dirs];
  for (const dir of inputs) for (const file of filesUnder(dir)) hash.update(relative(packageRoot(), file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

const cacheRoot = (): string => join(tmpdir(), 'pvrt-rtos-cache');

/** One build at a time: each already compiles its files in parallel. */
let queue: Promise<unknown> = Promise.resolve();
const builds = new Map<string, Promise<string>>();

/**
 * Builds an application with `pvrt build` (buildApplication) for `bsp`, cached by content hash under the
 * temp folder, so a rerun with nothing changed costs a few file reads. `dirs` are hashed; `sources` are
 * compiled; `includeDirs` go on the include path.
 */
export function buildRtosImage(name: string, bsp: RtosBsp, sources: readonly string[], options: { dirs: readonly string[]; includeDirs?: readonly string[]; defines?: readonly string[] }): Promise<string> {
  const defines = options.defines ?? [];
  const key = createHash('sha256').update(cacheKey(bsp, options.dirs)).update(defines.join('\0')).digest('hex').slice(0, 16);
  const out = join(cacheRoot(), `${name}-${bsp}-${key}.elf`);
  const known = builds.get(out);
  if (known) return known;
  // After the previous build, whether it worked or not.
  const build = queue.catch(() => undefined).then(async () => {
    if (existsSync(out) && statSync(out).size > 0) return out;
    mkdirSync(cacheRoot(), { recursive: true });
    await buildApplication({ bsp, sources, out, includeDirs: options.includeDirs ?? [], defines, jobs: 2 });
    return out;
  });
  queue = build;
  builds.set(out, build);
  return build;
}

/** An executive test's image: test/rtos/<name>/*.c with the shared tmacros.h. */
export function buildRtosTest(name: string, bsp: RtosBsp): Promise<string> {
  const dir = join(RTOS_TESTS_DIR, name);
  const sources = readdirSync(dir).filter((f) => /\.(c|S)$/.test(f)).sort().map((f) => join(dir, f));
  return buildRtosImage(`rtos-${name}`, bsp, sources, { dirs: [dir, RTOS_SUPPORT_DIR], includeDirs: [RTOS_SUPPORT_DIR] });
}

/** An example's image: every .c and .S directly in examples/<name>/ (as `pvrt compare` builds it), with `defines`. */
export function buildExample(name: string, bsp: RtosBsp, defines: readonly string[] = []): Promise<string> {
  const dir = join(EXAMPLES_DIR, name);
  const sources = readdirSync(dir).filter((f) => /\.(c|S)$/.test(f)).sort().map((f) => join(dir, f));
  return buildRtosImage(`example-${name}`, bsp, sources, { dirs: [dir, join(EXAMPLES_DIR, 'common')], defines });
}

export interface PvrtRun {
  serial: string;
  result: VmResult;
  wallMs: number;
}

/** At most two VMs at once (one per core of the machines the suite is sized for), however many tests run concurrently. */
const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Boots an image on a one-vCPU VM and collects its console until it ends. */
export function runUnderPvrt(image: string, options: { clock: ClockKind; timeoutMs: number }): Promise<PvrtRun> {
  return slot(() => runVm(image, options));
}

async function runVm(image: string, options: { clock: ClockKind; timeoutMs: number }): Promise<PvrtRun> {
  const started = performance.now();
  const vm = createVm({ memory: '32M', clock: options.clock });
  let serial = '';
  vm.on('console', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
  vm.load(image);
  vm.start();
  const result = await vm.wait({ timeoutMs: options.timeoutMs });
  return { serial, result, wallMs: performance.now() - started };
}

/** How a run ended, the same words for pvrt and QEMU: `exit N` (power-off, debug-exit) or something else. */
export function describeEnd(result: VmResult): string {
  switch (result.kind) {
    case 'shutdown':
      return result.reason === 'poweroff' ? `exit ${result.code}` : `crash ${result.code}`;
    case 'debug-exit':
      return `exit ${result.code >>> 1}`; // QEMU's status for a write of v: (v << 1) | 1
    case 'triple-fault':
      return 'triple fault';
    default:
      return `${result.kind}${'message' in result ? `: ${result.message}` : ''}`;
  }
}

/** QEMU's status as the same words: (v << 1) | 1 for an isa-debug-exit write of v. */
export function describeQemuEnd(exitCode: number | null, timedOut: boolean): string {
  if (timedOut || exitCode === null) return 'timeout';
  return exitCode & 1 ? `exit ${exitCode >>> 1}` : `status ${exitCode}`;
}
