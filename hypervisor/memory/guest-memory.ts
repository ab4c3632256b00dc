/**
 * Guest-physical RAM: one SharedArrayBuffer that every vCPU worker maps. Little-endian accessors that
 * accept unaligned addresses. Callers check ranges (`contains`) before touching memory on behalf of a
 * guest; the accessors themselves do not, for speed on the CPU's hot path.
 */
export class GuestMemory {
  readonly buffer: SharedArrayBuffer;
  readonly size: number;
  readonly u8: Uint8Array;
  /** For Atomics on aligned 32-bit words (LOCK-prefixed instructions, shared-page events). */
  readonly i32: Int32Array;
  private readonly view: DataView;

  constructor(sizeOrBuffer: number | SharedArrayBuffer) {
    if (typeof sizeOrBuffer === 'number') {
      if (!Number.isInteger(sizeOrBuffer) || sizeOrBuffer <= 0 || sizeOrBuffer % 4096 !== 0 || sizeOrBuffer > 0xc000_0000) {
        throw new RangeError(`guest RAM size must be a positive multiple of 4096 up to 3 GiB, not ${sizeOrBuffer}`);
      }
      this.buffer = new SharedArrayBuffer(sizeOrBuffer);
    } else {
      this.buffer = sizeOrBuffer;
    }
    this.size = this.buffer.byteLength;
    this.u8 = new Uint8Array(this.buffer);
    this.i32 = new Int32Array(this.buffer, 0, this.size >>> 2);
    this.view = new DataView(this.buffer);
  }

  /** True when [address, address + length) lies in RAM. */
  contains(address: number, length: number): boolean {
    return address >= 0 && length >= 0 && address + length <= this.size;
  }

  read8(address: number): number {
    return this.u8[address]!;
  }
  read16(address: number): number {
    return this.view.getUint16(address, true);
  }
  read32(address: number): number {
    return this.view.getInt32(address, true);
  }
  write8(address: number, value: number): void {
    this.u8[address] = value;
  }
  write16(address: number, value: number): void {
    this.view.setUint16(address, value, true);
  }
  write32(address: number, value: number): void {
    this.view.setInt32(address, value, true);
  }

  readBytes(address: number, length: number): Uint8Array {
    return this.u8.slice(address, address + length);
  }
  writeBytes(address: number, bytes: ArrayLike<number>): void {
    this.u8.set(bytes, address);
  }
}
