import type { GuestMemory } from '../memory/guest-memory.js';

/** A file handed to a loader: its name (for messages) and its bytes. Loaders never touch the file system. */
export interface ImageFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A bad image: the message names the file and what is wrong with it. */
export class ImageError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ImageError';
  }
}

export interface LoadedSegment {
  /** Index in the program header table. */
  readonly index: number;
  readonly physicalAddress: number;
  readonly virtualAddress: number;
  readonly fileSize: number;
  readonly memorySize: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  readonly flags: number;
}

export interface LoadedElf {
  /** The entry point as a physical address (translated through its segment when vaddr != paddr). */
  readonly entry: number;
  readonly segments: readonly LoadedSegment[];
  /** Lowest physical address loaded, and one past the highest (including .bss). */
  readonly start: number;
  readonly end: number;
}

const PT_LOAD = 1;
const EM_386 = 3;
const EM_X86_64 = 62;
const ET_EXEC = 2;
const EHDR_SIZE = 52;
const PHDR_SIZE = 32;

export const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * Loads an ELF32 little-endian i386 executable's PT_LOAD segments at their physical addresses, zero-filling
 * each segment past its file contents (.bss). Everything is validated before the first byte is written, so
 * a bad image leaves memory untouched.
 */
export function loadElf(file: ImageFile, memory: GuestMemory): LoadedElf {
  const { name, bytes } = file;
  const fail = (problem: string): never => {
    throw new ImageError(name, problem);
  };
  if (!isElf(bytes)) fail('not an ELF file (bad magic)');
  if (bytes.length < EHDR_SIZE) fail(`truncated: ${bytes.length} bytes is shorter than the 52-byte ELF32 header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);

  if (bytes[4] === 2) fail(`is a 64-bit ELF (ELFCLASS64${bytes.length >= 20 && u16(18) === EM_X86_64 ? ', x86-64' : ''}); pvrt loads 32-bit i386 images`);
  if (bytes[4] !== 1) fail(`unknown ELF class ${bytes[4]}`);
  if (bytes[5] !== 1) fail(`not little-endian (EI_DATA ${bytes[5]})`);
  if (bytes[6] !== 1) fail(`unknown ELF version ${bytes[6]}`);
  if (u16(16) !== ET_EXEC) fail(`not an executable (e_type ${u16(16)}, expected ET_EXEC)`);
  if (u16(18) !== EM_386) fail(`not an i386 image (e_machine ${u16(18)}, expected EM_386)`);
  const phoff = u32(28);
  const phentsize = u16(42);
  const phnum = u16(44);
  if (phnum === 0) fail('has no program headers');
  if (phentsize !== PHDR_SIZE) fail(`program header entries are ${phentsize} bytes, not ${PHDR_SIZE}`);
  if (phoff + phnum * PHDR_SIZE > bytes.length) {
    fail(`truncated: ${phnum} program headers at offset ${phoff} run past the end of the ${bytes.length}-byte file`);
  }

  const segments: LoadedSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    if (u32(at) !== PT_LOAD) continue;
    const offset = u32(at + 4);
    const segment: LoadedSegment = {
      index: i,
      virtualAddress: u32(at + 8),
      physicalAddress: u32(at + 12),
      fileSize: u32(at + 16),
      memorySize: u32(at + 20),
      flags: u32(at + 24),
    };
    const what = `segment ${i} (${hex(segment.physicalAddress)}-${hex(segment.physicalAddress + segment.memorySize)})`;
    if (segment.fileSize > segment.memorySize) fail(`${what}: file size ${segment.fileSize} exceeds memory size ${segment.memorySize}`);
    if (offset + segment.fileSize > bytes.length) {
      fail(`truncated: ${what} needs file bytes ${offset}-${offset + segment.fileSize} but the file has ${bytes.length}`);
    }
    if (!memory.contains(segment.physicalAddress, segment.memorySize)) {
      fail(`${what} lies outside guest RAM (0x0-${hex(memory.size)})`);
    }
    segments.push(segment);
  }
  if (segments.length === 0) fail('has no PT_LOAD segment');

  for (const s of segments) {
    const offset = u32(phoff + s.index * PHDR_SIZE + 4);
    memory.writeBytes(s.physicalAddress, bytes.subarray(offset, offset + s.fileSize));
    memory.u8.fill(0, s.physicalAddress + s.fileSize, s.physicalAddress + s.memorySize);
  }

  // A kernel linked high but loaded low names a virtual entry; the CPU starts without paging.
  let entry = u32(24);
  const holder = segments.find((s) => entry >= s.virtualAddress && entry < s.virtualAddress + s.memorySize);
  if (holder) entry = (entry - holder.virtualAddress + holder.physicalAddress) >>> 0;
  return {
    entry,
    segments,
    start: Math.min(...segments.map((s) => s.physicalAddress)),
    end: Math.max(...segments.map((s) => s.physicalAddress + s.memorySize)),
  };
}
