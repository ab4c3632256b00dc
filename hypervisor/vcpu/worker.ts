/**
 * The vCPU worker: one worker_threads Worker per vCPU, running the CPU over the VM's shared RAM. The
 * worker talks back to the VM (the main thread, which owns host I/O) by messages for logs and block
 * requests; everything else goes through shared memory (control blocks, console output and input
 * ring, the code-owner bitmap, the stats block).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkLockRanks } from '../base/lock.js';
import { ByteRing } from '../base/rings.js';
import type { BlockRequest } from '../hypercall/context.js';
import { Machine, type RomImage } from '../vm/machine.js';
import type { PcState } from '../vm/pc.js';
import { SerialStream } from '../vm/serial-stream.js';
import { Fpu } from '../x86/fpu.js';
import { EAX, EBX } from '../x86/state.js';
import { DEVICE_SLOTS, VcpuControl } from './control.js';
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
  /** Accesses by device: DEVICE_SLOTS port-bus counters, then DEVICE_SLOTS MMIO counters (IoBus.countByDevice). */
  deviceCounts: SharedArrayBuffer;
  consoleInput: SharedArrayBuffer;
  /** The console output stream every vCPU writes (SerialStream). */
  serial: SharedArrayBuffer;
  clock: ClockKind;
  startTime: number;
  drives: { sectorCount: number; readOnly: boolean; inFlight: SharedArrayBuffer }[];
  roms: RomImage[];
  /** The PC devices' shared state, and the RTC's wall-clock time at guest time 0. */
  pc: PcState;
  epochSeconds: number;
  /** Rank-check every lock this vCPU takes (debug builds, tests). */
  checkLockRanks: boolean;
  /** The boot vCPU's entry state; secondaries wait for vcpu_start instead. */
  boot?: { eip: number; eax: number; ebx: number; eflags: number };
}

/** Messages from a vCPU worker to the VM. */
export type WorkerMessage =
  /** The serial stream's doorbell: bytes are waiting and the VM was not polling. */
  | { type: 'serial' }
  | { type: 'log'; level: number; message: string }
  | { type: 'block'; request: BlockRequest }
  /** The device names of each bus's counter slots, sent once at start. */
  | { type: 'devices'; ports: string[]; mmio: string[] }
  | { type: 'stop'; stop: VcpuStop }
  | { type: 'error'; message: string };

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

function main(config: WorkerConfig): void {
  checkLockRanks(config.checkLockRanks);
  // Console bytes from the UART and the console hypercall join the VM's one ordered stream.
  const serial = SerialStream.attach(config.serial);
  const ring = () => post({ type: 'serial' });
  const write = (byte: number) => serial.push(byte, ring);
  let vcpu: Vcpu | undefined;
  const peers = config.controls.map((buffer) => VcpuControl.attach(buffer));
  const machine = new Machine({
    memoryBytes: config.memory,
    serial: write,
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
  const deviceCounts = new Uint32Array(config.deviceCounts);
  machine.ports.countByDevice(deviceCounts.subarray(0, DEVICE_SLOTS));
  machine.mmio.countByDevice(deviceCounts.subarray(DEVICE_SLOTS));
  post({ type: 'devices', ports: machine.ports.deviceNames(), mmio: machine.mmio.deviceNames() });
  const input = new ByteRing(config.consoleInput);
  const drives: DriveInfo[] = config.drives.map((d) => ({ sectorCount: d.sectorCount, readOnly: d.readOnly, inFlight: new Int32Array(d.inFlight) }));
  vcpu = new Vcpu(machine, {
    vcpuId: config.vcpuId,
    clock: config.clock,
    startTime: config.startTime,
    peers,
    stats: new Float64Array(config.stats),
    host: {
      console: (bytes) => bytes.forEach(write),
      consoleInput: (max) => input.read(max),
      log: (level, message) => post({ type: 'log', level, message }),
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
  post({ type: 'stop', stop });
}

try {
  main(workerData as WorkerConfig);
} catch (err) {
  // A host bug, never guest input: report it rather than dying silently.
  post({ type: 'error', message: (err as Error).stack ?? String(err) });
}
