/**
 * The vCPU worker: one worker_threads Worker per vCPU, running the CPU over the VM's shared RAM. The
 * worker talks back to the VM (the main thread, which owns host I/O) only by messages for console output,
 * logs and block requests; everything else goes through shared memory (control blocks, the console input
 * ring, the code-owner bitmap, the stats block).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ByteRing } from '../base/rings.js';
import type { BlockRequest } from '../hypercall/context.js';
import { Machine, type RomImage } from '../vm/machine.js';
import type { PcState } from '../vm/pc.js';
import { Fpu } from '../x86/fpu.js';
import { EAX, EBX } from '../x86/state.js';
import { VcpuControl } from './control.js';
import { Vcpu, type ClockKind, type DriveInfo, type VcpuStop } from './vcpu.js';

/** Everything a vCPU worker is started with (structured-cloned; SharedArrayBuffers are shared). */
export interface WorkerConfig {
  vcpuId: number;
  memory: SharedArrayBuffer;
  codeOwners: SharedArrayBuffer;
  controls: SharedArrayBuffer[];
  stats: SharedArrayBuffer;
  /** Port I/O accesses by port (65536 Uint32 counters), for the VM's figures. */
  portCounts: SharedArrayBuffer;
  consoleInput: SharedArrayBuffer;
  clock: ClockKind;
  startTime: number;
  drives: { sectorCount: number; readOnly: boolean; inFlight: SharedArrayBuffer }[];
  roms: RomImage[];
  /** The PC devices' shared state, and the RTC's wall-clock time at guest time 0. */
  pc: PcState;
  epochSeconds: number;
  /** The boot vCPU's entry state; secondaries wait for vcpu_start instead. */
  boot?: { eip: number; eax: number; ebx: number; eflags: number };
}

/** Messages from a vCPU worker to the VM. */
export type WorkerMessage =
  | { type: 'console'; bytes: Uint8Array }
  | { type: 'log'; level: number; message: string }
  | { type: 'block'; request: BlockRequest }
  | { type: 'stop'; stop: VcpuStop }
  | { type: 'error'; message: string };

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function main(config: WorkerConfig): void {
  // Console bytes leave in batches: one message per burst, not per byte (the UART path writes bytewise).
  let pending: number[] = [];
  const flush = () => {
    if (pending.length > 0) post({ type: 'console', bytes: Uint8Array.from(pending) });
    pending = [];
  };
  let vcpu: Vcpu | undefined;
  const peers = config.controls.map((buffer) => VcpuControl.attach(buffer));
  const machine = new Machine({
    memoryBytes: config.memory,
    serial: (byte) => {
      pending.push(byte);
      if (byte === 10 || pending.length >= 4096) flush();
    },
    fpu: (host) => new Fpu(host),
    sharedCode: { owners: new Int32Array(config.codeOwners), index: config.vcpuId },
    roms: config.roms,
    // The devices keep guest time by this vCPU's clock (set below, once the vCPU exists).
    pc: {
      clock: { now: () => vcpu?.now() ?? 0 },
      state: config.pc,
      epochSeconds: config.epochSeconds,
      vcpuId: config.vcpuId,
      wake: (index) => peers[index]?.kick(),
    },
  });
  machine.ports.accessCounts = new Uint32Array(config.portCounts);
  const input = new ByteRing(config.consoleInput);
  const drives: DriveInfo[] = config.drives.map((d) => ({ sectorCount: d.sectorCount, readOnly: d.readOnly, inFlight: new Int32Array(d.inFlight) }));
  vcpu = new Vcpu(machine, {
    vcpuId: config.vcpuId,
    clock: config.clock,
    startTime: config.startTime,
    peers,
    stats: new Float64Array(config.stats),
    host: {
      console: (bytes) => {
        flush();
        post({ type: 'console', bytes });
      },
      consoleInput: (max) => input.read(max),
      log: (level, message) => {
        flush();
        post({ type: 'log', level, message });
      },
      drives,
      submitBlock: (request) => post({ type: 'block', request }),
    },
  });
  if (config.boot !== undefined) {
    const { eip, eax, ebx, eflags } = config.boot;
    machine.enterFlatProtectedMode(eip);
    machine.cpu.setFlags(eflags);
    machine.cpu.regs[EAX] = eax;
    machine.cpu.regs[EBX] = ebx;
  } else if (!vcpu.awaitStart()) {
    post({ type: 'stop', stop: { kind: 'stopped' } });
    return;
  }
  const stop = vcpu.run();
  flush();
  post({ type: 'stop', stop });
}

try {
  main(workerData as WorkerConfig);
} catch (err) {
  // A host bug, never guest input: report it rather than dying silently.
  post({ type: 'error', message: (err as Error).stack ?? String(err) });
}
