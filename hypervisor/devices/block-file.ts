import { openSync, closeSync, fstatSync, read, write } from 'node:fs';
import type { BlockRequest } from '../hypercall/context.js';
import { SECTOR_SIZE } from '../hypercall/block.js';
import { Status, Structs } from '../hypercall/generated/interface.js';
import type { GuestMemory } from '../memory/guest-memory.js';

const REQUEST = Structs.block_request.offset;

export class DriveError extends Error {}

/**
 * A block device backed by a host file, served on the I/O thread (the VM's main thread) with asynchronous
 * host I/O, so no vCPU ever blocks on the disk. It sees guest memory and a completion line, never a vCPU:
 * when a request is done it writes the data, then the status, then done = 1, and signals `complete`.
 */
export class BlockFile {
  readonly sectorCount: number;
  /** Requests in flight, shared with the vCPUs that admit them (QUEUE_DEPTH). */
  readonly inFlight = new Int32Array(new SharedArrayBuffer(4));
  private fd: number | undefined;
  private pending = 0;
  private drained: (() => void) | undefined;

  constructor(
    readonly path: string,
    readonly readOnly: boolean,
  ) {
    try {
      this.fd = openSync(path, readOnly ? 'r' : 'r+');
      const size = fstatSync(this.fd).size;
      if (size % SECTOR_SIZE !== 0) throw new DriveError(`${path}: ${size} bytes is not a whole number of ${SECTOR_SIZE}-byte sectors`);
      this.sectorCount = size / SECTOR_SIZE;
    } catch (err) {
      if (this.fd !== undefined) closeSync(this.fd);
      if (err instanceof DriveError) throw err;
      throw new DriveError(`${path}: cannot open the drive: ${(err as Error).message}`);
    }
  }

  /**
   * Carries out a request the vCPU validated. The data moves straight between the file and guest RAM; a
   * write copies the buffer when it is carried out, as the spec says. `wrote(first, last)` reports the
   * guest pages a read filled (DMA: decoded code there is stale) and resolves when that is dealt with;
   * only then are status and done written and `complete()` signalled.
   */
  serve(request: BlockRequest, memory: GuestMemory, wrote: (firstPage: number, lastPage: number) => Promise<void>, complete: () => void): void {
    const fd = this.fd;
    const bytes = request.sectorCount * SECTOR_SIZE;
    const view = new Uint8Array(memory.buffer, request.buffer, bytes);
    const position = request.sector * SECTOR_SIZE;
    this.pending++;
    const finish = async (error: Error | null, done: number) => {
      const ok = error === null && done === bytes;
      if (ok && !request.write) await wrote(request.buffer >>> 12, (request.buffer + bytes - 1) >>> 12);
      memory.write32(request.descriptor + REQUEST.status, ok ? Status.OK : Status.EIO);
      Atomics.store(memory.i32, (request.descriptor + REQUEST.done) >> 2, 1);
      Atomics.sub(this.inFlight, 0, 1);
      complete();
      if (--this.pending === 0) this.drained?.();
    };
    const settle = (error: Error | null, done: number) => void finish(error, done);
    if (fd === undefined) return settle(new Error('closed'), 0);
    // A write takes a copy first: the guest may not touch the buffer, but another vCPU of a buggy guest could.
    if (request.write) write(fd, view.slice(), 0, bytes, position, settle);
    else read(fd, view, 0, bytes, position, settle);
  }

  /** Waits for requests in flight, then closes the file. */
  async close(): Promise<void> {
    if (this.pending > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
