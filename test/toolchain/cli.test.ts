import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileBsp, compilersFor } from '../../toolchain/src/build/compilers.js';
import { main } from '../../toolchain/src/cli.js';
import { MARKER } from '../../toolchain/src/gen/output.js';
import { packageRoot } from '../../toolchain/src/paths.js';
import { loadSpec } from '../../toolchain/src/spec/load.js';
import { mutateJson, specCopy, tempDir } from '../helpers.js';

async function pvrt(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pvrt gen bsp', () => {
  it('writes the BSP tree', async () => {
    const out = join(tempDir('cli'), 'armvirt');
    const r = (await pvrt('gen', 'bsp', '--arch', 'arm', '--out', out));
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(readdirSync(out).sort()).toEqual([MARKER, 'README.md', 'clock', 'console', 'include', 'irq', 'start']);
    expect(readFileSync(join(out, 'include', 'pvrt', 'hypercall.h'), 'utf8')).toContain('hvc #0x5056');
  });

  it('replaces its own earlier output, stale files included', async () => {
    const out = join(tempDir('cli'), 'i386virt');
    expect((await pvrt('gen', 'bsp', '--arch', 'i386', '--out', out)).code).toBe(0);
    writeFileSync(join(out, 'stale.c'), 'int stale;\n');
    expect((await pvrt('gen', 'bsp', '--arch', 'i386', '--out', out)).code).toBe(0);
    expect(existsSync(join(out, 'stale.c'))).toBe(false);
  });

  it('rejects an unknown architecture, naming the known ones, and writes nothing', async () => {
    const out = join(tempDir('cli'), 'vaxvirt');
    const r = (await pvrt('gen', 'bsp', '--arch', 'vax', '--out', out));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/arch\/vax\.json: unknown architecture "vax"; known: aarch64, arm, i386/);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects an invalid spec with every problem located, and writes nothing', async () => {
    const spec = specCopy();
    mutateJson(join(spec, 'pvrt.json'), (s) => { s.groups[0].hypercalls[1].number = 0; s.structs[2].fields[1].offset = 4; });
    const out = join(tempDir('cli'), 'i386virt');
    const r = (await pvrt('gen', 'bsp', '--arch', 'i386', '--out', out, '--spec', spec));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the hypercall specification is invalid \(2 problems\)/);
    expect(r.err).toMatch(/pvrt\.json:\d+:\d+ at \/groups\/0\/hypercalls\/1\/number: duplicate hypercall number 0/);
    expect(r.err).toMatch(/pvrt\.json:\d+:\d+ at \/structs\/2\/fields\/1\/offset: block_info\.sector_size at offset 4 overlaps/);
    expect(existsSync(out)).toBe(false);
  });

  it('reports an unwritable output folder and leaves no temporary files', async () => {
    const base = tempDir('cli');
    const file = join(base, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const r = (await pvrt('gen', 'bsp', '--arch', 'i386', '--out', join(file, 'i386virt')));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/a-file.*cannot (create the output folder|write): a parent is not a folder/);
    expect(readdirSync(base)).toEqual(['a-file']);
  });

  it('refuses to replace a folder it did not generate, and leaves it untouched', async () => {
    const out = tempDir('cli');
    writeFileSync(join(out, 'my-notes.txt'), 'precious\n');
    const r = (await pvrt('gen', 'bsp', '--arch', 'i386', '--out', out));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refusing to replace a folder pvrt did not generate/);
    expect(readdirSync(out)).toEqual(['my-notes.txt']);
  });
});

