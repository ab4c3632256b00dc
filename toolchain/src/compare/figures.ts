/**
 * The figures `pvrt compare` collects: the guest's own (BENCH and IDLE console lines), the hypervisor's
 * (VmStats), and their summary across runs.
 *
 * Guest protocol, one line each on the console:
 *   BENCH <name> <unit> n=<count> min=<v> p50=<v> p99=<v> max=<v>
 *   IDLE begin / IDLE end      around a period where the guest only idles
 */
import type { VmStats } from '../../../hypervisor/index.js';

export interface BenchLine {
  name: string;
  unit: string;
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

const NUMBER = '([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)';
const BENCH = new RegExp(`^BENCH (\\S+) (\\S+) n=(\\d+) min=${NUMBER} p50=${NUMBER} p99=${NUMBER} max=${NUMBER}\\s*$`);

/** One console line as a BENCH figure, or undefined when it is not one. */
export function parseBenchLine(line: string): BenchLine | undefined {
  const m = BENCH.exec(line.replace(/\r$/, ''));
  if (!m) return undefined;
  return { name: m[1]!, unit: m[2]!, n: Number(m[3]), min: Number(m[4]), p50: Number(m[5]), p99: Number(m[6]), max: Number(m[7]) };
}

/** The IDLE marker a console line is, if any. */
export function idleMarker(line: string): 'begin' | 'end' | undefined {
  const m = /^IDLE (begin|end)\s*$/.exec(line);
  return m ? (m[1] as 'begin' | 'end') : undefined;
}

/** Every BENCH line of a console transcript; a name measured twice keeps its last line. */
export function parseBench(text: string): BenchLine[] {
  const byName = new Map<string, BenchLine>();
  for (const line of text.split('\n')) {
    const b = parseBenchLine(line);
    if (b) byName.set(b.name, b);
  }
  return [...byName.values()];
}

/**
 * Splits a console byte stream into lines as it arrives and tells `onLine` each complete one, with the
 * moment its last byte arrived (what the IDLE markers are timed by).
 */
export class LineSplitter {
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.onLine(line.replace(/\r$/, ''));
  }

  flush(): void {
    if (this.partial !== '') this.onLine(this.partial.replace(/\r$/, ''));
    this.partial = '';
  }
}

/** Host time measured between the guest's IDLE begin and IDLE end. */
export interface IdleFigures {
  wallMs: number;
  hostCpuMs: number;
  /** hostCpuMs / wallMs: the share of one host core the idle guest used. */
  hostCpuFraction: number;
}

/** The exits and events of one run, summed over its vCPUs. */
export interface ExitFigures {
  instructions: number;
  portIo: number;
  portIoByDevice: Record<string, number>;
  mmio: number;
  mmioByDevice: Record<string, number>;
  halts: number;
  hypercalls: number;
  hypercallsByName: Record<string, number>;
  interrupts: number;
  upcalls: number;
  waitMs: number;
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const sum = (values: Iterable<number>): number => {
  let s = 0;
  for (const v of values) s += v;
  return s;
};

/** Sums a VM's per-vCPU figures. */
export function exitFigures(stats: VmStats): ExitFigures {
  const portIoByDevice: Record<string, number> = {};
  const mmioByDevice: Record<string, number> = {};
  const hypercallsByName: Record<string, number> = {};
  for (const v of stats.vcpus) {
    add(portIoByDevice, v.portIoByDevice);
    add(mmioByDevice, v.mmioByDevice);
    add(hypercallsByName, v.hypercalls);
  }
  const total = (pick: (v: VmStats['vcpus'][number]) => number) => sum(stats.vcpus.map(pick));
  return {
    instructions: total((v) => v.instructions),
    portIo: sum(Object.values(portIoByDevice)),
    portIoByDevice: sortedCounts(portIoByDevice),
    mmio: sum(Object.values(mmioByDevice)),
    mmioByDevice: sortedCounts(mmioByDevice),
    halts: total((v) => v.halts),
    hypercalls: sum(Object.values(hypercallsByName)),
    hypercallsByName: sortedCounts(hypercallsByName),
    interrupts: total((v) => v.interrupts),
    upcalls: total((v) => v.upcalls),
    waitMs: total((v) => v.waitMs),
  };
}

/** Busiest first, then by name: the order is stable across runs with equal counts. */
function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Everything one run of one image measured. */
export interface RunFigures {
  /** The guest's exit status (the shutdown code, or the value written to isa-debug-exit). */
  exitStatus: number;
  wallMs: number;
  hostCpuMs: number;
  exits: ExitFigures;
  bench: BenchLine[];
  idle: IdleFigures | null;
}

/**
 * A run as flat, stable keys: counters by device/hypercall appear as "portIo.com1", BENCH lines as
 * "bench.<name>.p50", the idle figures as "idle.hostCpuFraction".
 */
export function flatten(run: RunFigures): Record<string, number> {
  const e = run.exits;
  const flat: Record<string, number> = {
    instructions: e.instructions,
    hostCpuMs: run.hostCpuMs,
    wallMs: run.wallMs,
    portIo: e.portIo,
    mmio: e.mmio,
    halts: e.halts,
    hypercalls: e.hypercalls,
    interrupts: e.interrupts,
    upcalls: e.upcalls,
    waitMs: e.waitMs,
  };
  for (const [k, v] of Object.entries(e.portIoByDevice)) flat[`portIo.${k}`] = v;
  for (const [k, v] of Object.entries(e.mmioByDevice)) flat[`mmio.${k}`] = v;
  for (const [k, v] of Object.entries(e.hypercallsByName)) flat[`hypercalls.${k}`] = v;
  for (const b of run.bench) for (const q of ['n', 'min', 'p50', 'p99', 'max'] as const) flat[`bench.${b.name}.${q}`] = b[q];
  if (run.idle) {
    flat['idle.wallMs'] = run.idle.wallMs;
    flat['idle.hostCpuMs'] = run.idle.hostCpuMs;
    flat['idle.hostCpuFraction'] = run.idle.hostCpuFraction;
  }
  return flat;
}

/** A counter the hypervisor keeps (absent means zero), as opposed to a figure a run may lack (BENCH, IDLE). */
export const isCounter = (key: string): boolean => !key.startsWith('bench.') && !key.startsWith('idle.');

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Runs that had the figure. */
  runs: number;
}

export function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** Per key, the summary over runs; counters absent from a run count as zero there. */
export function summarizeRuns(runs: readonly Record<string, number>[], keys: Iterable<string>): Record<string, Summary | null> {
  const out: Record<string, Summary | null> = {};
  for (const key of keys) {
    const values = runs.flatMap((r) => (key in r ? [r[key]!] : isCounter(key) ? [0] : []));
    out[key] = summarize(values);
  }
  return out;
}

/** a / b of two medians; null when either is missing or b is zero. */
export function ratio(a: Summary | null | undefined, b: Summary | null | undefined): number | null {
  if (!a || !b || b.median === 0) return null;
  return a.median / b.median;
}
