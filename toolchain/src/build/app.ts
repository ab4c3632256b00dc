import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { PvrtError } from '../errors.js';
import { generateBsp } from '../gen/bsp.js';
import { MARKER } from '../gen/output.js';
import { defaultSpecRoot, packageRoot } from '../paths.js';
import { loadSpec } from '../spec/load.js';
import { guestCc, missingTool, runTool, type CcKind } from './cc.js';

/**
 * `pvrt build`: an RTEMS-style application compiled and linked with pvrt's executive and one BSP, laid out
 * in a guest-bsp folder by convention:
 *
 *   executive/include/              the executive's headers (<rtems.h>)
 *   executive/src/*.c               the executive
 *   executive/cpu/i386/*.c, *.S     its CPU port
 *   <bsp>/bsp.json                  { "defines": ["NAME", "NAME=V"], "generated": "i386" | null }
 *   <bsp>/*.c, *.S                  the BSP's own sources (not recursive)
 *   <bsp>/include/                  its headers, if any
 *   <bsp>/linker.ld                 the image's linker script
 *
 * A BSP whose manifest says `"generated": ARCH` also gets the paravirtual BSP generated for ARCH from the
 * spec: every .c in it is compiled and its include/ goes first on the include path.
 */
export interface BuildOptions {
  bsp: string;
  /** The application's .c and .S files. */
  sources: readonly string[];
  out: string;
  cc?: CcKind;
  /** Extra include folders (after the generated BSP's, the BSP's and the executive's). */
  includeDirs?: readonly string[];
  /** NAME or NAME=VALUE. */
  defines?: readonly string[];
  /** The guest-bsp folder; default the one shipped with pvrt. */
  guestBspRoot?: string;
  /** The spec generated BSPs come from; default the one shipped with pvrt. */
  specRoot?: string;
  /** Where generated BSPs are cached; default <tmpdir>/pvrt-build-cache. */
  cacheDir?: string;
  /** Parallel compiles; default the host's available parallelism. */
  jobs?: number;
}

export interface BuildResult {
  image: string;
  bsp: string;
  cc: CcKind;
  /** Translation units compiled. */
  units: number;
  /** The generated BSP folder used, for generated BSPs. */
  generatedDir?: string;
  /** Compiler warnings, each headed by the file. */
  warnings: string[];
}

export interface BspManifest {
  defines: string[];
  generated: string | null;
}

export const defaultGuestBspRoot = (): string => join(packageRoot(), 'guest-bsp');
export const defaultCacheDir = (): string => join(tmpdir(), 'pvrt-build-cache');

const DEFINE = /^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/s;

/** The BSPs of a guest-bsp folder: its subfolders holding a bsp.json, sorted. */
export function listBsps(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'bsp.json')))
    .map((e) => e.name)
    .sort();
}

/** Reads and checks <bsp>/bsp.json. */
export function readManifest(path: string): BspManifest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PvrtError({ file: path, message: `cannot read the BSP manifest: ${(err as Error).message}` });
  }
  const m = value as Partial<BspManifest> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new PvrtError({ file: path, message: 'the BSP manifest must be an object { "defines": [...], "generated": ARCH | null }' });
  const defines = m.defines ?? [];
  if (!Array.isArray(defines) || defines.some((d) => typeof d !== 'string' || !DEFINE.test(d))) {
    throw new PvrtError({ file: path, pointer: '/defines', message: 'must be a list of "NAME" or "NAME=VALUE" strings' });
  }
  const generated = m.generated ?? null;
  if (generated !== null && (typeof generated !== 'string' || generated === '')) throw new PvrtError({ file: path, pointer: '/generated', message: 'must be an architecture name or null' });
  return { defines, generated };
}

/** Files of a folder (not recursive) whose names end with one of `extensions`, sorted. */
function filesIn(dir: string, extensions: readonly string[]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && extensions.some((x) => e.name.endsWith(x)))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * The generated BSP for `arch`, written once into the cache and reused: the folder is named after a hash
 * of the generated files themselves (generation is cheap and in memory), so a changed spec or template
 * gets a new folder and a cached one is never stale. Written to a staging folder and renamed, so
 * concurrent builds see a whole tree or none.
 */
