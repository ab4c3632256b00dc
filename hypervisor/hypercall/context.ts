import type { GuestMemory } from '../memory/guest-memory.js';

/**
 * What hypercall handlers need from the VM, for one vCPU: defined by the handlers (their users), so a
 * test can fake it in a few lines. The threading model decides who implements it: the vCPU worker, with
 * host I/O forwarded to the main thread.
 */
export interface VcpuContext {
  readonly memory: GuestMemory;
  readonly vcpuId: number;
  readonly vcpuCount: number;
  /** Feature words answered by feature_query (word 0 first). */
  readonly features: readonly number[];
  /** Bytes the guest writes to its console. */
  consoleWrite(bytes: Uint8Array): void;
  /** Up to `max` bytes of waiting console input, or none. */
  consoleRead(max: number): Uint8Array;
  /** Monotonic guest time in nanoseconds since VM start (the VM's real or virtual clock). */
  now(): number;
  /** The guest asked to stop: the VM ends with this reason and code. */
  shutdown(reason: number, code: number): void;
  /** A debug_log message, with its level. */
  log(level: number, message: string): void;
  /** Makes `page` this vCPU's shared page, upcalls entering at `entry`. */
  registerSharedPage(page: number, entry: number): void;
  /** Whether a shared page is registered (wait_for_event and events_deliver need one). */
  readonly hasSharedPage: boolean;
  /** Unmasks events and sleeps until one is pending; returns at once when one already is. */
  waitForEvent(): void;
  /** Gives the host CPU away briefly (a spin-wait hint). */
  yieldHost(): void;
  /** Arms the one-shot timer for an absolute deadline in ns; a deadline already past fires at once. */
  setTimer(deadline: number): void;
  cancelTimer(): void;
  /** Raises an event on a vCPU of this VM (IPIs). */
  raiseEvent(vcpu: number, event: number): void;
  /** Starts secondary vCPU `vcpu` at `entry`; answers OK, ENODEV, EALREADY or EINVAL. */
  startVcpu(vcpu: number, entry: number, stack: number, argument: number): number;
  /** The VM's block devices, by index. */
  readonly drives: readonly {
    readonly sectorCount: number;
    readonly readOnly: boolean;
    /** Requests in flight on the drive, shared by every vCPU and the I/O thread: [count]. */
    readonly inFlight: Int32Array;
  }[];
  /** Hands a validated request to the I/O thread; its completion is written to guest memory later. */
  submitBlock(request: BlockRequest): void;
}

/** A block request that passed validation: what the I/O thread needs to carry it out. */
export interface BlockRequest {
  /** The submitting vCPU, which gets BLOCK_COMPLETION (filled in by the vCPU). */
  vcpu?: number;
  device: number;
  write: boolean;
  sector: number;
  sectorCount: number;
  /** Guest-physical address of the data. */
  buffer: number;
  /** Guest-physical address of the block_request descriptor (status and done are written there). */
  descriptor: number;
}

/** A handler's answer: the status for the status register and, for calls that return one, the value. */
export interface Outcome {
  status: number;
  value?: number;
}
