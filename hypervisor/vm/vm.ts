import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ByteRing } from '../base/rings.js';
import { BlockFile } from '../devices/block-file.js';
import type { BlockRequest } from '../hypercall/context.js';
import { EventNumber, ShutdownReason } from '../hypercall/generated/interface.js';
import { hex, ImageError, loadElf, type ImageFile } from '../loader/elf.js';
import { loadMultiboot, MULTIBOOT_HEADER_MAGIC, MULTIBOOT_SEARCH, type MultibootModule } from '../loader/multiboot.js';
import { GuestMemory } from '../memory/guest-memory.js';
import type { RomImage } from './machine.js';
import { PcPlatform, writeFirmwareTables, type PcState } from './pc.js';
import { SerialStream } from './serial-stream.js';
import { Action, ControlSlot, Request, RunState, VcpuControl, DEVICE_SLOTS } from '../vcpu/control.js';
import { readStats, STATS_WORDS, type ClockKind, type VcpuStats, type VcpuStop } from '../vcpu/vcpu.js';
import type { WorkerConfig, WorkerMessage } from '../vcpu/worker.js';

export type { ClockKind };

export interface DriveConfig {
  path: string;
  readOnly?: boolean;
}

export interface VmConfig {
  /** Guest RAM: bytes, or a size with a K, M or G suffix ("64M"). Default 64M. */
  memory?: number | string;
  /** vCPUs, 1 to 32. Default 1. */
  vcpus?: number;
  /** Guest time: host monotonic time ("real", the default) or instructions retired ("virtual", reproducible). */
  clock?: ClockKind;
  /** Block devices backed by host files, by index. */
  drives?: readonly (string | DriveConfig)[];
  /** Read-only images mapped above RAM on every vCPU's MMIO bus (firmware, tables). */
  roms?: readonly RomImage[];
  /**
   * Check the device locks' ranks in every vCPU (base/lock.ts): a lock taken out of rank order ends the VM
   * with an error naming both locks. Default: on when the environment has PVRT_CHECK_LOCKS=1 (the tests
   * set it); off costs nothing.
   */
  checkLockRanks?: boolean;
}

export interface LoadOptions {
  /** The multiboot command line. */
  cmdline?: string;
  modules?: readonly MultibootModule[];
}

/** What `vm.load` put where. */
export interface LoadedImage {
  format: 'multiboot' | 'elf';
  entry: number;
  start: number;
  end: number;
}

/** How a VM ended. `exitCode` is what `pvrt run` exits with. */
export type VmResult =
  | { kind: 'shutdown'; reason: 'poweroff' | 'crash'; code: number; vcpu: number; exitCode: number }
  /** `code` is QEMU's status for the value written, (value << 1) | 1. */
  | { kind: 'debug-exit'; code: number; vcpu: number; exitCode: number }
  | { kind: 'triple-fault'; vcpu: number; message: string; exitCode: number }
  | { kind: 'halted'; message: string; exitCode: number }
  | { kind: 'timeout'; message: string; exitCode: number }
  | { kind: 'stopped'; exitCode: number }
  | { kind: 'error'; message: string; exitCode: number };

export interface VcpuFigures extends VcpuStats {
  vcpu: number;
  state: 'created' | 'starting' | 'running' | 'waiting' | 'paused' | 'stopped';
  /** Times the vCPU was woken from a sleep by an event or request. */
  wakeups: number;
  /** The armed one-shot timer's deadline in guest ns, or null. */
  timerDeadline: number | null;
  /** Port I/O accesses (reads and writes) by port, as "0x3f8", busiest first. */
  portIo: Record<string, number>;
  /** Port I/O and MMIO accesses by device ("unassigned": no device there), busiest first. */
  portIoByDevice: Record<string, number>;
  mmioByDevice: Record<string, number>;
}

export interface VmStats {
  vcpus: VcpuFigures[];
  /** Wall time since start, ms. */
  wallMs: number;
}

export interface VmEvents {
  console: [bytes: Uint8Array];
  log: [level: number, message: string, vcpu: number];
  exit: [result: VmResult];
}

