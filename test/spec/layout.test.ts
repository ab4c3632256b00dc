import { describe, expect, it } from 'vitest';
import { planRegisters } from '../../toolchain/src/spec/abi.js';
import { computeLayout } from '../../toolchain/src/spec/layout.js';
import type { ArchSpec, HypercallDef, StructDef } from '../../toolchain/src/spec/model.js';
import { defaultSpecRoot } from '../../toolchain/src/paths.js';
import { loadSpec } from '../../toolchain/src/spec/load.js';

const natural = { alignment: { u16: 2, u32: 4, u64: 8 } };
const i386Like = { alignment: { u16: 2, u32: 4, u64: 4 } };
const m68kLike = { alignment: { u16: 2, u32: 2, u64: 2 } };

const struct = (fields: [string, string, number?][]): StructDef => ({
  name: 's', doc: 'test', size: 0, fields: fields.map(([name, type, count]) => ({ name, type, offset: 0, doc: 'f', ...(count ? { count } : {}) })),
});

describe('C layout rules', () => {
  it('align a u64 after a u32 by the architecture: 8 naturally, 4 on i386, 2 on m68k', () => {
    const s = struct([['a', 'u32'], ['b', 'u64']]);
    expect(computeLayout(s, natural, new Map())).toMatchObject({ size: 16, align: 8, fields: [{ offset: 0 }, { offset: 8 }] });
    expect(computeLayout(s, i386Like, new Map())).toMatchObject({ size: 12, align: 4, fields: [{ offset: 0 }, { offset: 4 }] });
    const t = struct([['c', 'u8'], ['d', 'u32']]);
    expect(computeLayout(t, m68kLike, new Map())).toMatchObject({ size: 6, align: 2, fields: [{ offset: 0 }, { offset: 2 }] });
  });

  it('pad the tail to the largest alignment and count array elements', () => {
    const s = struct([['a', 'u64'], ['b', 'u8', 3]]);
    expect(computeLayout(s, natural, new Map())).toMatchObject({ size: 16, fields: [{ offset: 0, size: 8 }, { offset: 8, size: 3 }] });
  });

  it('lay nested structures out with their own alignment', () => {
    const inner = { ...struct([['x', 'u64']]), name: 'inner' };
    const outer = struct([['a', 'u8'], ['in', 'struct:inner']]);
    expect(computeLayout(outer, i386Like, new Map([['inner', inner]])).fields[1]!.offset).toBe(4);
    expect(computeLayout(outer, natural, new Map([['inner', inner]])).fields[1]!.offset).toBe(8);
  });
});

describe('register plans', () => {
  const { archs } = loadSpec(defaultSpecRoot());
  const call = (args: HypercallDef['args'], returns: HypercallDef['returns'] = null): HypercallDef => ({
    number: 99, name: 't', summary: 'test', semantics: 'test', args, returns, statuses: ['OK'],
  });
  const u64 = { name: 'deadline', type: 'u64', dir: 'in', doc: 'd' } as const;

  it('split a 64-bit argument into low and high words on 32-bit architectures only', () => {
    const i386 = planRegisters(call([u64]), archs.get('i386') as ArchSpec)!;
    expect(i386.args.map((s) => [s.register, s.part])).toEqual([['ebx', 'low'], ['ecx', 'high']]);
    const riscv64 = planRegisters(call([u64]), archs.get('riscv64') as ArchSpec)!;
    expect(riscv64.args.map((s) => [s.register, s.part])).toEqual([['a0', 'whole']]);
  });

  it('return a 64-bit value in two value registers on 32-bit architectures', () => {
    const clock = call([], { name: 'now', type: 'u64', doc: 'n' });
    expect(planRegisters(clock, archs.get('i386') as ArchSpec)!.value.map((v) => v.register)).toEqual(['edx', 'ecx']);
    expect(planRegisters(clock, archs.get('aarch64') as ArchSpec)!.value.map((v) => v.register)).toEqual(['x1']);
  });

  it('refuse a call that needs more registers than the architecture has', () => {
    const five = call(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, type: 'u32', dir: 'in', doc: 'x' }) as const));
    expect(planRegisters(five, archs.get('mips') as ArchSpec)).toBeUndefined();
    expect(planRegisters(five, archs.get('i386') as ArchSpec)).toBeDefined();
  });
});