describe('pvrt gen arch', () => {
  it('starts a new architecture that validates and whose BSP compiles', async () => {
    const spec = specCopy();
    const r = (await pvrt('gen', 'arch', '--like', 'riscv64', '--name', 'rv64demo', '--spec', spec));
    expect(r).toMatchObject({ code: 0, err: '' });
    const arch = loadSpec(spec).archs.get('rv64demo')!;
    expect(arch.interrupts).toMatchObject({ rtemsParavirt: false, hooks: { disable: 'rv64demo_interrupt_disable'.replace('_', 'virt_') } });
    const out = join(tempDir('cli'), 'rv64demovirt');
    expect((await pvrt('gen', 'bsp', '--arch', 'rv64demo', '--out', out, '--spec', spec)).code).toBe(0);
    const compiler = compilersFor(arch).find((c) => !c.unavailable);
    if (!compiler) {
      console.warn('SKIPPED: compiling the new architecture\'s BSP: no riscv64 compiler here');
      return;
    }
    const objects = tempDir('obj');
    expect(compileBsp(out, compiler, objects).filter((c) => !c.ok)).toEqual([]);
  });

  it('refuses to overwrite an existing architecture file, or a bad name', async () => {
    const spec = specCopy();
    expect((await pvrt('gen', 'arch', '--like', 'arm', '--name', 'mips', '--spec', spec))).toMatchObject({ code: 1, err: expect.stringMatching(/arch\/mips\.json: already exists/) });
    expect((await pvrt('gen', 'arch', '--like', 'arm', '--name', 'Bad-Name', '--spec', spec))).toMatchObject({ code: 1, err: expect.stringMatching(/--name "Bad-Name"/) });
    expect((await pvrt('gen', 'arch', '--like', 'z80', '--name', 'z80b', '--spec', spec))).toMatchObject({ code: 1, err: expect.stringMatching(/unknown architecture "z80"/) });
  });

  it('removes the new file again when the spec folder cannot accept it', async () => {
    const spec = specCopy();
    // mips has 4 argument registers: a spec whose calls need 5 on 32-bit is fine until a 4-register arch joins.
    mutateJson(join(spec, 'arch', 'mips.json'), (a) => { a.registers.args.push('$8'); });
    mutateJson(join(spec, 'pvrt.json'), (s) => { s.groups[2].hypercalls[4].args.push({ name: 'flags', type: 'u32', dir: 'in', doc: 'Needs a fifth register.' }); });
    const r = (await pvrt('gen', 'arch', '--like', 'riscv32', '--name', 'tiny', '--spec', spec));
    expect(r.code).toBe(0);
    mutateJson(join(spec, 'arch', 'tiny.json'), (a) => { a.registers.args = ['a0', 'a1', 'a2', 'a3']; });
    const again = (await pvrt('gen', 'arch', '--like', 'tiny', '--name', 'tiny2', '--spec', spec));
    expect(again.code).toBe(1);
    expect(existsSync(join(spec, 'arch', 'tiny2.json'))).toBe(false);
  });
});

describe('pvrt command line', () => {
  it('explains an unknown command or option with the usage, exit 1', async () => {
    expect((await pvrt('frobnicate'))).toMatchObject({ code: 1, err: expect.stringMatching(/unknown command "frobnicate"[\s\S]*Usage:/) });
    expect((await pvrt('gen', 'bsp', '--arhc', 'i386'))).toMatchObject({ code: 1, err: expect.stringMatching(/Unknown option '--arhc'/) });
    expect((await pvrt('gen', 'bsp', '--arch', 'i386'))).toMatchObject({ code: 1, err: expect.stringMatching(/gen bsp: --out is required/) });
  });

  it('check summarises a valid spec', async () => {
    const r = (await pvrt('check'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid, interface version 1, 18 hypercalls/);
  });

  it('the bundled CLI in dist/ runs and exits with the right codes', async () => {
    const bin = join(packageRoot(), 'dist', 'pvrt.js');
    expect(existsSync(bin), 'dist/pvrt.js is missing: npm test builds it first (npm run build)').toBe(true);
    const ok = spawnSync(process.execPath, [bin, 'check'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/architectures: aarch64, arm, i386, m68k, microblaze, mips, nios2, or1k, powerpc, riscv32, riscv64, sparc, x86_64/);
    const bad = spawnSync(process.execPath, [bin, 'gen', 'bsp', '--arch', 'vax', '--out', join(tempDir('cli'), 'x')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^pvrt: .*unknown architecture "vax"/);
  });
});
