import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadElf } from '../../hypervisor/loader/elf.js';
import { findMultibootHeader } from '../../hypervisor/loader/multiboot.js';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { tempDir } from '../helpers.js';
import { buildGuest, buildImage, GUEST_CPUS, GUEST_NAMES, guestToolchainProblem, type GuestName } from '../support/guest-build.js';
import { qemuArgs, qemuProblem, runUnderQemu } from '../support/qemu.js';

const toolchainProblem = guestToolchainProblem();
const emulatorProblem = qemuProblem();
/** A guest that passed all its checks returned 0 from main: isa-debug-exit makes that status 1. */
const PASSED = 1;
const RUN = { timeoutMs: 5_000 };

/** Lines each guest must print besides its PASS lines: what it computed in ways QEMU agrees with. */
const EXPECTED: Record<GuestName, RegExp[]> = {
  arith64: [/^18446744073709551615 \/ 10 = 1844674407370955161 rem 5$/m, /^-9223372036854775808 \/ 2 = -4611686018427387904 rem 0$/m, /^hash [0-9a-f]+$/m],
  float: [/^1\/3 = 0\.333333333333333 \[3fd5555555555555\]$/m, /^\(1e300\*10\)\/10 = 1\.0+1e\+300 \[7e37e43c8800759c\]$/m],
  switch: [/^dense 7: 9 16 121 324 625 1024 1521$/m, /^sparse 4096: page$/m, /^sparse -2147483648: other$/m],
  setjmp: [/^setjmp returned 150 \(round 3, depth 15\)$/m, /^trace 0a0e1b1f2c2g3d3h4X4Y$/m],
  realmode: [/^16-bit protected mode: hello$/m, /^real mode: hello from CS=0x0700$/m, /^real mode computed: sum 1\.\.100 = 5050, CS = 700$/m],
  paging: [/^#PF 1: CR2=800000 error=0 /m, /^#PF 2: CR2=801004 error=2 /m, /^#PF 4: CR2=[0-9a-f]+ error=3 /m],
  usermode: [/^ring 3: hello through int 0x80$/m, /^kernel: #GP from ring 3, error 6a, instruction cd/m],
  pit: [/^ticks 20$/m, /^channel 0 status 34$/m],
  uart: [/^received "loop"$/m],
  rtc: [/^extended memory 31744 KiB$/m, /^periodic interrupts 64$/m],
  apic: [/^isa irq 0: ioapic pin 2 \(mp table\)$/m, /^pit through the ioapic: 10 ticks$/m, /^periodic timer: 10 interrupts$/m, /^self-ipi: held at tpr 0x50 1, delivered at tpr 0 1$/m],
  // Run on its largest CPU count (GUEST_CPUS).
  smp: [/^madt: 4 processors$/m, /^ap 3: apic id 3$/m, /^barrier: 4 cpus joined$/m, /^ipi apic 3: 100 round trips$/m],
};

function warnSkip(what: string, reason: string): void {
  console.warn(`SKIPPED ${what}: ${reason}`);
}

describe('guest images', () => {
  if (toolchainProblem) {
    warnSkip('building the guests', toolchainProblem);
    it.skip(`build every guest SKIPPED: ${toolchainProblem}`, () => {});
    return;
  }

  it.each(GUEST_NAMES)('%s builds as an ELF32 multiboot image that pvrt\'s loaders accept', (name) => {
    const path = buildGuest(name);
    const file = { name: path, bytes: readFileSync(path) };
    expect(findMultibootHeader(file).offset).toBeLessThan(8192);
    const loaded = loadElf(file, new GuestMemory(32 << 20));
    expect(loaded.start).toBe(0x100000);
  });

  it('arith64 calls libgcc for 64-bit division and modulo', () => {
    const symbols = spawnSync('nm', [buildGuest('arith64')], { encoding: 'utf8' }).stdout;
    for (const helper of ['__udivdi3', '__divdi3', '__umoddi3', '__moddi3']) expect(symbols).toMatch(new RegExp(` T ${helper}$`, 'm'));
  });

  it('switch compiles its dense switch to a jump table and its sparse one without', () => {
    const disassembly = spawnSync('objdump', ['-d', '--no-show-raw-insn', buildGuest('switch')], { encoding: 'utf8' }).stdout;
    const body = (fn: string) => disassembly.split(/\n(?=[0-9a-f]+ <)/).find((f) => f.includes(`<${fn}>:`)) ?? '';
    expect(body('dense')).toMatch(/jmp\s+\*0x[0-9a-f]+\(,%e[a-z]{2},4\)/);
    expect(body('sparse')).not.toMatch(/jmp\s+\*/);
    expect(body('sparse')).toMatch(/cmp/);
  });

  it('float does its arithmetic on the x87 and has no SSE', () => {
    const disassembly = spawnSync('objdump', ['-d', buildGuest('float')], { encoding: 'utf8' }).stdout;
    expect(disassembly).toMatch(/\bfdivr?p?\b/);
    expect(disassembly).not.toMatch(/%xmm/);
  });
});

describe('guests under QEMU', () => {
  const problem = toolchainProblem ?? emulatorProblem;
  if (problem) {
    warnSkip('the QEMU reference runs', problem);
    it.skip(`every guest under QEMU SKIPPED: ${problem}`, () => {});
    return;
  }

  it.each(GUEST_NAMES)('%s passes its own checks and exits through isa-debug-exit', async (name) => {
    const image = buildGuest(name);
    const started = Date.now();
    const run = await runUnderQemu(image, { ...RUN, smp: Math.max(...(GUEST_CPUS[name] ?? [1])) });
    expect(run.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    const lines = run.serial.split('\n');
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    const tally = /^(\d+) checks, 0 failed$/m.exec(run.serial);
    expect(tally, run.serial.slice(-500)).not.toBeNull();
    expect(lines.filter((l) => l.startsWith('PASS ')).length).toBe(Number(tally![1]));
    for (const pattern of EXPECTED[name]) expect(run.serial).toMatch(pattern);
    expect(run.serial.endsWith(`${tally![0]}\n`)).toBe(true); // nothing after the tally: the exit came next
    expect(run.exitCode).toBe(PASSED);
  });

  it('prints the same bytes on a second run (the reference is deterministic)', async () => {
    const image = buildGuest('paging');
    const [a, b] = [await runUnderQemu(image, RUN), await runUnderQemu(image, RUN)];
    expect(a.serial).toBe(b.serial);
  });

  describe('the harness tells failures apart', () => {
    const dir = tempDir('guest-harness');
    const guest = (name: string, body: string) => {
      const source = join(dir, `${name}.c`);
      writeFileSync(source, `#include "runtime.h"\nint main(void) {\n${body}\n}\n`);
      return buildImage({ name, sources: [source] });
    };

    it('a failed check prints FAIL and exits with status 3', async () => {
      const run = await runUnderQemu(guest('fails', 'check(1, "fine"); check(0, "deliberate"); return finish();'), RUN);
      expect(run.serial).toBe('PASS fine\nFAIL deliberate\n2 checks, 1 failed\n');
      expect(run.exitCode).toBe(3);
    });

    it('a triple fault ends QEMU (-no-reboot) with status 0', async () => {
      const run = await runUnderQemu(
        guest('triple', 'static const struct { unsigned short l; unsigned b; } __attribute__((packed)) none = { 0, 0 };\n' +
          'printf("before\\n"); __asm__ volatile("lidt %0; int $3" : : "m"(none)); return 0;'),
        RUN,
      );
      expect(run.serial).toBe('before\n');
      expect(run.exitCode).toBe(0);
    });

    it('a guest that never exits is killed at the timeout', async () => {
      const started = Date.now();
      const run = await runUnderQemu(guest('hangs', 'printf("spinning\\n"); for (;;) {}'), { timeoutMs: 700 });
      expect(run.timedOut).toBe(true);
      expect(run.exitCode).toBeNull();
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('uses the documented command line', () => {
      expect(qemuArgs('k.elf').join(' ')).toBe(
        '-kernel k.elf -display none -serial stdio -monitor none -no-reboot -nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 32',
      );
    });
  });
});
