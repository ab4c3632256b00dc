import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ArchSpec } from '../spec/model.js';

/** One way to compile C for an architecture: a command and its target flags. */
export interface Compiler {
  kind: 'clang' | 'gcc';
  command: string;
  flags: string[];
  /** Why it cannot be used here, when it cannot. */
  unavailable?: string;
}

export const STRICT_FLAGS = ['-ffreestanding', '-Wall', '-Wextra', '-Werror', '-O2'];

const probeCache = new Map<string, string | undefined>();

/** undefined when the compiler runs and accepts the flags; otherwise why not. */
function probe(command: string, flags: string[]): string | undefined {
  const key = [command, ...flags].join(' ');
  if (probeCache.has(key)) return probeCache.get(key);
  const r = spawnSync(command, [...flags, '-x', 'c', '-c', '-o', '/dev/null', '-'], { input: 'int pvrt_probe;\n', encoding: 'utf8' });
  const why = r.error
    ? `${command} is not installed`
    : r.status !== 0
      ? `${command} ${flags.join(' ')} cannot compile here: ${(r.stderr || '').trim().split('\n')[0]}`
      : undefined;
  probeCache.set(key, why);
  return why;
}

/** The compilers an architecture file names, each marked with why it is unavailable, if it is. */
export function compilersFor(arch: ArchSpec): Compiler[] {
  const out: Compiler[] = [];
  const { clang, gcc } = arch.compilers;
  const clangFlags = [`--target=${clang.target}`, ...clang.flags];
  out.push({ kind: 'clang', command: 'clang', flags: clangFlags, unavailable: clang.unusable ?? probe('clang', clangFlags) });
  if (gcc) {
    const why = probe(gcc.command, gcc.flags);
    out.push({ kind: 'gcc', command: gcc.command, flags: gcc.flags, unavailable: why && `${why} (Debian package ${gcc.debianPackage})` });
  }
  return out;
}

export interface CompileResult {
  file: string;
  ok: boolean;
  output: string;
}

export function cSources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.c'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Compiles each C file of a generated BSP to an object in outDir, with the strict flags. */
export function compileBsp(bspDir: string, compiler: Compiler, outDir: string): CompileResult[] {
  return cSources(bspDir).map((file) => {
    const object = join(outDir, relative(bspDir, file).replace(/[/\\]/g, '_').replace(/\.c$/, '.o'));
    const r = spawnSync(compiler.command, [...compiler.flags, ...STRICT_FLAGS, '-I', join(bspDir, 'include'), '-c', file, '-o', object], { encoding: 'utf8' });
    return { file: relative(bspDir, file), ok: !r.error && r.status === 0, output: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  });
}