/** The exit code `pvrt run` uses when the guest did not choose one: a timeout, as timeout(1) does. */
export const TIMEOUT_EXIT = 124;

const STATE_NAMES = ['created', 'starting', 'running', 'waiting', 'paused', 'stopped'] as const;

/** Parses "64M"-style sizes. */
export function parseSize(value: number | string, what: string): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(value.trim());
  if (!m) throw new RangeError(`${what}: "${value}" is not a size (use bytes or a K, M or G suffix, e.g. 64M)`);
  const unit = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

/** The bundled worker entry, next to this module in dist/, or dist/ beside the sources when run from source. */
function workerScript(): URL {
  for (const candidate of ['./vcpu-worker.js', '../../dist/vcpu-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error('pvrt: the vCPU worker bundle (dist/vcpu-worker.js) is missing: run `npm run build` first');
}

/**
 * A paravirtual VM: guest RAM on one SharedArrayBuffer, one worker per vCPU, block devices on this thread
 * (the I/O thread). Create it, load an image, start it, wait for its result:
 *
 *   const vm = createVm({ memory: '64M', vcpus: 2 });
 *   vm.on('console', (bytes) => process.stdout.write(bytes));
 *   vm.load('guest.elf');
 *   vm.start();
 *   const result = await vm.wait({ timeoutMs: 10_000 });
 */
export class Vm extends EventEmitter<VmEvents> {
  readonly memory: GuestMemory;
  readonly vcpuCount: number;
  readonly clock: ClockKind;
  private readonly controls: VcpuControl[];
  private readonly figures: Float64Array[];
  private readonly portCounts: Uint32Array[];
  /** Accesses per device slot: ports in the first DEVICE_SLOTS, MMIO in the next (see IoBus.countByDevice). */
  private readonly deviceCounts: Uint32Array[];
  /** The device names per slot, as the vCPU workers registered them (every worker registers the same). */
  private deviceNames: { ports: string[]; mmio: string[] } = { ports: [], mmio: [] };
  private readonly codeOwners: SharedArrayBuffer;
  private readonly owners: Int32Array;
  private readonly consoleInput = ByteRing.create(4096);
  private readonly serial = SerialStream.create();
  private serialPolling = false;
  private readonly drives: BlockFile[];
  private readonly roms: RomImage[];
  /** The PC devices every vCPU shares (PIC, PIT, RTC): unmodified guests find a PC, paravirtual ones ignore it. */
  private pcState: PcState;
  private readonly epochSeconds = Math.floor(Date.now() / 1000);
  private readonly checkLockRanks: boolean;
  private workers: Worker[] = [];
  private exits: Promise<void>[] = [];
  private boot: WorkerConfig['boot'];
  private image: { file: ImageFile; options: LoadOptions } | undefined;
  private startTime = 0;
  private result: VmResult | undefined;
  private running = 0;
  private readonly done: Promise<VmResult>;
  private finish!: (result: VmResult) => void;

  constructor(config: VmConfig = {}) {
    super();
    const bytes = parseSize(config.memory ?? '64M', 'memory');
    this.memory = new GuestMemory(bytes);
    const vcpus = config.vcpus ?? 1;
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 32) throw new RangeError(`vcpus: ${vcpus} is not a vCPU count from 1 to 32`);
    this.vcpuCount = vcpus;
    this.clock = config.clock ?? 'real';
    this.checkLockRanks = config.checkLockRanks ?? process.env['PVRT_CHECK_LOCKS'] === '1';
    if (this.clock !== 'real' && this.clock !== 'virtual') throw new RangeError(`clock: "${String(this.clock)}" is neither real nor virtual`);
    this.controls = Array.from({ length: vcpus }, () => new VcpuControl());
    this.pcState = PcPlatform.createState(vcpus);
    this.figures = Array.from({ length: vcpus }, () => new Float64Array(new SharedArrayBuffer(STATS_WORDS * 8)));
    this.portCounts = Array.from({ length: vcpus }, () => new Uint32Array(new SharedArrayBuffer(0x10000 * 4)));
    this.deviceCounts = Array.from({ length: vcpus }, () => new Uint32Array(new SharedArrayBuffer(2 * DEVICE_SLOTS * 4)));
    this.codeOwners = new SharedArrayBuffer((this.memory.size >>> 12) * 4);
    this.owners = new Int32Array(this.codeOwners);
    this.roms = [...(config.roms ?? [])];
    for (const rom of this.roms) {
      if (rom.base < bytes || rom.base + rom.bytes.length > 2 ** 32) throw new RangeError(`roms: ${rom.name} at ${hex(rom.base)}+${rom.bytes.length} must lie between the end of RAM and 4 GiB`);
    }
    this.drives = [];
    try {
      for (const drive of config.drives ?? []) {
        const d = typeof drive === 'string' ? { path: drive } : drive;
        this.drives.push(new BlockFile(d.path, d.readOnly ?? false));
      }
    } catch (err) {
      for (const d of this.drives) void d.close();
      throw err;
    }
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /**
   * Loads a guest image into RAM: a multiboot kernel (what `qemu-system-i386 -kernel` boots) gets the
   * multiboot boot state, command line and modules; any other i386 ELF is entered at its entry point in
   * flat 32-bit protected mode. Throws ImageError on a bad image, leaving the VM unstarted.
   */
  load(image: string | ImageFile, options: LoadOptions = {}): LoadedImage {
    if (this.workers.length > 0) throw new Error('load: the VM has already started');
    const file = typeof image === 'string' ? readImage(image) : image;
    this.image = { file, options };
    // Every VM is a PC: unmodified guests find their processors and interrupt wiring in the MP tables.
    writeFirmwareTables(this.memory, this.vcpuCount);
    if (hasMultibootMagic(file)) {
      const boot = loadMultiboot(file, this.memory, { cmdline: options.cmdline ?? file.name, modules: options.modules ?? [] });
      this.boot = { eip: boot.eip, eax: boot.eax, ebx: boot.ebx, eflags: boot.eflags };
      return { format: 'multiboot', entry: boot.eip, start: boot.kernel.start, end: boot.kernel.end };
    }
    if (options.cmdline !== undefined || (options.modules?.length ?? 0) > 0) {
      throw new ImageError(file.name, 'a command line or modules need a multiboot image, and this ELF has no multiboot header');
    }
    const elf = loadElf(file, this.memory);
    this.boot = { eip: elf.entry, eax: 0, ebx: 0, eflags: 0x2 };
    return { format: 'elf', entry: elf.entry, start: elf.start, end: elf.end };
  }

  /** Starts one worker per vCPU; the boot vCPU runs the loaded image, the others wait for vcpu_start. */
  start(): void {
    if (this.boot === undefined) throw new Error('start: load an image first');
    if (this.workers.length > 0) throw new Error('start: the VM is already running');
    this.startTime = performance.timeOrigin + performance.now();
    const script = workerScript();
    const drives = this.drives.map((d) => ({ sectorCount: d.sectorCount, readOnly: d.readOnly, inFlight: d.inFlight.buffer as SharedArrayBuffer }));
    for (let v = 0; v < this.vcpuCount; v++) {
      const config: WorkerConfig = {
        vcpuId: v,
        memory: this.memory.buffer,
        codeOwners: this.codeOwners,
        controls: this.controls.map((c) => c.buffer),
        stats: this.figures[v]!.buffer as SharedArrayBuffer,
        portCounts: this.portCounts[v]!.buffer as SharedArrayBuffer,
        deviceCounts: this.deviceCounts[v]!.buffer as SharedArrayBuffer,
        consoleInput: this.consoleInput.buffer,
        serial: this.serial.buffer,
        clock: this.clock,
        startTime: this.startTime,
        drives,
        roms: this.roms,
        pc: this.pcState,
        epochSeconds: this.epochSeconds,
        checkLockRanks: this.checkLockRanks,
        ...(v === 0 ? { boot: this.boot } : {}),
      };
      const worker = new Worker(script, { workerData: config, name: `vcpu${v}` });
      worker.on('message', (message: WorkerMessage) => this.onMessage(v, message));
      worker.on('error', (err) => this.end({ kind: 'error', message: `vCPU ${v}: ${err.stack ?? err.message}`, exitCode: 1 }));
      this.exits.push(
        new Promise((resolve) =>
          worker.on('exit', () => {
            resolve();
            if (--this.running === 0) void this.settle();
          }),
        ),
      );
      this.workers.push(worker);
      this.running++;
    }
  }

  /** Resolves with the VM's result; with `timeoutMs`, stops the VM and resolves with a timeout when it passes. */
  async wait(options: { timeoutMs?: number } = {}): Promise<VmResult> {
    if (options.timeoutMs === undefined) return this.done;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs)));
    const first = await Promise.race([this.done, timeout]);
    clearTimeout(timer);
    if (first !== undefined) return first;
    this.end({ kind: 'timeout', message: `the guest did not stop within ${options.timeoutMs / 1000} s`, exitCode: TIMEOUT_EXIT });
    return this.done;
  }

  /** Stops every vCPU at its next instruction boundary and resolves with the result. */
  stop(): Promise<VmResult> {
    this.end({ kind: 'stopped', exitCode: 0 });
    return this.done;
  }

  /** Feeds host input to the guest's console and raises CONSOLE_INPUT on the boot vCPU; returns bytes taken. */
  sendConsoleInput(bytes: Uint8Array): number {
    const taken = this.consoleInput.write(bytes);
    if (taken > 0) this.controls[0]!.raiseEvent(EventNumber.CONSOLE_INPUT);
    return taken;
  }

  /** Raises a spec event on a vCPU, as a device would. */
  raiseEvent(vcpu: number, event: number): void {
    this.controls[vcpu]!.raiseEvent(event);
  }

  /**
   * Stop-the-world: every vCPU parks at an instruction boundary. Resolves once none is running guest code;
   * a vCPU asleep in wait_for_event is not woken (it is already at a boundary) but will park if it wakes.
   */
  async pause(): Promise<void> {
    for (const c of this.controls) c.request(Request.Pause);
    while (this.controls.some((c) => c.state === RunState.Running || c.state === RunState.Starting)) await tick();
  }

  resume(): void {
    for (const c of this.controls) c.clearRequest(Request.Pause);
  }

  /**
   * Writes guest RAM from the host while the VM runs (a debugger poke, a loader), and makes every vCPU
   * that holds decoded code of the pages forget it before it runs them again: a synchronous crosscall
   * served at each running vCPU's next instruction boundary; to a sleeping vCPU it is a queued action
   * drained when it wakes, so it is not woken to answer. Resolves when every target has answered.
   */
  async writeMemory(address: number, bytes: Uint8Array): Promise<void> {
    if (!this.memory.contains(address, bytes.length)) throw new RangeError(`writeMemory: ${hex(address)}+${bytes.length} is outside guest RAM`);
    this.memory.writeBytes(address, bytes);
    if (bytes.length > 0) await this.invalidateCode(address >>> 12, (address + bytes.length - 1) >>> 12);
  }

  /** The crosscall behind host and DMA writes: every vCPU holding code of pages [first, last] drops it. */
  private async invalidateCode(first: number, last: number): Promise<void> {
    const positions: number[][] = this.controls.map(() => []);
    for (let page = first; page <= last; page++) {
      const owners = Atomics.exchange(this.owners, page, 0);
      for (let v = 0; v < this.vcpuCount; v++) if (owners & (1 << v)) positions[v]!.push(this.controls[v]!.post(Action.InvalidateCode, page));
    }
    await this.crosscallAnswered(positions);
  }

  /** A barrier: resolves once every vCPU has passed an instruction boundary (or sleeps at one). */
  async sync(): Promise<void> {
    await this.crosscallAnswered(this.controls.map((c) => [c.post(Action.Sync)]));
  }

  private async crosscallAnswered(positions: number[][]): Promise<void> {
    for (;;) {
      const v = positions.findIndex((list, v) => list.some((p) => !this.controls[v]!.answered(p)));
      if (v < 0) return;
      // Woken as soon as that vCPU takes a record from its queue; the 1 ms bound catches it going to sleep.
      const { words, actions } = this.controls[v]!;
      const wait = waitAsync(words, actions.servedIndex, actions.served(), 1);
      if (wait.async) await wait.value;
    }
  }

  /** Per-vCPU figures, read from shared memory without disturbing the vCPUs. */
  stats(): VmStats {
    return {
      vcpus: this.controls.map((c, v) => ({
        vcpu: v,
        state: STATE_NAMES[c.state] ?? 'stopped',
        wakeups: Atomics.load(c.words, ControlSlot.Wakeups),
        timerDeadline: c.deadline ?? null,
        portIo: portIoOf(this.portCounts[v]!),
        portIoByDevice: byDevice(this.deviceCounts[v]!.subarray(0, DEVICE_SLOTS), this.deviceNames.ports),
        mmioByDevice: byDevice(this.deviceCounts[v]!.subarray(DEVICE_SLOTS), this.deviceNames.mmio),
        ...readStats(this.figures[v]!),
      })),
      wallMs: this.startTime === 0 ? 0 : performance.timeOrigin + performance.now() - this.startTime,
    };
  }

  // ---- messages from the vCPUs -------------------------------------------------------------------

  private onMessage(vcpu: number, message: WorkerMessage): void {
    switch (message.type) {
      case 'serial':
        if (!this.serialPolling) {
          this.serialPolling = true;
          this.pollSerial();
        }
        break;
      case 'log':
        this.emitSerial(); // what the vCPU printed before it logged comes first

        this.emit('log', message.level, message.message, vcpu);
        break;
      case 'block':
        this.serveBlock(message.request);
        break;
      case 'devices':
        this.deviceNames = { ports: message.ports, mmio: message.mmio };
        break;
      case 'stop':
        this.onStop(vcpu, message.stop);
        break;
      case 'error':
        this.end({ kind: 'error', message: `vCPU ${vcpu} failed: ${message.message}`, exitCode: 1 });
        break;
    }
  }

  /** Emits what the serial stream holds; false when it held nothing. */
  private emitSerial(bytes = this.serial.drain()): boolean {
    if (bytes.length === 0) return false;
    this.emit('console', bytes);
    return true;
  }

  /** Drains the serial stream every 2 ms while bytes keep coming, then waits for the next doorbell. */
  private readonly pollSerial = (): void => {
    if (this.emitSerial() || this.emitSerial(this.serial.goIdle())) {
      setTimeout(this.pollSerial, 2);
      return;
    }
    this.serialPolling = false;
  };

  private serveBlock(request: BlockRequest): void {
    const drive = this.drives[request.device]!;
    drive.serve(
      request,
      this.memory,
      // DMA into RAM: code decoded from those pages is stale; every vCPU drops it before `done` is set.
      (first, last) => this.invalidateCode(first, last),
      () => this.controls[request.vcpu!]!.raiseEvent(EventNumber.BLOCK_COMPLETION),
    );
  }

  private readonly stopped = new Set<number>();

  private onStop(vcpu: number, stop: VcpuStop): void {
    this.stopped.add(vcpu);
    switch (stop.kind) {
      case 'reset':
        void this.reboot();
        return;
      case 'shutdown':
        if (stop.reason === ShutdownReason.REBOOT) {
          void this.reboot();
          return;
        }
        this.end({ kind: 'shutdown', reason: stop.reason === ShutdownReason.CRASH ? 'crash' : 'poweroff', code: stop.code, vcpu, exitCode: stop.code & 0xff });
        return;
      case 'debug-exit':
        // The device already reports QEMU's status for isa-debug-exit, (value << 1) | 1: its low byte is the exit code.
        this.end({ kind: 'debug-exit', code: stop.code, vcpu, exitCode: stop.code & 0xff });
        return;
      case 'triple-fault':
        this.end({ kind: 'triple-fault', vcpu, message: `vCPU ${vcpu}: triple fault at ${hex(stop.eip)} (${stop.reason})${stop.bytes.length ? `, bytes ${stop.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}` : ''}`, exitCode: 1 });
        return;
      case 'halted':
        // A halted paravirtual vCPU can never run again; the VM ends when no vCPU is left to run.
        if (this.controls.every((c, v) => this.stopped.has(v) || c.state === RunState.Created)) {
          this.end({ kind: 'halted', message: `every vCPU halted without a shutdown hypercall (last: vCPU ${vcpu})`, exitCode: 1 });
        }
        return;
      case 'stopped':
        return;
    }
  }

  private rebooting = false;

  /** shutdown(REBOOT): stop every vCPU, reload the image into clean RAM, start again. */
  private async reboot(): Promise<void> {
    if (this.rebooting || this.result !== undefined) return;
    this.rebooting = true;
    for (const c of this.controls) c.request(Request.Stop);
    await Promise.all(this.exits);
    this.workers = [];
    this.exits = [];
    this.stopped.clear();
    this.memory.u8.fill(0);
    this.owners.fill(0);
    this.pcState = PcPlatform.createState(this.vcpuCount); // a reboot resets the devices too
    this.controls.splice(0, this.controls.length, ...this.controls.map(() => new VcpuControl()));
    for (const stats of [...this.figures, ...this.portCounts, ...this.deviceCounts]) stats.fill(0); // figures describe the current boot
    this.rebooting = false;
    this.load(this.image!.file, this.image!.options);
    this.start();
  }

  /** Records the first result and asks every vCPU to stop; resolves `done` once all workers exited. */
  private end(result: VmResult): void {
    if (this.result !== undefined) return;
    this.result = result;
    for (const c of this.controls) c.request(Request.Stop);
    if (this.running === 0) void this.settle();
  }

  private async settle(): Promise<void> {
    if (this.rebooting) return;
    if (this.result === undefined) this.result = { kind: 'error', message: 'every vCPU worker exited without a result', exitCode: 1 };
    await Promise.all(this.drives.map((d) => d.close()));
    const result = this.result;
    this.emitSerial(); // the last bytes, before anyone hears the VM ended
    this.finish(result);
    this.emit('exit', result);
  }
}

