import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileBsp, compilersFor, STRICT_FLAGS, type Compiler } from '../../toolchain/src/build/compilers.js';
import { generateBsp } from '../../toolchain/src/gen/bsp.js';
import { writeTree } from '../../toolchain/src/gen/output.js';
import { defaultSpecRoot } from '../../toolchain/src/paths.js';
import { loadSpec } from '../../toolchain/src/spec/load.js';
import type { ArchSpec } from '../../toolchain/src/spec/model.js';
import { tempDir } from '../helpers.js';

const bundle = loadSpec(defaultSpecRoot());
const work = tempDir('bsp');
const skipped: string[] = [];

function generated(arch: ArchSpec): string {
  const dir = join(work, `${arch.name}virt`);
  writeTree(dir, generateBsp(bundle, arch.name), 'test');
  return dir;
}

/** Compiles a probe in which the compiler itself checks the arch file's alignment and word size. */
function probeAbi(arch: ArchSpec, compiler: Compiler) {
  const source = join(work, `abi-${arch.name}-${compiler.kind}.c`);
  writeFileSync(
    source,
    `#include <stddef.h>
#include <stdint.h>
struct a16 { char c; uint16_t x; };
struct a32 { char c; uint32_t x; };
struct a64 { char c; uint64_t x; };
_Static_assert(offsetof(struct a16, x) == ${arch.alignment.u16}, "u16 alignment");
_Static_assert(offsetof(struct a32, x) == ${arch.alignment.u32}, "u32 alignment");
_Static_assert(offsetof(struct a64, x) == ${arch.alignment.u64}, "u64 alignment");
_Static_assert(sizeof(long) * 8 == ${arch.wordBits}, "word size");
_Static_assert(sizeof(void *) * 8 == ${arch.wordBits}, "pointer size");
#if (defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__) != ${arch.endianness === 'big' ? 1 : 0}
#error "endianness"
#endif
`,
  );
  return spawnSync(compiler.command, [...compiler.flags, ...STRICT_FLAGS, '-c', source, '-o', `${source}.o`], { encoding: 'utf8' });
}

describe.each([...bundle.archs.values()].map((a) => [a.name, a] as const))('%svirt', (_name, arch) => {
  const dir = generated(arch);
  for (const compiler of compilersFor(arch)) {
    const label = `${compiler.kind} (${compiler.command} ${compiler.flags.join(' ')})`;
    if (compiler.unavailable) {
      skipped.push(`${arch.name} with ${compiler.kind}: ${compiler.unavailable}`);
      it.skip(`${label} SKIPPED: ${compiler.unavailable}`, () => {});
      continue;
    }

    it(`${label} compiles every file with -Wall -Wextra -Werror -ffreestanding`, () => {
      const objects = join(work, `${arch.name}-${compiler.kind}-obj`);
      mkdirSync(objects, { recursive: true });
      const results = compileBsp(dir, compiler, objects);
      expect(results.length).toBeGreaterThanOrEqual(6);
      for (const r of results) expect(r.output, r.file).toBe('');
      expect(results.filter((r) => !r.ok).map((r) => r.file)).toEqual([]);

      // The trap the compiler assembled is the instruction the arch file names.
      if (arch.trap.encoding) {
        const bytes = Buffer.from(arch.trap.encoding.split(' ').map((h) => parseInt(h, 16)));
        expect(readFileSync(join(objects, 'console_console.o')).indexOf(bytes)).toBeGreaterThan(0);
      }
    });

    it(`${label} agrees with the arch file on alignment, word size and endianness`, () => {
      const r = probeAbi(arch, compiler);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

describe('the static assertions in the generated headers', () => {
  const i386 = bundle.archs.get('i386')!;
  const compiler = compilersFor(i386).find((c) => !c.unavailable);

  it.skipIf(!compiler)('fail the build when an offset is wrong', () => {
    const dir = join(work, 'tampered');
    writeTree(dir, generateBsp(bundle, 'i386'), 'test');
    const shared = join(dir, 'include', 'pvrt', 'shared.h');
    // The struct stays the same; only the asserted expectation moves, as if the spec and the header disagreed.
    const text = readFileSync(shared, 'utf8').replace('offsetof(struct pvrt_block_request, status) == 32', 'offsetof(struct pvrt_block_request, status) == 36');
    writeFileSync(shared, text);
    const [broken] = compileBsp(dir, compiler!, work).filter((r) => !r.ok);
    expect(broken?.output).toMatch(/(static_assert failed|static assertion failed).*must be at offset 32/);
  });
});

describe('skipped compile checks', () => {
  it('are listed, with their reasons', () => {
    if (skipped.length) console.warn(`SKIPPED compile checks (${skipped.length}):\n  ${skipped.join('\n  ')}`);
    // nios2 and microblaze have no compiler in Debian 12 or its LLVM; every other architecture must compile here.
    const archsWithoutAnyCompiler = [...bundle.archs.values()].filter((a) => compilersFor(a).every((c) => c.unavailable)).map((a) => a.name);
    expect(archsWithoutAnyCompiler.filter((a) => a !== 'nios2' && a !== 'microblaze')).toEqual([]);
  });
});
