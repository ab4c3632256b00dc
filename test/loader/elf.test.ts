import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ImageError, loadElf } from '../../hypervisor/loader/elf.js';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { copy, elf64, runtimeGuest, toolchainProblem } from './images.js';

const MiB = 1 << 20;

describe('ELF32 loader', () => {
  if (toolchainProblem) {
    console.warn(`SKIPPED the ELF32 loader tests: ${toolchainProblem}`);
    it.skip(`with images gcc builds SKIPPED: ${toolchainProblem}`, () => {});
    return;
  }
  const image = runtimeGuest();
  const headers = spawnSync('readelf', ['-lW', image.name], { encoding: 'utf8' }).stdout;
  const loads = [...headers.matchAll(/LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)/g)].map((m) =>
    m.slice(1).map((h) => parseInt(h, 16)),
  );
  const entry = parseInt(/Entry point 0x([0-9a-f]+)/.exec(headers)![1]!, 16);

  it('loads every PT_LOAD segment at its physical address and zero-fills .bss over stale memory', () => {
    const memory = new GuestMemory(4 * MiB);
    memory.u8.fill(0xaa);
    const loaded = loadElf(image, memory);
    expect(loaded.entry).toBe(entry);
    expect(loaded.segments.map((s) => [s.physicalAddress, s.fileSize, s.memorySize])).toEqual(loads.map(([, , p, f, m]) => [p, f, m]));
    expect(loads.some(([, , , f, m]) => m! > f!)).toBe(true); // the guest has a .bss to clear
    for (const [offset, , paddr, filesz, memsz] of loads) {
      expect(memory.readBytes(paddr!, filesz!)).toEqual(image.bytes.subarray(offset!, offset! + filesz!));
      expect(memory.readBytes(paddr! + filesz!, memsz! - filesz!).every((b) => b === 0)).toBe(true);
    }
    expect(loaded.start).toBe(0x100000);
    expect(loaded.end).toBe(Math.max(...loads.map(([, , p, , m]) => p! + m!)));
    expect(memory.read8(0x100000 - 1)).toBe(0xaa); // nothing outside the segments
    expect(memory.read8(loaded.end)).toBe(0xaa);
  });

  const rejects = (file: { name: string; bytes: Uint8Array }, message: RegExp, memory = new GuestMemory(4 * MiB)) => {
    let error: unknown;
    try {
      loadElf(file, memory);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.startsWith(`${file.name}: `)).toBe(true);
    return memory;
  };

  it('rejects a file that is not ELF', () => {
    rejects({ name: 'kernel.bin', bytes: new Uint8Array(4096) }, /kernel\.bin: not an ELF file \(bad magic\)/);
  });

  it('rejects a 64-bit ELF built by gcc', () => {
    const x64 = elf64();
    if (typeof x64 === 'string') return void console.warn(`SKIPPED the ELF64 check: ${x64}`);
    rejects(x64, /is a 64-bit ELF \(ELFCLASS64, x86-64\); pvrt loads 32-bit i386 images/);
  });

  it('rejects big-endian data, another machine and a non-executable', () => {
    rejects(copy(image, 'be.elf', (b) => (b[5] = 2)), /be\.elf: not little-endian/);
    rejects(copy(image, 'arm.elf', (_b, v) => v.setUint16(18, 40, true)), /arm\.elf: not an i386 image \(e_machine 40/);
    rejects(copy(image, 'rel.o', (_b, v) => v.setUint16(16, 1, true)), /rel\.o: not an executable \(e_type 1/);
  });

  it('rejects truncated files: header, program headers, segment contents', () => {
    rejects({ name: 'tiny.elf', bytes: image.bytes.slice(0, 40) }, /tiny\.elf: truncated: 40 bytes is shorter than the 52-byte ELF32 header/);
    rejects({ name: 'cut.elf', bytes: image.bytes.slice(0, 60) }, /cut\.elf: truncated: \d+ program headers at offset 52 run past the end of the 60-byte file/);
    const [offset, , paddr, filesz] = loads[0]!;
    const cut = image.bytes.slice(0, offset! + filesz! - 1);
    const memory = rejects({ name: 'short.elf', bytes: cut }, new RegExp(`short\\.elf: truncated: segment 0 \\(0x${paddr!.toString(16).padStart(8, '0')}-.*needs file bytes`));
    expect(memory.u8.every((b) => b === 0)).toBe(true);
  });

  it('rejects a segment outside RAM, naming it and its addresses, before writing anything', () => {
    const last = loads.at(-1)!;
    const memory = rejects(image, /segment \d \(0x00103000-0x[0-9a-f]{8}\) lies outside guest RAM \(0x0-0x00103000\)/, new GuestMemory(last[2]!));
    expect(memory.u8.every((b) => b === 0)).toBe(true); // the segments that fit were not loaded either
  });

  it('translates a virtual entry point through its segment', () => {
    // Relink the same program as if linked at 0xc0100000 but loaded at 1 MiB: move vaddr and entry.
    const high = copy(image, 'high.elf', (_b, v) => {
      const phoff = v.getUint32(28, true);
      for (let i = 0; i < v.getUint16(44, true); i++) {
        const at = phoff + i * 32;
        if (v.getUint32(at, true) === 1) v.setUint32(at + 8, v.getUint32(at + 8, true) + 0xc0000000, true);
      }
      v.setUint32(24, entry + 0xc0000000, true);
    });
    expect(loadElf(high, new GuestMemory(4 * MiB)).entry).toBe(entry);
  });
});
