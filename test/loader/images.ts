import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { buildImage, guestToolchainProblem } from '../support/guest-build.js';
import type { ImageFile } from '../../hypervisor/loader/elf.js';

/** Images the loader tests build with gcc: a runtime guest, an a.out-kludge flat binary, an x86-64 ELF. */
export const toolchainProblem = guestToolchainProblem();
const dir = tempDir('loader-images');

const file = (path: string): ImageFile => ({ name: path, bytes: new Uint8Array(readFileSync(path)) });

export function runtimeGuest(): ImageFile {
  const source = join(dir, 'hello.c');
  writeFileSync(source, '#include "runtime.h"\nstatic char zeroed[20000];\nint main(void) { printf("hi %d\\n", zeroed[123]); return 0; }\n');
  return file(buildImage({ name: 'loader-hello', sources: [source] }));
}

const KLUDGE_SOURCE = `
        .text
        .globl _start
_start: jmp entry
        .align 4
header: .long 0x1BADB002, 0x00010003, -(0x1BADB002 + 0x00010003)
        .long header, _start, _edata, _end, entry
entry:  mov $0x2a, %al
        out %al, $0xf4
        hlt
        .data
        .long 0x11223344
        .bss
        .skip 8192
        .section .note.GNU-stack, "", @progbits
`;

/** A flat binary at 2 MiB that only the multiboot header's address fields can place. */
export function kludgeBinary(): ImageFile {
  const source = join(dir, 'kludge.S');
  writeFileSync(source, KLUDGE_SOURCE);
  return file(buildImage({ name: 'kludge', sources: [source], runtime: false, extraFlags: ['-Wl,-Ttext=0x200000', '-Wl,--oformat=binary'] }));
}

/** An x86-64 ELF with a valid multiboot header: QEMU refuses it, and so must pvrt. */
export function elf64(): ImageFile | string {
  const source = join(dir, 'x64.S');
  writeFileSync(source, '.text\n.globl _start\n.align 4\n.long 0x1BADB002, 0, -0x1BADB002\n_start: hlt\n.section .note.GNU-stack, "", @progbits\n');
  const out = join(dir, 'x64.elf');
  const r = spawnSync('gcc', ['-m64', '-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none', source, '-o', out], { encoding: 'utf8' });
  return r.status === 0 ? file(out) : `gcc -m64 failed: ${r.stderr}`;
}

export const copy = (image: ImageFile, name: string, edit: (bytes: Uint8Array, view: DataView) => void): ImageFile => {
  const bytes = image.bytes.slice();
  edit(bytes, new DataView(bytes.buffer));
  return { name, bytes };
};
