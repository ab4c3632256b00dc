/**
 * `pvrt compare`: one example built for the paravirtual BSP (i386virt) and the fully emulated one (pc386),
 * each run N times on the same hypervisor, and the figures side by side.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createVm, ImageError, type VmResult } from '../../../hypervisor/index.js';
import { buildApplication, defaultCacheDir } from '../build/app.js';
import type { CcKind } from '../build/cc.js';
import { PvrtError } from '../errors.js';
import { writeFileAtomic } from '../gen/output.js';
import { packageRoot } from '../paths.js';
import { exitFigures, idleMarker, LineSplitter, parseBench, type IdleFigures, type RunFigures } from './figures.js';
import { BSPS, makeReport, renderHtml, toJson, type BspName, type BspResults, type CompareReport } from './report.js';

export interface CompareOptions {
  /** A folder of C sources, or the name of one under examples/. */
  example: string;
  runs?: number;
  clock?: 'real' | 'virtual';
  /** Where to write the JSON and HTML reports, if anywhere. */
  json?: string;
  html?: string;
  /** Seconds each run may take (default 60). */
  timeout?: number;
  /** Guest RAM (default 64M). */
  memory?: string;
  cc?: CcKind;
  guestBspRoot?: string;
  examplesRoot?: string;
  specRoot?: string;
  cacheDir?: string;
  /** Progress lines (builds, runs). */
  progress?(line: string): void;
}

/** The example's folder: a path to a folder, or a name under examples/. */
export function resolveExample(example: string, examplesRoot = join(packageRoot(), 'examples')): string {
  const candidates = [resolve(example), join(examplesRoot, example)];
  for (const dir of candidates) if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  const known = existsSync(examplesRoot)
    ? readdirSync(examplesRoot, { withFileTypes: true })
        .filter((e) => e.isDirectory() && readdirSync(join(examplesRoot, e.name)).some((f) => /\.(c|S)$/.test(f)))
        .map((e) => e.name)
        .sort()
    : [];
  throw new PvrtError({ message: `compare: no example "${example}": not a folder, and not one of ${examplesRoot}: ${known.length ? known.join(', ') : '(none)'}` });
}

