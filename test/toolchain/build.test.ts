import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVm } from '../../hypervisor/index.js';
import { buildApplication, generatedBspDir, listBsps, readManifest } from '../../toolchain/src/build/app.js';
import { measureRun } from '../../toolchain/src/compare/compare.js';
import { defaultSpecRoot, packageRoot } from '../../toolchain/src/paths.js';
import { problemsOf, tempDir } from '../helpers.js';
import { guestToolchainProblem } from '../support/guest-build.js';
import { fakeGuestBsp, writeExample } from './fake-guest-bsp.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: pvrt build with guests: ${problem}`);
const clangProblem = ['clang', 'ld.lld'].map((c) => (spawnSync(c, ['--version']).error ? `${c} is not installed` : null)).find((p) => p) ?? null;
if (clangProblem) console.warn(`SKIPPED: pvrt build --cc clang: ${clangProblem}`);

const BIN = join(packageRoot(), 'dist', 'pvrt.js');

/** Runs the bundled CLI as a user would. */
function pvrt(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Boots an image and returns what it printed (and the load format). */
async function boot(image: string): Promise<{ format: string; output: string; exitCode: number }> {
  const vm = createVm({ memory: '16M' });
  let output = '';
  vm.on('console', (bytes) => (output += Buffer.from(bytes).toString('latin1')));
  const { format } = vm.load(image);
  vm.start();
  const result = await vm.wait({ timeoutMs: 10_000 });
  return { format, output, exitCode: result.exitCode };
}

const HELLO = {
  'hello.c': '#include <rtems.h>\n#include <app-extra.h>\nvoid Init(void) { printk("hello, " APP_WHO " "); print_u32(APP_WORD); printk("\\n"); }\n',
};

/** A fake tree, an application with an -I folder of its own, and an output folder. */
function setUp() {
  const root = fakeGuestBsp();
  const app = writeExample('app', HELLO);
  const inc = join(app, 'inc');
  mkdirSync(inc);
  writeFileSync(join(inc, 'app-extra.h'), '#define APP_WHO "porter"\n');
  const out = tempDir('build-out');
  return { root, app, inc, out };
}

describe('pvrt build: the layout convention', () => {
  it('finds BSPs by their bsp.json and checks manifests', () => {
    const root = fakeGuestBsp();
    expect(listBsps(root)).toEqual(['i386virt', 'pc386']); // executive/ has no bsp.json
    expect(readManifest(join(root, 'i386virt', 'bsp.json'))).toEqual({ defines: ['FAKE_PARAVIRT', 'FAKE_BSP_NAME="i386virt"'], generated: 'i386' });
    writeFileSync(join(root, 'pc386', 'bsp.json'), '{ "defines": ["1BAD"], "generated": null }');
    expect(problemsOf(() => readManifest(join(root, 'pc386', 'bsp.json')))[0]).toMatchObject({ pointer: '/defines' });
    writeFileSync(join(root, 'pc386', 'bsp.json'), '{ "defines": [], "generated": 5 }');
    expect(problemsOf(() => readManifest(join(root, 'pc386', 'bsp.json')))[0]).toMatchObject({ pointer: '/generated' });
    writeFileSync(join(root, 'pc386', 'bsp.json'), '{ nope');
    expect(problemsOf(() => readManifest(join(root, 'pc386', 'bsp.json')))[0]!.message).toMatch(/cannot read the BSP manifest/);
  });

  it('generates the paravirtual BSP once into a cache folder named by its content', () => {
    const cache = tempDir('build-cache');
    const first = generatedBspDir('i386', defaultSpecRoot(), cache);
    const stamp = statSync(join(first.dir, 'include', 'bsp.h')).mtimeMs;
    const second = generatedBspDir('i386', defaultSpecRoot(), cache);
    expect(second).toEqual(first);
    expect(statSync(join(first.dir, 'include', 'bsp.h')).mtimeMs).toBe(stamp); // reused, not rewritten
    expect(first.dir).toMatch(/i386virt-[0-9a-f]{16}$/);
    expect(first.files.length).toBeGreaterThan(0);
    expect(first.files.every((f) => f.endsWith('.c') && f.startsWith(first.dir))).toBe(true);
    expect(readdirSync(cache)).toEqual([first.dir.slice(cache.length + 1)]); // no staging folders left
  });
});

describe.skipIf(problem !== null)('pvrt build: images', () => {
  it('builds a generated paravirtual BSP: generated include/ first, manifest and -D/-I on every unit; the image boots', async () => {
    const { root, app, inc, out } = setUp();
    const image = join(out, 'sub', 'hello.elf');
    const r = pvrt(['build', '--bsp', 'i386virt', '--bsp-root', root, join(app, 'hello.c'), '-o', image, '-I', inc, '-DAPP_WORD=42']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^built .*hello\.elf: \d+ files, i386virt BSP, gcc\n$/);
    const run = await boot(image);
    expect(run).toEqual({ format: 'elf', output: 'executive up on i386virt (paravirtual), cpu 386, board virt-board\nhello, porter 42\n', exitCode: 0 });
    expect(readdirSync(join(out, 'sub'))).toEqual(['hello.elf']);
  });

  it('builds a hand-written multiboot BSP (no include/) from the function, and reports warnings by file', async () => {
    const { root, app, inc, out } = setUp();
    writeFileSync(join(app, 'warn.c'), 'int unused_warning(int x) { int y; return x; }\n');
    const r = await buildApplication({ bsp: 'pc386', sources: [join(app, 'hello.c'), join(app, 'warn.c')], out: join(out, 'pc.elf'), includeDirs: [inc], defines: ['APP_WORD=7'], guestBspRoot: root });
    expect(r).toMatchObject({ image: join(out, 'pc.elf'), bsp: 'pc386', cc: 'gcc', units: 9 }); // 2 BSP + 5 executive + 2 app
    expect(r.generatedDir).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/warn\.c:\n[^]*warn\.c:1:[^]*unused variable [‘']y[’']/);
    expect(await boot(r.image)).toEqual({ format: 'multiboot', output: 'executive up on pc386, cpu 386, board pc\nhello, porter 7\n', exitCode: 1 }); // isa-debug-exit 0
  });

  it.skipIf(clangProblem !== null)('builds with --cc clang (ld.lld and compiler-rt, or gcc\'s libgcc)', async () => {
    const { root, app, inc, out } = setUp();
    writeFileSync(join(app, 'div.c'), '#include <stdint.h>\nuint64_t app_div(uint64_t a, uint64_t b) { return a / b; }\n'); // needs __udivdi3
    for (const bsp of ['i386virt', 'pc386']) {
      const image = join(out, `${bsp}.elf`);
      const r = pvrt(['build', '--bsp', bsp, '--bsp-root', root, '--cc', 'clang', join(app, 'hello.c'), join(app, 'div.c'), '-o', image, '-I', inc, '-D', 'APP_WORD=1']);
      expect(r.err).toBe('');
      expect(r.out).toContain(`${bsp} BSP, clang`);
      expect((await boot(image)).output).toContain('hello, porter 1\n');
    }
  });

  it('refuses unknown BSPs, missing flags, sources and compilers, saying what to do', () => {
    const { root, app, out } = setUp();
    const hello = join(app, 'hello.c');
    const image = join(out, 'x.elf');
    expect(pvrt(['build', '--bsp', 'vax', '--bsp-root', root, hello, '-o', image])).toMatchObject({ code: 1, err: expect.stringContaining('unknown BSP "vax"; the BSPs in ' + root + ' are: i386virt, pc386') });
    expect(pvrt(['build', '--bsp-root', root, hello, '-o', image])).toMatchObject({ code: 1, err: expect.stringContaining('build: --bsp is required') });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, hello])).toMatchObject({ code: 1, err: expect.stringContaining('build: --out is required') });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, '-o', image])).toMatchObject({ code: 1, err: expect.stringContaining('build: which sources?') });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, join(app, 'nope.c'), '-o', image])).toMatchObject({ code: 1, err: expect.stringContaining(`${join(app, 'nope.c')}: no such source file`) });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, join(app, 'hello.h'), '-o', image])).toMatchObject({ code: 1, err: expect.stringContaining('not a C (.c) or assembly (.S) source') });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, hello, '-o', image, '--cc', 'tcc'])).toMatchObject({ code: 1, err: expect.stringContaining('--cc: "tcc" must be gcc or clang') });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, hello, '-o', image, '-D', '9X'])).toMatchObject({ code: 1, err: expect.stringContaining('-D 9X: not NAME or NAME=VALUE') });
    const noTools = { ...process.env, PATH: tempDir('empty-path') };
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, hello, '-o', image], noTools)).toMatchObject({ code: 1, err: expect.stringContaining('gcc is not installed: install the Debian package gcc') });
    expect(pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, hello, '-o', image, '--cc', 'clang'], noTools)).toMatchObject({ code: 1, err: expect.stringContaining('clang is not installed: install the Debian package clang') });
    expect(existsSync(image)).toBe(false);
  });

  it('shows compile errors with file:line, links errors too, and never leaves a partial image', () => {
    const { root, app, inc, out } = setUp();
    const image = join(out, 'keep.elf');
    writeFileSync(image, 'the previous image');
    writeFileSync(join(app, 'broken.c'), '#include <rtems.h>\n\nint broken(void) { return not_declared; }\n');
    const r = pvrt(['build', '--bsp', 'i386virt', '--bsp-root', root, join(app, 'hello.c'), join(app, 'broken.c'), '-o', image, '-I', inc, '-DAPP_WORD=1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`building ${image} failed: 1 of `);
    expect(r.err).toContain(`${join(app, 'broken.c')}:\n`);
    expect(r.err).toMatch(/broken\.c:3:\d+: error: [‘']not_declared[’'] undeclared/);
    writeFileSync(join(app, 'unresolved.c'), 'void missing_function(void);\nvoid call_it(void) { missing_function(); }\n');
    const link = pvrt(['build', '--bsp', 'pc386', '--bsp-root', root, join(app, 'hello.c'), join(app, 'unresolved.c'), '-o', image, '-I', inc, '-DAPP_WORD=1']);
    expect(link.code).toBe(1);
    expect(link.err).toMatch(/linking .*keep\.elf failed \(gcc\):[^]*undefined reference to [`‘]missing_function[’']/);
    expect(readFileSync(image, 'utf8')).toBe('the previous image'); // untouched
    expect(readdirSync(out)).toEqual(['keep.elf']); // no temporary files left behind
  });
});

// The real executive and BSPs.
const REAL_ROOT = join(packageRoot(), 'guest-bsp');
describe.skipIf(problem !== null)('pvrt build: the real executive', () => {
  const HELLO_RTEMS = '#include <rtems.h>\n\nrtems_task Init(rtems_task_argument argument)\n{\n  (void)argument;\n  printk("hello from pvrt build\\n");\n  rtems_shutdown_executive(0);\n}\n';
  for (const bsp of ['i386virt', 'pc386']) {
    it.skipIf(!listBsps(REAL_ROOT).includes(bsp))(`builds a hello application for ${bsp}; it prints and shuts down`, async () => {
      const hello = writeExample('real-hello', { 'hello.c': HELLO_RTEMS });
      const image = join(tempDir('real-build'), `hello-${bsp}.elf`);
      const r = pvrt(['build', '--bsp', bsp, join(hello, 'hello.c'), '-o', image]);
      expect(r.err.replace(/^.*warning.*$/gm, '')).not.toMatch(/error/);
      expect(r.code).toBe(0);
      const run = await measureRun(image, { clock: 'virtual', memory: '64M', timeoutMs: 15_000 }); // throws unless it exits with status 0
      expect(run.console).toContain('hello from pvrt build\n');
    });
  }
});
