import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUEST_CFLAGS, GUEST_LINK_FLAGS as LINK_FLAGS } from '../../toolchain/src/build/guest.js';
import { packageRoot } from '../../toolchain/src/paths.js';

export { GUEST_CFLAGS };

// From the package root, so the same code works from source and from the dist/ bundle.
export const GUESTS_DIR = join(packageRoot(), 'test', 'guests');
export const RUNTIME_DIR = join(GUESTS_DIR, 'runtime');
/** The guests of the "against QEMU" ladder, in the order they are worth trying. */
export const GUEST_NAMES = ['arith64', 'float', 'switch', 'setjmp', 'realmode', 'paging', 'usermode', 'pit', 'uart', 'rtc', 'apic', 'smp'] as const;
export type GuestName = (typeof GUEST_NAMES)[number];
/** Guests that also build the local APIC, IOAPIC and MP-table helpers they share. */
const APIC_COMMON = join(GUESTS_DIR, 'apic-common');
const SHARED_DIRS: Partial<Record<GuestName, string>> = { apic: APIC_COMMON, smp: APIC_COMMON };
/** How many CPUs a guest is compared on (`-smp`): each count is one comparison. */
export const GUEST_CPUS: Partial<Record<GuestName, readonly number[]>> = { smp: [1, 2, 4] };

/** Debian 12's package for the 32-bit libgcc that `-m32 ... -lgcc` links (gcc-multilib pulls it in). */
export const LIBGCC32_PACKAGE = 'lib32gcc-12-dev';

let toolchainProblem: string | null | undefined;

/** Why guests cannot be built here, or null when they can. Checked once: gcc, -m32, and a libgcc link. */
export function guestToolchainProblem(): string | null {
  if (toolchainProblem !== undefined) return toolchainProblem;
  const dir = join(cacheRoot(), 'probe');
  mkdirSync(dir, { recursive: true });
  const source = join(dir, 'probe.c');
  // A 64-bit division makes the link need libgcc's __udivdi3.
  writeFileSync(source, 'unsigned long long _start(unsigned long long a, unsigned long long b) { return a / b; }\n');
  const r = spawnSync('gcc', [...GUEST_CFLAGS, ...LINK_FLAGS, source, '-lgcc', '-o', join(dir, 'probe.elf')], { encoding: 'utf8' });
  if (r.error) toolchainProblem = `gcc not found (${r.error.message}); install Debian package gcc`;
  else if (r.status !== 0) {
    toolchainProblem = /-lgcc|libgcc/.test(r.stderr)
      ? `32-bit libgcc missing: install Debian package ${LIBGCC32_PACKAGE} (or gcc-multilib)`
      : `gcc -m32 cannot link a freestanding image: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`;
  } else toolchainProblem = null;
  return toolchainProblem;
}

const cacheRoot = (): string => join(tmpdir(), 'pvrt-guest-cache');

function sourcesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(c|S|h|ld)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export interface BuildRequest {
  /** A name for the output file and messages. */
  readonly name: string;
  /** C and assembly files (headers listed here only count toward the cache key). */
  readonly sources: readonly string[];
  /** Link the guest runtime (start, serial, printf, exit, traps) and its linker script. */
  readonly runtime?: boolean;
  readonly extraFlags?: readonly string[];
}

/**
 * Builds an image with gcc and returns its path. Outputs are cached under the temp folder, keyed by the
 * hash of every source, the runtime, the flags and the compiler version, so reruns cost nothing.
 */
export function buildImage(request: BuildRequest): string {
  const problem = guestToolchainProblem();
  if (problem) throw new Error(`cannot build ${request.name}: ${problem}`);
  const runtime = request.runtime ?? true;
  const inputs = [...request.sources, ...(runtime ? sourcesIn(RUNTIME_DIR) : [])];
  const flags = [...GUEST_CFLAGS, ...(request.extraFlags ?? [])];
  const hash = createHash('sha256');
  hash.update(compilerVersion()).update(flags.join(' '));
  for (const file of inputs) hash.update(file).update(readFileSync(file));
  const out = join(cacheRoot(), `${request.name}-${hash.digest('hex').slice(0, 16)}.elf`);
  if (existsSync(out)) return out;

  mkdirSync(cacheRoot(), { recursive: true });
  const compiled = inputs.filter((f) => /\.(c|S)$/.test(f));
  const script = runtime ? ['-T', join(RUNTIME_DIR, 'linker.ld'), `-I${RUNTIME_DIR}`] : [];
  const partial = `${out}.${process.pid}.tmp`;
  const r = spawnSync('gcc', [...flags, ...LINK_FLAGS, ...script, ...compiled, '-lgcc', '-o', partial], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building ${request.name} failed:\n${r.stderr}`);
  renameSync(partial, out); // atomic: a parallel build of the same key sees a whole file or none
  return out;
}

/** Builds one of the ladder's guests (every .c and .S in test/guests/<name>/ plus the runtime). */
export function buildGuest(name: GuestName): string {
  const shared = SHARED_DIRS[name];
  const sources = [...sourcesIn(join(GUESTS_DIR, name)), ...(shared ? sourcesIn(shared) : [])];
  return buildImage({ name, sources, ...(shared ? { extraFlags: [`-I${shared}`] } : {}) });
}

let version: string | undefined;
/** gcc's version text, for cache keys: a new compiler builds new images. */
export function compilerVersion(): string {
  return (version ??= spawnSync('gcc', ['--version'], { encoding: 'utf8' }).stdout ?? '');
}

/**
 * Every guest image, for the integration test that runs each under pvrt and compares its serial output
 * with QEMU's byte for byte. Builds what is not cached yet; throws when the toolchain is missing.
 */
export function guestImages(): { name: GuestName; path: string }[] {
  return GUEST_NAMES.map((name) => ({ name, path: buildGuest(name) }));
}