export function generatedBspDir(arch: string, specRoot: string, cacheDir: string): { dir: string; files: string[] } {
  const files = generateBsp(loadSpec(specRoot), arch);
  const names = [...files.keys()].sort();
  const hash = createHash('sha256');
  for (const name of names) hash.update(name).update('\0').update(files.get(name)!).update('\0');
  const dir = join(cacheDir, `${arch}virt-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, MARKER))) {
    mkdirSync(cacheDir, { recursive: true });
    const staging = mkdtempSync(join(cacheDir, `.${arch}virt.tmp-`));
    try {
      for (const name of names) {
        mkdirSync(dirname(join(staging, name)), { recursive: true });
        writeFileSync(join(staging, name), files.get(name)!);
      }
      writeFileSync(join(staging, MARKER), `pvrt build (generated BSP for ${arch})\n`);
      rmSync(dir, { recursive: true, force: true }); // a tree left without its marker is incomplete
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(dir, MARKER))) throw new PvrtError({ file: dir, message: `cannot write the generated BSP: ${(err as Error).message}` });
      // Another build wrote the same tree first.
    }
  }
  return { dir, files: names.filter((n) => n.endsWith('.c')).map((n) => join(dir, n)) };
}

interface Unit {
  source: string;
  object: string;
}

/** Runs `work` on every item with at most `jobs` at a time; results in item order. */
async function pool<T, R>(items: readonly T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return results;
}

/** Compiles and links; the image appears whole (renamed from a temporary name) or not at all. */
export async function buildApplication(options: BuildOptions): Promise<BuildResult> {
  const root = resolve(options.guestBspRoot ?? defaultGuestBspRoot());
  const kind = options.cc ?? 'gcc';
  if (kind !== 'gcc' && kind !== 'clang') throw new PvrtError({ message: `--cc: "${String(kind)}" must be gcc or clang` });
  const bsps = listBsps(root);
  if (!bsps.includes(options.bsp)) {
    throw new PvrtError({
      message: `unknown BSP "${options.bsp}"; ${bsps.length ? `the BSPs in ${root} are: ${bsps.join(', ')}` : `${root} holds no BSP yet (a folder with a bsp.json)`}`,
    });
  }
  if (options.sources.length === 0) throw new PvrtError({ message: 'build: which sources? give the application\'s .c and .S files' });
  const appSources = options.sources.map((s) => resolve(s));
  for (const file of appSources) {
    if (!/\.(c|S)$/.test(file)) throw new PvrtError({ file, message: 'not a C (.c) or assembly (.S) source' });
    if (!existsSync(file) || !statSync(file).isFile()) throw new PvrtError({ file, message: 'no such source file' });
  }
  for (const d of options.defines ?? []) if (!DEFINE.test(d)) throw new PvrtError({ message: `-D ${d}: not NAME or NAME=VALUE` });
  for (const d of options.includeDirs ?? []) if (!existsSync(d)) throw new PvrtError({ file: resolve(d), message: '-I: no such folder' });

  const executive = join(root, 'executive');
  if (!existsSync(join(executive, 'include'))) throw new PvrtError({ file: executive, message: 'no executive here (expected include/, src/ and cpu/i386/)' });
  const bspDir = join(root, options.bsp);
  const manifest = readManifest(join(bspDir, 'bsp.json'));
  const script = join(bspDir, 'linker.ld');
  if (!existsSync(script)) throw new PvrtError({ file: script, message: `the ${options.bsp} BSP has no linker script` });

  let generated: { dir: string; files: string[] } | undefined;
  if (manifest.generated !== null) generated = generatedBspDir(manifest.generated, resolve(options.specRoot ?? defaultSpecRoot()), resolve(options.cacheDir ?? defaultCacheDir()));

  const includeDirs = [
    ...(generated ? [join(generated.dir, 'include')] : []),
    ...(existsSync(join(bspDir, 'include')) ? [join(bspDir, 'include')] : []),
    join(executive, 'include'),
    ...(options.includeDirs ?? []).map((d) => resolve(d)),
  ];
  const defines = [...manifest.defines, ...(options.defines ?? [])];
  const sources = [
    ...(generated?.files ?? []),
    ...filesIn(bspDir, ['.c', '.S']),
    ...filesIn(join(executive, 'src'), ['.c']),
    ...filesIn(join(executive, 'cpu', 'i386'), ['.c', '.S']),
    ...appSources,
  ];

  const cc = guestCc(kind);
  const out = resolve(options.out);
  try {
    mkdirSync(dirname(out), { recursive: true });
  } catch (err) {
    throw new PvrtError({ file: dirname(out), message: `cannot create the output folder: ${(err as Error).message}` });
  }
  const objDir = mkdtempSync(join(tmpdir(), 'pvrt-build-'));
  const partial = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    const units: Unit[] = sources.map((source, i) => ({ source, object: join(objDir, `${i}-${basename(source).replace(/\.[cS]$/, '')}.o`) }));
    const flags = [...cc.cflags, ...defines.map((d) => `-D${d}`), ...includeDirs.map((d) => `-I${d}`)];
    const results = await pool(units, options.jobs ?? availableParallelism(), (u) => runTool(cc.command, [...flags, '-c', u.source, '-o', u.object]));
    const started = results.find((r) => r.error);
    if (started?.error) throw missingTool(cc, cc.command, started.error);
    const failed = units.flatMap((u, i) => (results[i]!.status === 0 ? [] : [`${u.source}:\n${results[i]!.stderr.trimEnd()}`]));
    if (failed.length) {
      throw new PvrtError({ message: `building ${out} failed: ${failed.length} of ${units.length} file(s) did not compile (${cc.command})\n${failed.join('\n')}` });
    }
    const warnings = units.flatMap((u, i) => (results[i]!.stderr.trim() ? [`${u.source}:\n${results[i]!.stderr.trimEnd()}`] : []));

    const link = cc.linkCommand(units.map((u) => u.object), script, partial);
    const r = await runTool(link.command, link.args);
    if (r.error) throw missingTool(cc, link.command, r.error);
    if (r.status !== 0) {
      const hint = kind === 'gcc' && /-lgcc|libgcc/.test(r.stderr) ? '\n32-bit libgcc is missing: install the Debian package lib32gcc-12-dev (or gcc-multilib)' : '';
      throw new PvrtError({ message: `linking ${out} failed (${link.command}):\n${r.stderr.trim()}${hint}` });
    }
    renameSync(partial, out);
    return { image: out, bsp: options.bsp, cc: kind, units: units.length, ...(generated ? { generatedDir: generated.dir } : {}), warnings };
  } finally {
    rmSync(partial, { force: true });
    rmSync(objDir, { recursive: true, force: true });
  }
}
