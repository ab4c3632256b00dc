import type { CpuIo } from '../x86/io.js';

export type AccessSize = 1 | 2 | 4;

/** A device as the bus sees it: accesses arrive as an offset into the range it was registered at. */
export interface BusDevice {
  readonly name: string;
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
}

export interface BusRange {
  readonly base: number;
  readonly size: number;
  readonly device: BusDevice;
  /** Registration order: the range's slot in `countByDevice`'s counters. */
  readonly slot: number;
}

/** Accesses that reached no device, per address: what `--stats` reports. */
export interface UnassignedAccess {
  readonly address: number;
  readonly reads: number;
  readonly writes: number;
}

/** All ones at the width of the access: what an ISA bus with nothing driving it reads. */
export const allOnes = (size: AccessSize): number => (size === 4 ? -1 : size === 2 ? 0xffff : 0xff);

/** Narrows a device's answer to the access width; 32-bit values are signed, as in GuestMemory. */
const narrow = (value: number, size: AccessSize): number => (size === 4 ? value | 0 : size === 2 ? value & 0xffff : value & 0xff);

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * One address space of device ranges (port I/O or MMIO). Ranges are kept sorted by base and found by
 * binary search, with the last hit cached because drivers hammer one device at a time. An access is
 * routed by its first byte; a device answers for any width at any offset inside its range.
 */
export class IoBus {
  private readonly ranges: BusRange[] = [];
  private lastHit: BusRange | undefined;
  private readonly unassigned = new Map<number, { reads: number; writes: number }>();
  /** Accesses per address (port buses only: one counter per port), when someone wants them counted. */
  accessCounts: Uint32Array | undefined = undefined;
  private deviceCounts: Uint32Array | undefined = undefined;
  private registered = 0;

  /** `limit` is one past the highest address: 0x10000 for ports, 2^32 for MMIO. */
  constructor(
    readonly name: string,
    readonly limit: number,
  ) {}

  register(base: number, size: number, device: BusDevice): void {
    const what = `${this.name}: ${device.name} at ${hex(base)}+${hex(size)}`;
    if (!Number.isInteger(base) || !Number.isInteger(size) || size <= 0) throw new RangeError(`${what}: a range needs a positive integer size`);
    if (base < 0 || base + size > this.limit) throw new RangeError(`${what}: the range leaves the address space [0, ${hex(this.limit)})`);
    const at = this.insertionPoint(base);
    for (const neighbour of [this.ranges[at - 1], this.ranges[at]]) {
      if (neighbour && neighbour.base < base + size && base < neighbour.base + neighbour.size) {
        throw new RangeError(
          `${what} overlaps ${neighbour.device.name} at ${hex(neighbour.base)}-${hex(neighbour.base + neighbour.size - 1)}`,
        );
      }
    }
    this.ranges.splice(at, 0, { base, size, device, slot: this.registered++ });
  }

  /**
   * Counts every access into `counts`: slot n for the range registered n-th, the last slot for accesses
   * that reached no device (ranges beyond the counters are not counted). With `deviceNames()`, this is
   * what `--stats` shows per device.
   */
  countByDevice(counts: Uint32Array): void {
    if (counts.length === 0) throw new RangeError(`${this.name}: countByDevice needs at least the unassigned slot`);
    this.deviceCounts = counts;
  }

  /** The device names by slot (registration order), as `countByDevice` counts them. */
  deviceNames(): string[] {
    const names: string[] = [];
    for (const r of this.ranges) names[r.slot] = r.device.name;
    return names;
  }

  private countAccess(address: number, range: BusRange | undefined): void {
    if (this.accessCounts !== undefined) this.accessCounts[address]!++;
    const counts = this.deviceCounts;
    if (counts === undefined) return;
    const unassigned = counts.length - 1;
    if (range === undefined) counts[unassigned]!++;
    else if (range.slot < unassigned) counts[range.slot]!++;
  }

  /** The range holding an address, if any. */
  find(address: number): BusRange | undefined {
    const hit = this.lastHit;
    if (hit && address >= hit.base && address < hit.base + hit.size) return hit;
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const range = this.ranges[mid]!;
      if (address < range.base) hi = mid - 1;
      else if (address >= range.base + range.size) lo = mid + 1;
      else return (this.lastHit = range);
    }
    return undefined;
  }

  read(address: number, size: AccessSize): number {
    const range = this.find(address);
    this.countAccess(address, range);
    if (range) return narrow(range.device.read(address - range.base, size), size);
    this.count(address).reads++;
    return allOnes(size);
  }

  write(address: number, size: AccessSize, value: number): void {
    const range = this.find(address);
    this.countAccess(address, range);
    if (range) range.device.write(address - range.base, size, narrow(value, size));
    else this.count(address).writes++;
  }

  /** Registered ranges in address order. */
  get map(): readonly BusRange[] {
    return this.ranges;
  }

  /** Unassigned accesses in address order. */
  unassignedAccesses(): UnassignedAccess[] {
    return [...this.unassigned]
      .map(([address, c]) => ({ address, reads: c.reads, writes: c.writes }))
      .sort((a, b) => a.address - b.address);
  }

  /** First index whose base is greater than or equal to `base`. */
  private insertionPoint(base: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid]!.base < base) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private count(address: number): { reads: number; writes: number } {
    let c = this.unassigned.get(address);
    if (!c) this.unassigned.set(address, (c = { reads: 0, writes: 0 }));
    return c;
  }
}

export const portBus = (): IoBus => new IoBus('port I/O', 0x1_0000);
export const mmioBus = (): IoBus => new IoBus('MMIO', 0x1_0000_0000);

/** The CPU's view of the machine, built from the two buses and nothing else. */
export function cpuIoFrom(ports: IoBus, mmio: IoBus): CpuIo {
  return {
    portRead: (port, size) => ports.read(port & 0xffff, size),
    portWrite: (port, size, value) => ports.write(port & 0xffff, size, value),
    mmioRead: (address, size) => mmio.read(address >>> 0, size),
    mmioWrite: (address, size, value) => mmio.write(address >>> 0, size, value),
  };
}
