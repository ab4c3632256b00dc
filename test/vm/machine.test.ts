import { describe, expect, it } from 'vitest';
import { Machine } from '../../hypervisor/vm/machine.js';

describe('Machine memory map', () => {
  it('lists RAM and every ROM by address; ROM reads its bytes, ignores writes, and cannot overlap RAM', () => {
    const machine = new Machine({
      memoryBytes: 1 << 20,
      roms: [
        { name: 'tables', base: 0xfee00000, bytes: new Uint8Array(16) },
        { name: 'firmware', base: 0xffff0000, bytes: Uint8Array.of(0xef, 0xbe, 0xad, 0xde, 0x11) },
      ],
    });
    expect(machine.memoryMap()).toEqual([
      { kind: 'ram', name: 'ram', base: 0, size: 1 << 20 },
      { kind: 'rom', name: 'tables', base: 0xfee00000, size: 16 },
      { kind: 'rom', name: 'firmware', base: 0xffff0000, size: 5 },
    ]);
    const cpu = machine.cpu;
    expect(cpu.physRead32(0xffff0000) >>> 0).toBe(0xdeadbeef);
    cpu.physWrite32(0xffff0000, 0);
    expect(cpu.physRead32(0xffff0000) >>> 0).toBe(0xdeadbeef);
    expect(cpu.physRead32(0xffff0002) >>> 0).toBe(0xff11dead); // runs past the end: all ones beyond
    expect(() => new Machine({ memoryBytes: 1 << 20, roms: [{ name: 'low', base: 0xff000, bytes: new Uint8Array(4) }] })).toThrow(/ROM low at 0xff000 overlaps RAM/);
  });
});
