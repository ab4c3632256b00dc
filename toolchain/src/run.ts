import { readFileSync } from 'node:fs';
import { createVm, ImageError, type VmResult, type VmStats } from '../../hypervisor/index.js';
import type { MultibootModule } from '../../hypervisor/loader/multiboot.js';
import { DriveError } from '../../hypervisor/devices/block-file.js';
import { PvrtError } from './errors.js';

/** `pvrt run`'s options, as parsed from the command line. */
export interface RunOptions {
  image: string;
  memory: string;
  smp: number;
  clock: 'real' | 'virtual';
  drives: string[];
  append?: string;
  /** Multiboot modules: FILE or FILE,STRING (the module's string; default the file name). */
  modules?: string[];
  /** Seconds; none when undefined. */
  timeout?: number;
  stats: boolean;
}

/** Host streams `pvrt run` connects to the guest. */
export interface RunIo {
  console(bytes: Uint8Array): void;
  err(text: string): void;
  /** Host input for the guest console: the callback gets each chunk; the returned function disconnects. */
  input?(feed: (bytes: Uint8Array) => void): () => void;
}

/** Parses a `--drive` value: a path, optionally followed by `,ro`. */
function driveOf(value: string): { path: string; readOnly: boolean } {
  const m = /^(.*?)(,ro|,rw)?$/.exec(value)!;
  return { path: m[1]!, readOnly: m[2] === ',ro' };
}

/** Reads a `--module` value: FILE or FILE,STRING. */
function moduleOf(value: string): MultibootModule {
  const comma = value.indexOf(',');
  const path = comma < 0 ? value : value.slice(0, comma);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new PvrtError({ message: `--module ${path}: cannot read it: ${(err as Error).message}` });
  }
  return { file: { name: path, bytes }, ...(comma < 0 ? {} : { cmdline: value.slice(comma + 1) }) };
}

/**
 * Boots a paravirtual (or multiboot) image on the hypervisor and returns the process exit code: the
 * guest's shutdown code, (code << 1) | 1 for QEMU's isa-debug-exit, 124 on a timeout, 1 with a message on
 * a fatal guest fault or a host error.
 */
export async function runImage(options: RunOptions, io: RunIo): Promise<number> {
  if (!Number.isInteger(options.smp) || options.smp < 1 || options.smp > 32) throw new PvrtError({ message: `--smp: "${options.smp}" is not a vCPU count from 1 to 32` });
  if (options.clock !== 'real' && options.clock !== 'virtual') throw new PvrtError({ message: `--clock: "${options.clock}" must be real or virtual` });
  if (options.timeout !== undefined && !(options.timeout > 0)) throw new PvrtError({ message: `--timeout: "${options.timeout}" is not a positive number of seconds` });
  let vm;
  try {
    vm = createVm({ memory: options.memory, vcpus: options.smp, clock: options.clock, drives: options.drives.map(driveOf) });
    vm.load(options.image, {
      ...(options.append === undefined ? {} : { cmdline: options.append }),
      ...(options.modules?.length ? { modules: options.modules.map(moduleOf) } : {}),
    });
  } catch (err) {
    if (err instanceof ImageError || err instanceof DriveError || err instanceof RangeError) throw new PvrtError({ message: err.message });
    throw err;
  }
  vm.on('console', (bytes) => io.console(bytes));
  vm.on('log', (level, message, vcpu) => io.err(`[guest log ${LEVEL_NAMES[level] ?? level}, vCPU ${vcpu}] ${message}`));
  const disconnect = io.input?.((bytes) => vm.sendConsoleInput(bytes));
  vm.start();
  const result = await vm.wait(options.timeout === undefined ? {} : { timeoutMs: options.timeout * 1000 });
  disconnect?.();
  const message = describe(result);
  if (message) io.err(`pvrt: ${options.image}: ${message}`);
  if (options.stats) io.err(formatStats(vm.stats()));
  return result.exitCode;
}

const LEVEL_NAMES = ['error', 'warning', 'info', 'debug'];

/** What to tell the user about a result that is not a plain power-off. */
function describe(result: VmResult): string | undefined {
  switch (result.kind) {
    case 'shutdown':
      return result.reason === 'crash' ? `the guest crashed (shutdown reason CRASH, code ${result.code})` : undefined;
    case 'debug-exit':
      return undefined;
    case 'triple-fault':
    case 'halted':
    case 'timeout':
    case 'error':
      return result.message;
    case 'stopped':
      return 'stopped';
  }
}

/** One `--stats` line of counters, busiest first (the records already are), the first `limit` by name. */
function busiest(title: string, counts: Record<string, number>, limit = Infinity, unit = 'more'): string[] {
  const entries = Object.entries(counts);
  if (entries.length === 0) return [];
  const rest = entries.length > limit ? `, and ${entries.length - limit} more ${unit}` : '';
  return [`    ${title}: ${entries.slice(0, limit).map(([name, n]) => `${name} ${n}`).join(', ')}${rest}`];
}

/** The `--stats` table: one block per vCPU. */
export function formatStats(stats: VmStats): string {
  const lines = [`pvrt stats: ${stats.vcpus.length} vCPU(s), ${stats.wallMs.toFixed(1)} ms wall`];
  for (const v of stats.vcpus) {
    lines.push(`  vCPU ${v.vcpu} (${v.state}): ${v.instructions} instructions, ${v.upcalls} upcalls, ${v.waitMs.toFixed(1)} ms waiting, ${v.wakeups} wake-ups`);
    const calls = Object.entries(v.hypercalls).sort((a, b) => b[1] - a[1]);
    if (calls.length > 0) lines.push(`    hypercalls: ${calls.map(([name, n]) => `${name} ${n}`).join(', ')}`);
    if (v.halts > 0 || v.interrupts > 0) lines.push(`    HLT exits ${v.halts}, interrupts injected ${v.interrupts}`);
    lines.push(...busiest('port I/O by device', v.portIoByDevice), ...busiest('MMIO by device', v.mmioByDevice), ...busiest('port I/O by port', v.portIo, 12, 'ports'));
  }
  return lines.join('\n');
}