/** The example's sources: every .c and .S directly in its folder. */
export function exampleSources(dir: string): string[] {
  const sources = readdirSync(dir)
    .filter((f) => /\.(c|S)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  if (sources.length === 0) throw new PvrtError({ file: dir, message: 'compare: the example has no .c or .S sources' });
  return sources;
}

/** The last lines of a console transcript, for error messages. */
export function tail(text: string, lines = 20): string {
  const all = text.replace(/\s+$/, '').split('\n');
  const shown = all.slice(-lines);
  return (all.length > lines ? `... (${all.length - lines} earlier lines)\n` : '') + shown.map((l) => `  | ${l}`).join('\n');
}

/** The guest's exit status when it ended on purpose; undefined for a crash, a fault, a timeout. */
function exitStatus(result: VmResult): number | undefined {
  if (result.kind === 'shutdown' && result.reason === 'poweroff') return result.code;
  if (result.kind === 'debug-exit') return result.code >>> 1; // QEMU's (value << 1) | 1
  return undefined;
}

function describeResult(result: VmResult): string {
  switch (result.kind) {
    case 'shutdown':
      return result.reason === 'crash' ? `the guest crashed (shutdown reason CRASH, code ${result.code})` : `the guest exited with status ${result.code}`;
    case 'debug-exit':
      return `the guest exited with status ${result.code >>> 1} (isa-debug-exit)`;
    case 'stopped':
      return 'the guest was stopped';
    default:
      return result.message;
  }
}

export interface RunSetup {
  clock: 'real' | 'virtual';
  memory: string;
  timeoutMs: number;
}

/**
 * Boots an image once and measures it: host CPU (process.cpuUsage covers the vCPU worker threads) and
 * wall time around the run, the VM's counters, the guest's BENCH lines, and the host CPU between its
 * IDLE begin and IDLE end lines.
 */
export async function measureRun(image: string, setup: RunSetup): Promise<RunFigures & { console: string }> {
  let vm;
  try {
    vm = createVm({ memory: setup.memory, vcpus: 1, clock: setup.clock });
    vm.load(image);
  } catch (err) {
    if (err instanceof ImageError || err instanceof RangeError) throw new PvrtError({ message: err.message });
    throw err;
  }
  let transcript = '';
  let idleStart: { cpu: NodeJS.CpuUsage; at: number } | undefined;
  let idle: IdleFigures | null = null;
  const lines = new LineSplitter((line) => {
    const marker = idleMarker(line);
    if (marker === 'begin') idleStart = { cpu: process.cpuUsage(), at: performance.now() };
    else if (marker === 'end' && idleStart) {
      const cpu = process.cpuUsage(idleStart.cpu);
      const wallMs = performance.now() - idleStart.at;
      const hostCpuMs = (cpu.user + cpu.system) / 1000;
      idle = { wallMs, hostCpuMs, hostCpuFraction: wallMs > 0 ? hostCpuMs / wallMs : 0 };
      idleStart = undefined;
    }
  });
  vm.on('console', (bytes) => {
    const text = Buffer.from(bytes).toString('latin1');
    transcript += text;
    lines.push(text);
  });
  vm.on('log', (_level, message) => (transcript += `[guest log] ${message}\n`));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  vm.start();
  const result = await vm.wait({ timeoutMs: setup.timeoutMs });
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  lines.flush();
  const status = exitStatus(result);
  if (status !== 0) {
    throw new PvrtError({ message: `${image}: ${describeResult(result)}; its console ended with:\n${tail(transcript) || '  (no output)'}` });
  }
  return { exitStatus: status, wallMs, hostCpuMs: (cpu.user + cpu.system) / 1000, exits: exitFigures(vm.stats()), bench: parseBench(transcript), idle, console: transcript };
}

/** Builds the example for both BSPs, runs each `runs` times (alternating), and writes the reports asked for. */
export async function compareExample(options: CompareOptions): Promise<CompareReport> {
  const runs = options.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new PvrtError({ message: `--runs: "${runs}" is not a run count from 1 to 1000` });
  const clock = options.clock ?? 'real';
  if (clock !== 'real' && clock !== 'virtual') throw new PvrtError({ message: `--clock: "${String(clock)}" must be real or virtual` });
  const timeout = options.timeout ?? 60;
  if (!(timeout > 0)) throw new PvrtError({ message: `--timeout: "${timeout}" is not a positive number of seconds` });
  const progress = options.progress ?? (() => {});
  const dir = resolveExample(options.example, options.examplesRoot);
  const sources = exampleSources(dir);
  const name = basename(dir);

  // Images are kept in the build cache (one folder per example path), so `pvrt run` can boot them afterwards.
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const imageDir = join(cacheDir, 'compare', `${name}-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`);
  const images = {} as Record<BspName, string>;
  for (const bsp of BSPS) {
    const built = await buildApplication({
      bsp,
      sources,
      out: join(imageDir, `${bsp}.elf`),
      includeDirs: [dir],
      cacheDir,
      ...(options.cc ? { cc: options.cc } : {}),
      ...(options.guestBspRoot ? { guestBspRoot: options.guestBspRoot } : {}),
      ...(options.specRoot ? { specRoot: options.specRoot } : {}),
    }).catch((err: unknown) => {
      if (err instanceof PvrtError) throw new PvrtError({ message: `compare: building ${name} for ${bsp} failed:\n${err.message}` });
      throw err;
    });
    images[bsp] = built.image;
    progress(`built ${built.image} (${bsp}, ${built.units} files)`);
  }

  const setup: RunSetup = { clock, memory: options.memory ?? '64M', timeoutMs: timeout * 1000 };
  const results: Record<BspName, BspResults> = { i386virt: { image: images.i386virt, runs: [] }, pc386: { image: images.pc386, runs: [] } };
  for (let i = 0; i < runs; i++) {
    for (const bsp of BSPS) {
      const { console: _console, ...run } = await measureRun(images[bsp], setup);
      results[bsp].runs.push(run);
      progress(`${bsp} run ${i + 1}/${runs}: ${run.exits.instructions} instructions, ${run.wallMs.toFixed(0)} ms wall, ${run.hostCpuMs.toFixed(0)} ms host CPU`);
    }
  }

  const report = makeReport({
    name,
    dir,
    runs,
    clock,
    results,
    host: { platform: process.platform, arch: process.arch, node: process.versions.node, cpus: availableParallelism() },
  });
  if (options.json) writeFileAtomic(options.json, toJson(report));
  if (options.html) writeFileAtomic(options.html, renderHtml(report));
  return report;
}
