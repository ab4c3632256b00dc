/** A little-endian byte writer, for the tables the VM lays out in guest RAM (MP, ACPI). */
export class ByteWriter {
  readonly out: number[] = [];

  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }

  u32(v: number): this {
    return this.u16(v).u16(v >>> 16);
  }

  /** `s` padded with `pad` to exactly `length` bytes. */
  text(s: string, length: number, pad = 0x20): this {
    for (let i = 0; i < length; i++) this.u8(i < s.length ? s.charCodeAt(i) : pad);
    return this;
  }
}

/** The byte that makes `bytes` sum to 0 modulo 256, as the MP and ACPI tables' checksums require. */
export const checksum8 = (bytes: readonly number[]): number => -bytes.reduce((sum, b) => sum + b, 0) & 0xff;
