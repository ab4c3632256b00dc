import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The pvrt package folder (holding hypercall-spec/ and toolchain/templates/), from source or from dist/. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pvrt') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the pvrt package folder above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const defaultSpecRoot = (): string => join(packageRoot(), 'hypercall-spec');
export const templatesRoot = (): string => join(packageRoot(), 'toolchain', 'templates');