/** Nonzero device counters, busiest first, by device name; the last slot counts unassigned accesses. */
function byDevice(counts: Uint32Array, names: readonly string[]): Record<string, number> {
  const used: [string, number][] = [];
  counts.forEach((n, slot) => {
    if (n !== 0) used.push([slot === counts.length - 1 ? 'unassigned' : (names[slot] ?? `device ${slot}`), n]);
  });
  return Object.fromEntries(used.sort((a, b) => b[1] - a[1]));
}

/** Nonzero port counters, busiest first, keyed by the port in hex. */
function portIoOf(counts: Uint32Array): Record<string, number> {
  const used: [number, number][] = [];
  for (let port = 0; port < counts.length; port++) if (counts[port] !== 0) used.push([port, counts[port]!]);
  used.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return Object.fromEntries(used.map(([port, n]) => [`0x${port.toString(16)}`, n]));
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** Atomics.waitAsync (Node 16+), typed here rather than widening the whole project's lib to ES2024. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/** A multiboot magic word where the header may be: the loader then insists on a valid header. */
function hasMultibootMagic(file: ImageFile): boolean {
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
  for (let at = 0; at + 4 <= Math.min(MULTIBOOT_SEARCH, file.bytes.length); at += 4) if (view.getUint32(at, true) === MULTIBOOT_HEADER_MAGIC) return true;
  return false;
}

function readImage(path: string): ImageFile {
  try {
    return { name: path, bytes: new Uint8Array(readFileSync(path)) };
  } catch (err) {
    throw new ImageError(path, `cannot read the image: ${(err as Error).message}`);
  }
}

export function createVm(config: VmConfig = {}): Vm {
  return new Vm(config);
}
