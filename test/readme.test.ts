import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../toolchain/src/paths.js';
import { tempDir } from './helpers.js';
import { guestToolchainProblem } from './support/guest-build.js';
import { buildParavirtGuest } from './support/paravirt.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: the README's API snippet: ${problem}`);

describe.skipIf(problem !== null)('README', () => {
  it('the TypeScript API snippet runs as written', () => {
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(snippet).toContain("from 'pvrt/hypervisor'");
    const dir = tempDir('readme');
    writeFileSync(join(dir, 'disk.img'), new Uint8Array(4096));
    // The snippet is plain JavaScript apart from its package name and paths, which point here.
    const program = snippet
      .replace("'pvrt/hypervisor'", JSON.stringify(`file://${join(packageRoot(), 'dist', 'hypervisor.js')}`))
      .replace("'build/hello.elf'", JSON.stringify(buildParavirtGuest('hello')));
    writeFileSync(join(dir, 'snippet.mjs'), program);
    const r = spawnSync(process.execPath, ['snippet.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello from i386virt');
    expect(r.stdout).toMatch(/state: 'stopped'[\s\S]*instructions: \d+/);
    expect(r.stderr).toContain('vCPU 0: hello from the debug log');
  });
});
