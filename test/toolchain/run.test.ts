import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../toolchain/src/paths.js';
import { tempDir } from '../helpers.js';
import { buildGuest, guestToolchainProblem } from '../support/guest-build.js';
import { buildParavirtGuest } from '../support/paravirt.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: pvrt run with guests: ${problem}`);

const BIN = join(packageRoot(), 'dist', 'pvrt.js');

/** Runs the bundled CLI as a user would, with stdin from `input`. */
function pvrt(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'latin1', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('pvrt run: flags and images', () => {
  it('refuses a file that is not an image, saying which and why', () => {
    const bad = join(tempDir('run'), 'not-an-image.elf');
    writeFileSync(bad, 'hello');
    const r = pvrt(['run', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`pvrt: ${bad}: `);
    expect(r.err).toMatch(/ELF/);
    expect(pvrt(['run', join(tempDir('run'), 'missing.elf')]).err).toMatch(/missing\.elf: cannot read the image/);
  });

  it('refuses bad options with a message and exit code 1', () => {
    const image = '/nonexistent.elf';
    expect(pvrt(['run', image, '--smp', '0'])).toMatchObject({ code: 1, err: expect.stringContaining('--smp: "0" is not a vCPU count from 1 to 32') });
    expect(pvrt(['run', image, '--smp', 'two'])).toMatchObject({ code: 1, err: expect.stringContaining('--smp: "two" is not a number') });
    expect(pvrt(['run', image, '--clock', 'wall'])).toMatchObject({ code: 1, err: expect.stringContaining('--clock: "wall" must be real or virtual') });
    expect(pvrt(['run', image, '-m', 'lots'])).toMatchObject({ code: 1, err: expect.stringContaining('"lots" is not a size') });
    expect(pvrt(['run', image, '--timeout', '-3'])).toMatchObject({ code: 1, err: expect.stringContaining('--timeout') });
    expect(pvrt(['run'])).toMatchObject({ code: 1, err: expect.stringContaining('run: which image?') });
  });
});

describe.skipIf(problem !== null)('pvrt run: guests', () => {
  it('puts the console on stdout and exits with the guest\'s shutdown code; --stats goes to stderr', () => {
    const r = pvrt(['run', buildParavirtGuest('hello'), '--clock', 'virtual', '--stats']);
    expect(r.code).toBe(7);
    expect(r.out.startsWith('hello from i386virt\n')).toBe(true);
    expect(r.err).toContain('[guest log info, vCPU 0] hello from the debug log');
    expect(r.err).toMatch(/vCPU 0 \(stopped\): \d+ instructions, 0 upcalls/);
    expect(r.err).toMatch(/hypercalls: console_write 40, /);
  });

  it('feeds stdin to the guest console', () => {
    const r = pvrt(['run', buildParavirtGuest('echo')], 'one\ntwo\nquit\n');
    expect(r).toMatchObject({ code: 0, out: 'ready\n> ONE\n> TWO\nbye\n' });
  });

  it('runs SMP guests with --smp and block devices with --drive', () => {
    expect(pvrt(['run', buildParavirtGuest('smp'), '--smp', '2']).out).toContain('exact 1\n');
    const disk = join(tempDir('run'), 'disk.img');
    writeFileSync(disk, new Uint8Array(64 * 512));
    const r = pvrt(['run', buildParavirtGuest('block'), '--drive', `${disk},ro`, '-m', '8M']);
    expect(r.out).toContain('read only 1\n');
    expect(r.out).toContain('write -11\n');
    expect(pvrt(['run', buildParavirtGuest('block'), '--drive', join(tempDir('run'), 'none.img')])).toMatchObject({ code: 1, err: expect.stringContaining('none.img: cannot open the drive') });
  });

  it('boots a multiboot image with --append and --module', () => {
    const dir = tempDir('run');
    writeFileSync(join(dir, 'initrd.img'), Uint8Array.of(1, 2, 3));
    writeFileSync(join(dir, 'config.txt'), 'x');
    const checksum = (bytes: number[]) => bytes.reduce((sum, b) => (Math.imul(sum, 31) + b) >>> 0, 0);
    const r = pvrt(['run', buildParavirtGuest('mbinfo'), '--append', 'console=pv quiet', '--module', join(dir, 'initrd.img'), '--module', `${join(dir, 'config.txt')},config verbose`]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      `cmdline console=pv quiet\nmodules 2\nmodule ${join(dir, 'initrd.img')} bytes 3\nchecksum ${checksum([1, 2, 3])}\nmodule config verbose bytes 1\nchecksum ${checksum([0x78])}\n`,
    );
    expect(pvrt(['run', buildParavirtGuest('mbinfo'), '--module', join(dir, 'none')])).toMatchObject({ code: 1, err: expect.stringContaining('cannot read it') });
    // A plain ELF cannot take a command line.
    expect(pvrt(['run', buildParavirtGuest('hello'), '--append', 'x'])).toMatchObject({ code: 1, err: expect.stringContaining('need a multiboot image') });
  });

  it('boots an unmodified multiboot guest on the PC platform: PIT interrupts wake hlt, exit through isa-debug-exit', () => {
    const r = pvrt(['run', buildGuest('pit'), '--stats']);
    expect(r.out).toContain('ticks 20\n');
    // The exits an unmodified guest costs: HLTs woken by timer interrupts, and port I/O by port.
    const halts = /HLT exits (\d+), interrupts injected (\d+)/.exec(r.err);
    expect(halts, r.err).not.toBeNull();
    expect(Number(halts![1])).toBeGreaterThanOrEqual(15);
    expect(Number(halts![2])).toBeGreaterThanOrEqual(20);
    expect(r.err).toMatch(/port I\/O by port: .*0x43 4/); // the guest's four PIT commands
    expect(r.err).toMatch(/port I\/O by port: .*0x20 2[12],/); // ICW1 and an EOI per tick (20, or 21 if one more came before cli)
    // The same by device (busiest first; the console UART and the channel-2 polling on port 0x61 vary with speed).
    const byDevice = /port I\/O by device: (.*)\n/.exec(r.err)?.[1] ?? '';
    for (const device of [/com1 \d+/, /port61 \d+/, /pic-master 2[67]\b/, /pit8254 11\b/, /pic-slave 5\b/, /isa-debug-exit 1$/]) expect(byDevice).toMatch(device);
    expect(r.out).toContain('7 checks, 0 failed\n');
    expect(r.code).toBe(1); // QEMU's status for isa-debug-exit value 0: (0 << 1) | 1
  });

  it('boots an unmodified SMP guest with --smp: the APs start by INIT-SIPI-SIPI; --stats shows MMIO by device', () => {
    const r = pvrt(['run', buildGuest('smp'), '--smp', '4', '--stats']);
    expect(r.out).toContain('barrier: 4 cpus joined\n');
    expect(r.out).toContain('10 checks, 0 failed\n');
    expect(r.code).toBe(1);
    // Every vCPU ran and talked to its own local APIC.
    for (let v = 0; v < 4; v++) expect(r.err).toMatch(new RegExp(`vCPU ${v} \\(stopped\\): \\d+ instructions[^]*?MMIO by device: lapic \\d+`));
    expect(r.err).toMatch(/vCPU 1 \(stopped\)[^]*?interrupts injected 100\n/); // the 100 pings
  });

  it('ends quietly when its reader closes the pipe early (pvrt run IMAGE | head)', () => {
    const image = buildParavirtGuest('idle', { defines: { IDLE_NS: '300000000ull' } });
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" run "${image}" | head -c 2`], { encoding: 'latin1', timeout: 60_000 });
    expect(r.stdout).toBe('id');
    expect(r.stderr).toBe('');
  });

  it('reports a fatal guest fault and a timeout with their own exit codes', () => {
    const fault = pvrt(['run', buildParavirtGuest('fault')]);
    expect(fault.code).toBe(1);
    expect(fault.out).toBe('about to fault\n');
    expect(fault.err).toMatch(/vCPU 0: triple fault at 0x[0-9a-f]{8}/);
    const slow = pvrt(['run', buildParavirtGuest('idle', { defines: { IDLE_NS: '3600000000000ull' } }), '--timeout', '0.5']);
    expect(slow.code).toBe(124);
    expect(slow.err).toContain('the guest did not stop within 0.5 s');
  });
});
