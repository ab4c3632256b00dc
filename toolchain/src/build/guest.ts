import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { PvrtError } from '../errors.js';

/** Freestanding i686 code; x87 floating point; no PIC, no stack protector, no libc. */
export const GUEST_CFLAGS = [
  '-m32', '-march=i686', '-mfpmath=387', '-ffreestanding', '-fno-pic', '-fno-pie', '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables', '-O2', '-Wall', '-Wextra',
];
/** A static image with no build-id note and 4 KiB pages, as the loaders expect. */
export const GUEST_LINK_FLAGS = ['-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none', '-Wl,-z,max-page-size=0x1000'];

export interface GuestLink {
  /** C and assembly files. */
  sources: readonly string[];
  includeDirs: readonly string[];
  linkerScript: string;
  out: string;
}

/**
 * Compiles and links an i386 guest image with the machine's gcc. The image appears whole or not at all;
 * a missing compiler or 32-bit libgcc gets a message naming the Debian package to install.
 */
export function linkGuest(link: GuestLink): string {
  mkdirSync(dirname(link.out), { recursive: true });
  const partial = `${link.out}.${process.pid}.tmp`;
  const args = [...GUEST_CFLAGS, ...GUEST_LINK_FLAGS, ...link.includeDirs.map((d) => `-I${d}`), '-T', link.linkerScript, ...link.sources, '-lgcc', '-o', partial];
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.error) throw new PvrtError({ message: `gcc is not installed: install the Debian package gcc (${r.error.message})` });
  if (r.status !== 0) {
    const hint = /-lgcc|libgcc/.test(r.stderr) ? '\n32-bit libgcc is missing: install the Debian package lib32gcc-12-dev (or gcc-multilib)' : '';
    throw new PvrtError({ message: `building ${link.out} failed:\n${r.stderr.trim()}${hint}` });
  }
  renameSync(partial, link.out);
  return link.out;
}
