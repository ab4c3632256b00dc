import type { GuestMemory } from '../memory/guest-memory.js';
import { hex, ImageError, isElf, loadElf, type ImageFile, type LoadedSegment } from './elf.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOT_MAGIC = 0x2badb002;
/** The header must start, 32-bit aligned, within this many bytes of the file. */
export const MULTIBOOT_SEARCH = 8192;

const FLAG_PAGE_ALIGN = 1 << 0;
const FLAG_MEMORY_INFO = 1 << 1;
const FLAG_VIDEO_MODE = 1 << 2;
const FLAG_AOUT_KLUDGE = 1 << 16;
const KNOWN_REQUIRED_FLAGS = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

const INFO_MEMORY = 1 << 0;
const INFO_CMDLINE = 1 << 2;
const INFO_MODULES = 1 << 3;
const INFO_MMAP = 1 << 6;
const INFO_BOOTLOADER_NAME = 1 << 9;

/**
 * Where the boot information goes. These are QEMU's addresses (memory map at 0x9000, information structure
 * 0x500 above it), so a guest that prints its multiboot pointers prints the same under both; strings and
 * module descriptors follow the kernel's last page, and modules follow those, page-aligned, as in QEMU.
 */
export const MMAP_ADDRESS = 0x9000;
export const INFO_ADDRESS = MMAP_ADDRESS + 0x500;
const INFO_SIZE = 88;
const MODULE_DESCRIPTOR_SIZE = 16;
const MMAP_ENTRY_SIZE = 24;
const PAGE = 4096;

/** Conventional memory ends where the BIOS data area (EBDA) starts, as on a PC with SeaBIOS. */
const LOW_MEMORY_END = 0x9fc00;
const BIOS_ROM_START = 0xf0000;
const HIGH_MEMORY_START = 0x10_0000;

const pageAlign = (n: number): number => Math.ceil(n / PAGE) * PAGE;

export interface MultibootModule {
  readonly file: ImageFile;
  /** The module's string; defaults to the file name, as GRUB and QEMU pass the path. */
  readonly cmdline?: string;
}

export interface MultibootOptions {
  readonly cmdline?: string;
  readonly modules?: readonly MultibootModule[];
  readonly bootloaderName?: string;
}

export interface LoadedRegion {
  readonly what: string;
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
}

export interface MultibootBoot {
  /**
   * The CPU state the multiboot specification promises at entry, besides flat 32-bit protected mode
   * (CS a 4 GiB execute/read segment, the others 4 GiB read/write), paging off, A20 on and IF clear.
   */
  readonly eip: number;
  readonly eax: typeof MULTIBOOT_BOOT_MAGIC;
  readonly ebx: number;
  readonly eflags: number;
  readonly kernel: {
    readonly format: 'elf' | 'a.out kludge';
    /** Offset of the multiboot header in the file, and its flags. */
    readonly headerOffset: number;
    readonly headerFlags: number;
    readonly start: number;
    readonly end: number;
    readonly segments: readonly LoadedSegment[];
  };
  readonly info: {
    readonly address: number;
    readonly memLower: number;
    readonly memUpper: number;
    readonly mmapAddress: number;
    readonly mmapLength: number;
    readonly cmdlineAddress: number;
    readonly bootloaderNameAddress: number;
  };
  readonly modules: readonly { name: string; start: number; end: number; cmdlineAddress: number }[];
  /** Everything written to guest RAM, in address order. */
  readonly regions: readonly LoadedRegion[];
  /** Header requests pvrt does not honour (a video mode, unknown flags); QEMU also boots these. */
  readonly warnings: readonly string[];
}

interface Header {
  readonly offset: number;
  readonly flags: number;
  readonly headerAddr: number;
  readonly loadAddr: number;
  readonly loadEndAddr: number;
  readonly bssEndAddr: number;
  readonly entryAddr: number;
}

