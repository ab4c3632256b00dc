import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, Instruction } from '../../hypervisor/x86/decoder.js';
import { ENTRIES, Kind, Op } from '../../hypervisor/x86/opcodes.js';
import { random, tempDir } from '../helpers.js';

const objdump = spawnSync('objdump', ['--version']).status === 0;
const SLOT = 32;

/** Lengths objdump finds for instructions placed at every SLOT bytes, padded with NOPs; undefined for (bad). */
function objdumpLengths(cases: Uint8Array[], mode: 'i386' | 'i8086'): (number | undefined)[] {
  const dir = tempDir('objdump');
  const image = new Uint8Array(cases.length * SLOT).fill(0x90);
  cases.forEach((bytes, i) => image.set(bytes, i * SLOT));
  const file = join(dir, 'code.bin');
  writeFileSync(file, image);
  const r = spawnSync('objdump', ['-D', '-b', 'binary', '-m', mode, '--insn-width=16', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const lengths: (number | undefined)[] = new Array(cases.length).fill(undefined);
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (!m) continue;
    const address = parseInt(m[1]!, 16);
    if (address % SLOT !== 0) continue;
    const count = m[2]!.trim().split(' ').length;
    lengths[address / SLOT] = /\(bad\)/.test(m[3]!) ? undefined : count;
  }
  return lengths;
}

function encodings(rand: () => number, count: number): { bytes: Uint8Array; entry: (typeof ENTRIES)[number] }[] {
  const out: { bytes: Uint8Array; entry: (typeof ENTRIES)[number] }[] = [];
  const prefixes = [0x66, 0x67, 0x2e, 0x3e, 0x26, 0x64, 0x65, 0x36];
  for (const entry of ENTRIES) {
    if (entry.op === Op.Fpu) continue; // the FPU's ModRM forms are checked with the FPU
    for (let n = 0; n < count; n++) {
      const bytes: number[] = [];
      const nprefix = Math.floor(rand() * 3);
      for (let p = 0; p < nprefix; p++) bytes.push(prefixes[Math.floor(rand() * prefixes.length)]!);
      if (entry.opcode >= 0x100) bytes.push(0x0f);
      bytes.push(entry.opcode & 0xff);
      if (entry.modrm) {
        let mod = Math.floor(rand() * 4);
        if (entry.form === 'm' && mod === 3) mod = Math.floor(rand() * 3);
        if (entry.form === 'r' || entry.operands.some((o) => o.kind === Kind.Rm && o.registerOnly)) mod = 3;
        if (entry.operands.some((o) => o.kind === Kind.Rm && o.memoryOnly) && mod === 3) mod = Math.floor(rand() * 3);
        const reg = entry.group >= 0 ? entry.group : Math.floor(rand() * 8);
        const modrm = entry.exactModrm >= 0 ? entry.exactModrm : (mod << 6) | (reg << 3) | Math.floor(rand() * 8);
        bytes.push(modrm);
      }
      while (bytes.length < 15) bytes.push(Math.floor(rand() * 256));
      out.push({ bytes: Uint8Array.from(bytes), entry });
    }
  }
  return out;
}

describe.skipIf(!objdump)('the decoder against GNU objdump', () => {
  for (const [mode, default32] of [['i386', true], ['i8086', false]] as const) {
    it(`finds the same instruction lengths in ${default32 ? '32' : '16'}-bit code`, () => {
      const cases = encodings(random(default32 ? 1 : 2), 40);
      const theirs = objdumpLengths(cases.map((c) => c.bytes), mode);
      const insn = new Instruction();
      const mismatches: string[] = [];
      let compared = 0;
      cases.forEach(({ bytes, entry }, i) => {
        const ours = decode({ fetchCode8: (o) => bytes[o]! }, default32, insn);
        const hex = [...bytes.slice(0, insn.length)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
        if (!ours) {
          mismatches.push(`${entry.text}: we reject ${hex}, objdump: ${theirs[i]}`);
          return;
        }
        if (theirs[i] === undefined) return; // objdump refuses some encodings the CPU accepts (e.g. 82 /r); checked by the host harness instead
        compared++;
        if (theirs[i] !== insn.length) mismatches.push(`${entry.text}: ${hex} is ${insn.length} bytes for us, ${theirs[i]} for objdump`);
      });
      console.log(`decoder vs objdump (${mode}): ${compared} encodings compared`);
      expect(mismatches.slice(0, 20)).toEqual([]);
      expect(compared).toBeGreaterThan(cases.length * 0.9);
    });
  }
});

if (!objdump) console.warn('SKIPPED: decoder against GNU objdump: objdump is not installed (Debian package binutils)');

describe('decoder details', () => {
  const insn = new Instruction();
  const run = (hex: string, default32 = true) => {
    const bytes = hex.split(' ').map((h) => parseInt(h, 16));
    return { entry: decode({ fetchCode8: (o) => bytes[o] ?? 0 }, default32, insn), insn };
  };

  it('decodes SIB with no base, scaled index and a 32-bit displacement', () => {
    const { insn: d } = run('8b 04 8d 78 56 34 12'); // mov eax, [ecx*4+0x12345678]
    expect({ base: d.base, index: d.index, scale: d.scale, displacement: d.displacement >>> 0, length: d.length }).toEqual({ base: -1, index: 1, scale: 2, displacement: 0x12345678, length: 7 });
  });

  it('uses SS for (E)BP-based addresses and DS otherwise', () => {
    expect(run('8b 45 08').insn.defaultSegment).toBe(2);
    expect(run('8b 44 24 04').insn.defaultSegment).toBe(2);
    expect(run('8b 46 02', false).insn.defaultSegment).toBe(2); // [bp+2] in 16-bit code
    expect(run('8b 47 02', false).insn.defaultSegment).toBe(3); // [bx+2]
  });

  it('rejects opcodes that are not in the i686 map, and instructions longer than 15 bytes', () => {
    expect(run('0f 10 c0').entry).toBeUndefined(); // SSE movups
    expect(run('ff ff').entry).toBeUndefined(); // FF /7
    expect(run('0f 01 c2').entry).toBeUndefined(); // 0F 01 /0 with mod=3 other than C1
    const long = run('66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90');
    expect(long.entry).toBeUndefined();
    expect(long.insn.tooLong).toBe(true);
  });

  it('decodes vmcall, ENTER\'s two immediates and a far pointer', () => {
    expect(run('0f 01 c1').entry?.op).toBe(Op.Vmcall);
    const enter = run('c8 10 00 02');
    expect([enter.insn.immediate, enter.insn.immediate2, enter.insn.length]).toEqual([16, 2, 4]);
    const far = run('ea 78 56 34 12 08 00');
    expect([far.insn.immediate >>> 0, far.insn.immediate2, far.insn.length]).toEqual([0x12345678, 8, 7]);
  });
});
