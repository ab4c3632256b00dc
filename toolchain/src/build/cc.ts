import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PvrtError } from '../errors.js';
import { GUEST_CFLAGS, GUEST_LINK_FLAGS } from './guest.js';

/** The compilers `pvrt build` drives. */
export type CcKind = 'gcc' | 'clang';
export const CC_KINDS: readonly CcKind[] = ['gcc', 'clang'];

/** --cc's value (default gcc). */
export function ccOf(value: string | undefined): CcKind {
  if (value === undefined) return 'gcc';
  if (!(CC_KINDS as readonly string[]).includes(value)) throw new PvrtError({ message: `--cc: "${value}" must be gcc or clang` });
  return value as CcKind;
}

/** What a tool run gave back. */
export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the tool could not be started (ENOENT: not installed). */
  error?: NodeJS.ErrnoException;
}

/** Runs a tool without a shell and collects its output. */
export function runTool(command: string, args: readonly string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ status: null, stdout, stderr, error }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * How one compiler builds an i386 guest: the flags for every translation unit and how the objects are
 * linked into a static image with the compiler's runtime helpers (64-bit division and the like).
 *
 * - gcc: GUEST_CFLAGS (-m32 ...), linked by gcc with GUEST_LINK_FLAGS and -lgcc (32-bit libgcc comes with
 *   the Debian package lib32gcc-12-dev).
 * - clang: --target=i386-pc-none-elf with the same code-generation flags. clang's driver hands linking for
 *   that target to gcc, so pvrt runs ld.lld itself, with compiler-rt's i386 builtins (Debian package
 *   libclang-rt-14-dev) or, failing those, gcc's 32-bit libgcc.
 */
export interface GuestCc {
  kind: CcKind;
  /** The compile command. */
  command: string;
  /** Flags for every .c and .S file (before -D and -I). */
  cflags: string[];
  /** The linker command line producing `out` from objects with `script`. */
  linkCommand(objects: readonly string[], script: string, out: string): { command: string; args: string[] };
  /** What to install when the command cannot be started. */
  packageOf(command: string): string;
}

const NOT_M32 = GUEST_CFLAGS.filter((f) => f !== '-m32');
export const CLANG_TARGET = 'i386-pc-none-elf';

let clangRuntime: string | null | undefined;

/** The runtime-helper archive a clang link uses: compiler-rt's i386 builtins, else gcc's 32-bit libgcc. */
function clangRuntimeLibrary(): string | null {
  if (clangRuntime !== undefined) return clangRuntime;
  const candidates: [string, string[]][] = [
    ['clang', ['--target=i386-linux-gnu', '-rtlib=compiler-rt', '-print-libgcc-file-name']],
    ['gcc', ['-m32', '-print-libgcc-file-name']],
  ];
  clangRuntime = null;
  for (const [command, args] of candidates) {
    const r = spawnSync(command, args, { encoding: 'utf8' });
    const path = (r.stdout ?? '').trim();
    if (r.status === 0 && path.startsWith('/') && existsSync(path)) {
      clangRuntime = path;
      break;
    }
  }
  return clangRuntime;
}

export function guestCc(kind: CcKind): GuestCc {
  if (kind === 'gcc') {
    return {
      kind,
      command: 'gcc',
      cflags: [...GUEST_CFLAGS],
      linkCommand: (objects, script, out) => ({ command: 'gcc', args: [...GUEST_CFLAGS, ...GUEST_LINK_FLAGS, '-T', script, ...objects, '-lgcc', '-o', out] }),
      packageOf: () => 'gcc',
    };
  }
  return {
    kind,
    command: 'clang',
    cflags: [`--target=${CLANG_TARGET}`, ...NOT_M32],
    linkCommand: (objects, script, out) => {
      const runtime = clangRuntimeLibrary();
      if (runtime === null) {
        throw new PvrtError({
          message: 'clang build: no i386 runtime-helper library (compiler-rt builtins or 32-bit libgcc) found: install the Debian package libclang-rt-14-dev or lib32gcc-12-dev',
        });
      }
      return { command: 'ld.lld', args: ['-m', 'elf_i386', '-static', '--build-id=none', '-z', 'max-page-size=0x1000', '-T', script, ...objects, runtime, '-o', out] };
    },
    packageOf: (command) => (command === 'ld.lld' ? 'lld' : 'clang'),
  };
}

/** A PvrtError for a tool that could not be started. */
export function missingTool(cc: GuestCc, command: string, error: NodeJS.ErrnoException): PvrtError {
  const why = error.code === 'ENOENT' ? 'is not installed' : `cannot be started (${error.message})`;
  return new PvrtError({ message: `${command} ${why}: install the Debian package ${cc.packageOf(command)}` });
}