/** Finds the multiboot header: magic, flags and checksum summing to zero, 32-bit aligned, in the first 8 KiB. */
export function findMultibootHeader(file: ImageFile): Header {
  const { name, bytes } = file;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limit = Math.min(MULTIBOOT_SEARCH, bytes.length) - 12;
  let badChecksum: string | undefined;
  for (let at = 0; at <= limit; at += 4) {
    if (view.getUint32(at, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(at + 4, true);
    const sum = (MULTIBOOT_HEADER_MAGIC + flags + view.getUint32(at + 8, true)) >>> 0;
    if (sum !== 0) {
      badChecksum ??= `the multiboot header at offset ${at} has a bad checksum (magic + flags + checksum = ${hex(sum)}, not 0)`;
      continue;
    }
    const kludge = (flags & FLAG_AOUT_KLUDGE) !== 0;
    if (kludge && at + 32 > bytes.length) {
      throw new ImageError(name, `truncated: the multiboot header at offset ${at} has address fields (flags bit 16) past the end of the file`);
    }
    const field = (i: number) => (kludge ? view.getUint32(at + 12 + 4 * i, true) : 0);
    return { offset: at, flags, headerAddr: field(0), loadAddr: field(1), loadEndAddr: field(2), bssEndAddr: field(3), entryAddr: field(4) };
  }
  throw new ImageError(name, badChecksum ?? `no multiboot header (magic ${hex(MULTIBOOT_HEADER_MAGIC)}) in the first ${MULTIBOOT_SEARCH} bytes`);
}

/**
 * Loads a multiboot v1 kernel the way `qemu-system-i386 -kernel` does: with the a.out kludge address
 * fields when header flag 16 is set, otherwise as an ELF32 i386 executable; then modules, the command
 * lines, the boot loader name, the memory map and the information structure. Returns the entry state and
 * what went where; writes nothing but guest RAM.
 */
export function loadMultiboot(kernelFile: ImageFile, memory: GuestMemory, options: MultibootOptions = {}): MultibootBoot {
  const fail = (problem: string): never => {
    throw new ImageError(kernelFile.name, problem);
  };
  const header = findMultibootHeader(kernelFile);
  const warnings: string[] = [];
  if (header.flags & FLAG_VIDEO_MODE) warnings.push('the kernel asks for a video mode (flags bit 2); it gets none');
  const unknown = header.flags & 0xffff & ~KNOWN_REQUIRED_FLAGS;
  if (unknown) warnings.push(`the kernel requires flags pvrt does not know (${hex(unknown)})`);

  if (memory.size <= HIGH_MEMORY_START) fail(`guest RAM (${hex(memory.size)}) is smaller than the 1 MiB a multiboot machine has`);

  const kernel = header.flags & FLAG_AOUT_KLUDGE ? checkKludge(kernelFile, header, memory) : undefined;
  if (!kernel && !isElf(kernelFile.bytes)) fail('has no multiboot address fields (flags bit 16) and is not an ELF image');
  const bootInfoEnd = INFO_ADDRESS + INFO_SIZE;
  const overlapsBootInfo = (start: number, end: number) => start < bootInfoEnd && MMAP_ADDRESS < end;
  if (kernel && overlapsBootInfo(kernel.start, kernel.end)) {
    fail(`the kernel (${hex(kernel.start)}-${hex(kernel.end)}) overlaps the boot information at ${hex(MMAP_ADDRESS)}-${hex(bootInfoEnd)}`);
  }

  const modules = options.modules ?? [];
  const strings = [...modules.map((m) => m.cmdline ?? m.file.name), options.cmdline ?? '', options.bootloaderName ?? 'pvrt'];
  const encoded = strings.map((s) => Buffer.from(`${s}\0`, 'utf8'));

  let loaded: { entry: number; start: number; end: number; segments: readonly LoadedSegment[] };
  if (kernel) {
    const { bytes } = kernelFile;
    memory.writeBytes(kernel.start, bytes.subarray(kernel.fileOffset, kernel.fileOffset + kernel.loadSize));
    memory.u8.fill(0, kernel.start + kernel.loadSize, kernel.end);
    loaded = { entry: header.entryAddr, start: kernel.start, end: kernel.end, segments: [] };
  } else {
    const elf = loadElf(kernelFile, memory);
    if (overlapsBootInfo(elf.start, elf.end)) {
      fail(`the kernel (${hex(elf.start)}-${hex(elf.end)}) overlaps the boot information at ${hex(MMAP_ADDRESS)}-${hex(bootInfoEnd)}`);
    }
    loaded = elf;
  }

  const descriptors = pageAlign(loaded.end);
  let cursor = descriptors + modules.length * MODULE_DESCRIPTOR_SIZE;
  const stringAddresses = encoded.map((e) => {
    const at = cursor;
    cursor += e.length;
    return at;
  });
  const moduleStarts = modules.map((m) => {
    cursor = pageAlign(cursor);
    const at = cursor;
    cursor += m.file.bytes.length;
    return at;
  });
  if (!memory.contains(descriptors, cursor - descriptors)) {
    fail(`the modules and boot strings (${hex(descriptors)}-${hex(cursor)}) do not fit in guest RAM (${hex(memory.size)} bytes)`);
  }

  const regions: LoadedRegion[] = [{ what: `kernel ${kernelFile.name}`, start: loaded.start, end: loaded.end }];
  modules.forEach((m, i) => {
    const start = moduleStarts[i]!;
    memory.writeBytes(start, m.file.bytes);
    const d = descriptors + i * MODULE_DESCRIPTOR_SIZE;
    memory.write32(d, start);
    memory.write32(d + 4, start + m.file.bytes.length);
    memory.write32(d + 8, stringAddresses[i]!);
    memory.write32(d + 12, 0);
    regions.push({ what: `module ${m.file.name}`, start, end: start + m.file.bytes.length });
  });
  encoded.forEach((e, i) => memory.writeBytes(stringAddresses[i]!, e));
  const stringsEnd = stringAddresses.at(-1)! + encoded.at(-1)!.length;
  regions.push({ what: 'module descriptors and boot strings', start: descriptors, end: stringsEnd });

  const mmap = memoryMap(memory.size);
  mmap.forEach((entry, i) => {
    const at = MMAP_ADDRESS + i * MMAP_ENTRY_SIZE;
    memory.write32(at, MMAP_ENTRY_SIZE - 4); // the size field does not count itself
    memory.write32(at + 4, entry.base);
    memory.write32(at + 8, 0);
    memory.write32(at + 12, entry.length);
    memory.write32(at + 16, 0);
    memory.write32(at + 20, entry.type);
  });
  const mmapLength = mmap.length * MMAP_ENTRY_SIZE;
  regions.push({ what: 'memory map', start: MMAP_ADDRESS, end: MMAP_ADDRESS + mmapLength });

  const memLower = LOW_MEMORY_END / 1024;
  const memUpper = (memory.size - HIGH_MEMORY_START) / 1024;
  const cmdlineAddress = stringAddresses[modules.length]!;
  const bootloaderNameAddress = stringAddresses[modules.length + 1]!;
  memory.u8.fill(0, INFO_ADDRESS, INFO_ADDRESS + INFO_SIZE);
  memory.write32(INFO_ADDRESS, INFO_MEMORY | INFO_CMDLINE | INFO_MODULES | INFO_MMAP | INFO_BOOTLOADER_NAME);
  memory.write32(INFO_ADDRESS + 4, memLower);
  memory.write32(INFO_ADDRESS + 8, memUpper);
  memory.write32(INFO_ADDRESS + 16, cmdlineAddress);
  memory.write32(INFO_ADDRESS + 20, modules.length);
  memory.write32(INFO_ADDRESS + 24, descriptors);
  memory.write32(INFO_ADDRESS + 44, mmapLength);
  memory.write32(INFO_ADDRESS + 48, MMAP_ADDRESS);
  memory.write32(INFO_ADDRESS + 64, bootloaderNameAddress);
  regions.push({ what: 'multiboot information', start: INFO_ADDRESS, end: INFO_ADDRESS + INFO_SIZE });

  return {
    eip: loaded.entry,
    eax: MULTIBOOT_BOOT_MAGIC,
    ebx: INFO_ADDRESS,
    eflags: 0x2,
    kernel: {
      format: kernel ? 'a.out kludge' : 'elf',
      headerOffset: header.offset,
      headerFlags: header.flags,
      start: loaded.start,
      end: loaded.end,
      segments: loaded.segments,
    },
    info: { address: INFO_ADDRESS, memLower, memUpper, mmapAddress: MMAP_ADDRESS, mmapLength, cmdlineAddress, bootloaderNameAddress },
    modules: modules.map((m, i) => ({
      name: m.file.name,
      start: moduleStarts[i]!,
      end: moduleStarts[i]! + m.file.bytes.length,
      cmdlineAddress: stringAddresses[i]!,
    })),
    regions: regions.sort((a, b) => a.start - b.start),
    warnings,
  };
}

/** Validates the a.out kludge address fields and returns what to copy where. */
function checkKludge(file: ImageFile, h: Header, memory: GuestMemory) {
  const fail = (problem: string): never => {
    throw new ImageError(file.name, `multiboot header at offset ${h.offset}: ${problem}`);
  };
  if (h.headerAddr < h.loadAddr) fail(`header_addr ${hex(h.headerAddr)} is below load_addr ${hex(h.loadAddr)}`);
  const fileOffset = h.offset - (h.headerAddr - h.loadAddr);
  if (fileOffset < 0) fail(`load_addr ${hex(h.loadAddr)} would start ${-fileOffset} bytes before the file`);
  if (h.loadEndAddr !== 0 && h.loadEndAddr < h.loadAddr) fail(`load_end_addr ${hex(h.loadEndAddr)} is below load_addr ${hex(h.loadAddr)}`);
  const loadSize = h.loadEndAddr === 0 ? file.bytes.length - fileOffset : h.loadEndAddr - h.loadAddr;
  if (fileOffset + loadSize > file.bytes.length) {
    fail(`truncated: loading ${hex(h.loadAddr)}-${hex(h.loadAddr + loadSize)} needs file bytes ${fileOffset}-${fileOffset + loadSize} but the file has ${file.bytes.length}`);
  }
  const end = h.bssEndAddr === 0 ? h.loadAddr + loadSize : h.bssEndAddr;
  if (end < h.loadAddr + loadSize) fail(`bss_end_addr ${hex(h.bssEndAddr)} is below the end of the loaded image ${hex(h.loadAddr + loadSize)}`);
  if (!memory.contains(h.loadAddr, end - h.loadAddr)) fail(`the kernel ${hex(h.loadAddr)}-${hex(end)} lies outside guest RAM (0x0-${hex(memory.size)})`);
  return { fileOffset, loadSize, start: h.loadAddr, end };
}

/** A PC's memory map: conventional memory, the EBDA and BIOS ROM reserved, then everything above 1 MiB. */
function memoryMap(ramSize: number): { base: number; length: number; type: 1 | 2 }[] {
  return [
    { base: 0, length: LOW_MEMORY_END, type: 1 },
    { base: LOW_MEMORY_END, length: 0xa0000 - LOW_MEMORY_END, type: 2 },
    { base: BIOS_ROM_START, length: HIGH_MEMORY_START - BIOS_ROM_START, type: 2 },
    { base: HIGH_MEMORY_START, length: ramSize - HIGH_MEMORY_START, type: 1 },
  ];
}
