import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBsp } from '../../toolchain/src/gen/bsp.js';
import { writeTree } from '../../toolchain/src/gen/output.js';
import { defaultSpecRoot, packageRoot } from '../../toolchain/src/paths.js';
import { loadSpec } from '../../toolchain/src/spec/load.js';
import { buildImage, GUESTS_DIR } from './guest-build.js';

export const PARAVIRT_DIR = join(GUESTS_DIR, 'paravirt');
/** The hand-written start-up and linker script every i386virt guest links. */
export const I386VIRT_DIR = join(packageRoot(), 'guest-bsp', 'i386virt');

let bsp: { dir: string; files: string[] } | undefined;

/** The i386virt BSP, generated fresh from the spec once per process: spec, generator and compiler in one path. */
function generatedBsp(): { dir: string; files: string[] } {
  if (bsp === undefined) {
    const dir = join(mkdtempSync(join(tmpdir(), 'pvrt-i386virt-')), 'i386virt'); // not test/helpers: benchmarks use this too
    const files = generateBsp(loadSpec(defaultSpecRoot()), 'i386');
    writeTree(dir, files, 'test');
    bsp = { dir, files: [...files.keys()] };
  }
  return bsp;
}

export interface ParavirtBuild {
  /** Link the BSP's C files too (start-up, hooks, events, clock, console); otherwise only its headers. */
  withBsp?: boolean;
  /** -D definitions, e.g. { IDLE_NS: '5000000000ull' }. */
  defines?: Record<string, string>;
  /** Where NAME.c lives (default test/guests/paravirt; pv.h always comes from there). */
  dir?: string;
}

/** Builds test/guests/paravirt/NAME.c with guest-bsp/i386virt's start-up against the generated i386virt BSP; returns the image path. */
export function buildParavirtGuest(name: string, options: ParavirtBuild = {}): string {
  const { dir, files } = generatedBsp();
  const bspSources = files.filter((f) => (options.withBsp ? /\.(c|h)$/.test(f) : f.endsWith('.h'))).map((f) => join(dir, f));
  const defines = Object.entries(options.defines ?? {}).map(([k, v]) => `-D${k}=${v}`);
  return buildImage({
    name: `paravirt-${name}${defines.length ? '-' + defines.join('').replace(/[^A-Za-z0-9]/g, '') : ''}`,
    sources: [join(I386VIRT_DIR, 'start.S'), join(options.dir ?? PARAVIRT_DIR, `${name}.c`), join(PARAVIRT_DIR, 'pv.h'), join(I386VIRT_DIR, 'linker.ld'), ...bspSources],
    runtime: false,
    extraFlags: [`-I${join(dir, 'include')}`, '-T', join(I386VIRT_DIR, 'linker.ld'), ...defines],
  });
}
