import { describe, expect, it } from 'vitest';
import { ImageError } from '../../hypervisor/loader/elf.js';
import { INFO_ADDRESS, loadMultiboot, MMAP_ADDRESS, MULTIBOOT_BOOT_MAGIC } from '../../hypervisor/loader/multiboot.js';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { copy, elf64, kludgeBinary, runtimeGuest, toolchainProblem } from './images.js';

const MiB = 1 << 20;

function cString(memory: GuestMemory, address: number): string {
  let end = address;
  while (memory.read8(end) !== 0) end++;
  return Buffer.from(memory.readBytes(address, end - address)).toString('utf8');
}

function rejects(run: () => unknown, file: string, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ImageError);
  expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

describe('multiboot loader', () => {
  if (toolchainProblem) {
    console.warn(`SKIPPED the multiboot loader tests: ${toolchainProblem}`);
    it.skip(`with images gcc builds SKIPPED: ${toolchainProblem}`, () => {});
    return;
  }
  const guest = runtimeGuest();
  const u32 = (m: GuestMemory, a: number) => m.read32(a) >>> 0;

  it('boots an ELF kernel: entry state, information structure, memory map, strings', () => {
    const memory = new GuestMemory(32 * MiB);
    const boot = loadMultiboot(guest, memory, { cmdline: 'console=ttyS0 quiet' });
    expect(boot.eax).toBe(MULTIBOOT_BOOT_MAGIC);
    expect(boot.ebx).toBe(INFO_ADDRESS);
    expect(boot.eip).toBe(new DataView(guest.bytes.buffer).getUint32(24, true));
    expect(boot.kernel.format).toBe('elf');
    expect(boot.kernel.headerFlags).toBe(0x3);
    expect(boot.warnings).toEqual([]);

    const info = boot.ebx;
    expect(u32(memory, info)).toBe(0x1 | 0x4 | 0x8 | 0x40 | 0x200); // memory, cmdline, mods, mmap, loader name
    expect([u32(memory, info + 4), u32(memory, info + 8)]).toEqual([639, 31 * 1024]);
    expect(cString(memory, u32(memory, info + 16))).toBe('console=ttyS0 quiet');
    expect(u32(memory, info + 20)).toBe(0);
    expect(cString(memory, u32(memory, info + 64))).toBe('pvrt');

    const mmapLength = u32(memory, info + 44);
    const mmapAddress = u32(memory, info + 48);
    expect(mmapAddress).toBe(MMAP_ADDRESS);
    const entries: [number, number, number][] = [];
    for (let at = mmapAddress; at < mmapAddress + mmapLength; at += u32(memory, at) + 4) {
      expect(u32(memory, at + 8) + u32(memory, at + 16)).toBe(0); // high halves
      entries.push([u32(memory, at + 4), u32(memory, at + 12), u32(memory, at + 20)]);
    }
    expect(entries).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xf0000, 0x10000, 2],
      [0x100000, 31 * MiB, 1],
    ]);
    // Boot data lies outside the kernel and inside conventional memory the map calls available.
    for (const region of boot.regions.filter((r) => !r.what.startsWith('kernel'))) {
      expect(region.end <= boot.kernel.start || region.start >= boot.kernel.end, region.what).toBe(true);
    }
  });

  it('places modules page-aligned after the kernel with their strings, and lists every region once', () => {
    const memory = new GuestMemory(32 * MiB);
    const first = { name: 'initrd.img', bytes: new Uint8Array(5000).fill(7) };
    const second = { name: 'config.txt', bytes: new TextEncoder().encode('key=value\n') };
    const boot = loadMultiboot(guest, memory, { modules: [{ file: first }, { file: second, cmdline: 'config.txt verbose' }] });
    expect(u32(memory, boot.ebx + 20)).toBe(2);
    const table = u32(memory, boot.ebx + 24);
    const modules = [0, 1].map((i) => ({
      start: u32(memory, table + 16 * i),
      end: u32(memory, table + 16 * i + 4),
      string: cString(memory, u32(memory, table + 16 * i + 8)),
    }));
    expect(modules.map((m) => m.string)).toEqual(['initrd.img', 'config.txt verbose']);
    for (const [m, file] of [[modules[0]!, first], [modules[1]!, second]] as const) {
      expect(m.start % 4096).toBe(0);
      expect(m.start).toBeGreaterThanOrEqual(boot.kernel.end);
      expect(memory.readBytes(m.start, m.end - m.start)).toEqual(file.bytes);
    }
    expect(boot.modules.map((m) => [m.start, m.end])).toEqual(modules.map((m) => [m.start, m.end]));
    const sorted = boot.regions;
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
    expect(sorted.map((r) => r.what)).toContain('module config.txt');
  });

  it('loads a flat binary through the a.out kludge address fields, clearing its bss', () => {
    const image = kludgeBinary();
    const header = new DataView(image.bytes.buffer, image.bytes.byteOffset);
    const [headerAddr, loadAddr, loadEnd, bssEnd, entry] = [12, 16, 20, 24, 28].map((o) => header.getUint32(4 + o, true));
    expect(loadAddr).toBe(0x200000);
    expect(headerAddr).toBe(0x200004);
    const memory = new GuestMemory(4 * MiB);
    memory.u8.fill(0xaa, 0x200000, 0x300000);
    const boot = loadMultiboot(image, memory);
    expect(boot.kernel.format).toBe('a.out kludge');
    expect(boot.eip).toBe(entry);
    expect(memory.readBytes(loadAddr!, loadEnd! - loadAddr!)).toEqual(image.bytes.subarray(0, loadEnd! - loadAddr!));
    expect(bssEnd! - loadEnd!).toBeGreaterThanOrEqual(8192);
    expect(memory.readBytes(loadEnd!, bssEnd! - loadEnd!).every((b) => b === 0)).toBe(true);
    expect(memory.read8(bssEnd!)).toBe(0xaa);
    expect([boot.kernel.start, boot.kernel.end]).toEqual([loadAddr, bssEnd]);
  });

  it('rejects a file without a header, or with the header past the first 8 KiB', () => {
    rejects(() => loadMultiboot({ name: 'zeros.bin', bytes: new Uint8Array(16384) }, new GuestMemory(4 * MiB)), 'zeros.bin', /no multiboot header \(magic 0x1badb002\) in the first 8192 bytes/);
    const late = new Uint8Array(8192 + 64);
    late.set(guest.bytes.subarray(0x1000, 0x100c), 8192);
    rejects(() => loadMultiboot({ name: 'late.bin', bytes: late }, new GuestMemory(4 * MiB)), 'late.bin', /no multiboot header/);
  });

  it('rejects a bad checksum, naming the offset', () => {
    const bad = copy(guest, 'badsum.elf', (_b, v) => v.setUint32(0x1008, v.getUint32(0x1008, true) + 1, true));
    rejects(() => loadMultiboot(bad, new GuestMemory(4 * MiB)), 'badsum.elf', /the multiboot header at offset 4096 has a bad checksum \(magic \+ flags \+ checksum = 0x00000001, not 0\)/);
  });

  it('rejects an x86-64 kernel', () => {
    const x64 = elf64();
    if (typeof x64 === 'string') return void console.warn(`SKIPPED the ELF64 check: ${x64}`);
    rejects(() => loadMultiboot(x64, new GuestMemory(4 * MiB)), x64.name, /64-bit ELF/);
  });

  it('rejects a truncated a.out image and one that loads outside RAM', () => {
    const image = kludgeBinary();
    const truncated = { name: 'cut.bin', bytes: image.bytes.slice(0, 20) };
    rejects(() => loadMultiboot(truncated, new GuestMemory(4 * MiB)), 'cut.bin', /truncated: the multiboot header at offset 4 has address fields/);
    const shortData = { name: 'short.bin', bytes: image.bytes.slice(0, image.bytes.length - 2) };
    rejects(() => loadMultiboot(shortData, new GuestMemory(4 * MiB)), 'short.bin', /truncated: loading 0x00200000-0x[0-9a-f]+ needs file bytes/);
    rejects(() => loadMultiboot(image, new GuestMemory(2 * MiB)), image.name, /the kernel 0x00200000-0x[0-9a-f]+ lies outside guest RAM \(0x0-0x00200000\)/);
  });

  it('rejects an ELF segment outside RAM and modules that do not fit', () => {
    rejects(() => loadMultiboot(guest, new GuestMemory(0x102000)), guest.name, /segment \d \(0x0010[0-9a-f]{4}-0x[0-9a-f]{8}\) lies outside guest RAM/);
    const huge = { name: 'huge.img', bytes: new Uint8Array(3 * MiB) };
    rejects(() => loadMultiboot(guest, new GuestMemory(4 * MiB), { modules: [{ file: huge }] }), guest.name, /modules and boot strings .* do not fit in guest RAM/);
  });

  it('rejects a kernel that would overwrite the boot information', () => {
    const low = copy(kludgeBinary(), 'low.bin', (_b, v) => {
      v.setUint32(4 + 12, 0x9004, true); // header_addr
      v.setUint32(4 + 16, 0x9000, true); // load_addr
      v.setUint32(4 + 20, 0, true); // load to the end of the file
      v.setUint32(4 + 24, 0, true); // no bss
    });
    rejects(() => loadMultiboot(low, new GuestMemory(4 * MiB)), 'low.bin', /the kernel \(0x00009000-0x[0-9a-f]+\) overlaps the boot information at 0x00009000-0x00009558/);
  });

  it('warns about a requested video mode instead of refusing, as QEMU does', () => {
    const video = copy(guest, 'video.elf', (_b, v) => {
      v.setUint32(0x1004, 0x7, true);
      v.setUint32(0x1008, (-(0x1badb002 + 0x7)) >>> 0, true);
    });
    expect(loadMultiboot(video, new GuestMemory(4 * MiB)).warnings).toEqual(['the kernel asks for a video mode (flags bit 2); it gets none']);
  });
});
