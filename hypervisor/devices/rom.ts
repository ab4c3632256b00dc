import type { AccessSize, BusDevice } from '../bus/io-bus.js';

/**
 * Read-only memory on the MMIO bus: reads return the image's bytes (little-endian for wider accesses),
 * writes change nothing and are counted, as a ROM chip ignores them.
 */
export class Rom implements BusDevice {
  ignoredWrites = 0;
  private readonly view: DataView;

  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  read(offset: number, size: AccessSize): number {
    // An access that runs past the end reads the bytes it has and all ones beyond, byte by byte.
    if (offset + size > this.bytes.length) {
      let value = 0;
      for (let i = size - 1; i >= 0; i--) value = (value << 8) | (offset + i < this.bytes.length ? this.bytes[offset + i]! : 0xff);
      return value;
    }
    return size === 1 ? this.bytes[offset]! : size === 2 ? this.view.getUint16(offset, true) : this.view.getInt32(offset, true);
  }

  write(): void {
    this.ignoredWrites++;
  }
}
