import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createVm, type VmConfig, type VmResult } from '../../hypervisor/vm/vm.js';
import { tempDir } from '../helpers.js';
import { guestToolchainProblem } from '../support/guest-build.js';
import { buildParavirtGuest, type ParavirtBuild } from '../support/paravirt.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: paravirtual guests on vCPU workers: ${problem}`);

/** Boots a paravirtual guest on worker vCPUs (dist/vcpu-worker.js, built by npm test) and collects its console. */
async function boot(name: string, config: VmConfig = {}, build: ParavirtBuild = {}, timeoutMs = 30_000) {
  const vm = createVm({ memory: '16M', clock: 'virtual', ...config });
  let console = '';
  const logs: string[] = [];
  vm.on('console', (bytes) => (console += Buffer.from(bytes).toString('latin1')));
  vm.on('log', (level, message, vcpu) => logs.push(`${vcpu}/${level}: ${message}`));
  vm.load(buildParavirtGuest(name, build));
  vm.start();
  const result: VmResult = await vm.wait({ timeoutMs });
  return { result, console, logs, stats: vm.stats(), vm };
}

const lines = (text: string) => text.trimEnd().split('\n');

describe.skipIf(problem !== null)('paravirtual guests on vCPU worker threads', () => {
  it('hello: the console reaches the host and the shutdown code becomes the exit code', async () => {
    const { result, console, logs, stats } = await boot('hello');
    expect(result).toEqual({ kind: 'shutdown', reason: 'poweroff', code: 7, vcpu: 0, exitCode: 7 });
    expect(lines(console)[0]).toBe('hello from i386virt');
    expect(console).toContain('unknown hypercall -1\nbuffer outside RAM -3\noversized length -4\n');
    expect(logs).toEqual(['0/2: hello from the debug log']);
    expect(stats.vcpus[0]).toMatchObject({ vcpu: 0, state: 'stopped', upcalls: 0 });
    expect(stats.vcpus[0]!.hypercalls).toMatchObject({ console_write: 40, unknown: 1, shutdown: 2 });
  });

  it('bad hypercalls: each gets its error status and the VM keeps running', async () => {
    const { result, console } = await boot('bad');
    expect(lines(console)).toEqual([
      'unknown number -1', // ENOSYS
      'console buffer outside RAM -3', // EFAULT
      'console buffer running past RAM -3',
      'oversized console write -4', // E2BIG
      'oversized console read -4',
      'wait before a shared page -9', // ENOTREADY
      'misaligned shared page -2', // EINVAL
      'shared page outside RAM -3',
      'block info outside RAM -3',
      'no block device -6', // ENODEV
      'ipi to a vcpu that does not exist -6',
      'start a vcpu that does not exist -6',
      'unknown feature word -2',
      'unknown log level -2',
      'log message outside RAM -3',
      'unknown shutdown reason -2',
      'still running',
    ]);
    expect(result.exitCode).toBe(3);
  });

  it('the virtual clock makes a run reproducible: same output and the same instruction count', async () => {
    const a = await boot('timer', {}, { withBsp: true });
    const b = await boot('timer', {}, { withBsp: true });
    expect(a.console).toContain('ticks 50\n');
    expect(b.console).toBe(a.console);
    expect(b.stats.vcpus[0]!.instructions).toBe(a.stats.vcpus[0]!.instructions);
    expect(a.stats.vcpus[0]!.upcalls).toBe(50);
  });

  for (const vcpus of [1, 2, 4]) {
    it(`SMP counter on ${vcpus} vCPU(s): a LOCK CMPXCHG spinlock and LOCK XADD keep the shared counts exact`, async () => {
      const { result, console, stats } = await boot('smp', { vcpus, clock: 'real' });
      expect(result.kind).toBe('shutdown');
      const expected = [`vcpus ${vcpus}`, `smp feature ${vcpus > 1 ? 1 : 0}`, 'start vcpu 0 -7', 'start past the last vcpu -6'];
      if (vcpus > 1) expected.push('start with an entry outside RAM -2', 'start vcpu 1 again -7');
      expected.push(`counter ${vcpus * 200000}`, `atomic counter ${vcpus * 200000}`, 'exact 1');
      expect(lines(console)).toEqual(expected);
      for (const v of stats.vcpus) expect(v.instructions).toBeGreaterThan(200000 * 5);
    });
  }

  it('IPI ping-pong between two vCPUs sleeping in wait_for_event', async () => {
    const { result, console, stats } = await boot('ipi', { vcpus: 2, clock: 'real' });
    expect(result.kind).toBe('shutdown');
    expect(lines(console).slice(0, 5)).toEqual(['ipi to a vcpu that does not exist -6', 'start 0', 'round trips 2000', 'ipi to self 0', 'self ipi pending 1']);
    expect(stats.vcpus[0]!.hypercalls.ipi_send).toBe(2002);
    expect(stats.vcpus[1]!.hypercalls.ipi_send).toBe(2000);
    // Each side slept for most IPIs and was woken by the other.
    expect(stats.vcpus[1]!.wakeups).toBeGreaterThan(1000);
  });

  it('the control block shows the armed timer deadline while the guest sleeps', async () => {
    const vm = createVm({ memory: '16M', clock: 'real' });
    vm.load(buildParavirtGuest('idle', { defines: { IDLE_NS: '3600000000000ull' } }));
    let idle!: () => void;
    const idling = new Promise<void>((resolve) => (idle = resolve));
    let printed = '';
    vm.on('console', (bytes) => (printed += Buffer.from(bytes).toString()) === 'idle\n' && idle());
    vm.start();
    await idling;
    await new Promise((r) => setTimeout(r, 20));
    const vcpu = vm.stats().vcpus[0]!;
    expect(vcpu.state).toBe('waiting');
    expect(vcpu.timerDeadline).toBeGreaterThan(3600e9);
    expect((await vm.stop()).kind).toBe('stopped');
  });

  it('idle: four vCPUs wait with no events; the boot vCPU sleeps to its timer', async () => {
    const { result, console } = await boot('idle', { vcpus: 4 });
    expect(result.kind).toBe('shutdown');
    expect(lines(console)).toEqual(['idle', 'vcpus 4', 'woken by the timer 1', 'slept the whole time 1', 'deadline cleared 1']);
  });

  describe('block devices backed by host files', () => {
    const SECTORS = 32;
    const hostData = (i: number) => (i * 13 + 5) & 0xff;
    const checksum = (bytes: Uint8Array) => bytes.reduce((sum, b) => (Math.imul(sum, 31) + b) >>> 0, 0);
    function disk(): { path: string; original: Uint8Array } {
      const original = new Uint8Array(SECTORS * 512).map((_, i) => hostData(i));
      const path = join(tempDir('drive'), 'disk.img');
      writeFileSync(path, original);
      return { path, original };
    }
    const pattern = new Uint8Array(8 * 512).map((_, i) => (i * 7 + Math.floor(i / 512)) & 0xff);

    it('write, read back, checksum; bad requests get their status; nothing outside the request is written', async () => {
      const { path, original } = disk();
      const { result, console } = await boot('block', { drives: [path] });
      expect(result.kind).toBe('shutdown');
      expect(lines(console)).toEqual([
        'block feature 1',
        'info status 0',
        `sectors ${SECTORS}`,
        'sector size 512',
        'read only 0',
        'info for drive 1 -6',
        'read host sectors 0',
        `host sectors checksum ${checksum(original.subarray(8 * 512, 16 * 512))}`,
        'write 0',
        'read back 0',
        'checksums match 1',
        `written checksum ${checksum(pattern)}`,
        'no such drive -6',
        'past the end -10', // ERANGE
        'zero sectors -2',
        'too many sectors -2',
        'buffer outside RAM -3',
        'descriptor outside RAM -3',
      ]);
      const after = new Uint8Array(readFileSync(path));
      expect(after.length).toBe(original.length);
      expect(after.subarray(0, 8 * 512)).toEqual(pattern);
      expect(after.subarray(8 * 512)).toEqual(original.subarray(8 * 512));
    });

    it('a read-only drive refuses writes with EROFS and stays unchanged', async () => {
      const { path, original } = disk();
      const { console } = await boot('block', { drives: [{ path, readOnly: true }] });
      expect(console).toContain('read only 1\n');
      expect(console).toContain('write -11\n');
      expect(readFileSync(path)).toEqual(Buffer.from(original));
    });

    it('shutdown(REBOOT) and the i8042 reset line restart the guest from its image in clean RAM; the drive keeps what it wrote', async () => {
      const { path } = disk();
      writeFileSync(path, new Uint8Array(SECTORS * 512)); // boot count 0
      const { result, console } = await boot('reboot', { drives: [path], vcpus: 2 });
      expect(lines(console)).toEqual(['boot 1', 'boot 2', 'boot 3']);
      expect(result).toMatchObject({ kind: 'shutdown', reason: 'poweroff', code: 3, exitCode: 3 });
      expect(new Uint32Array(readFileSync(path).buffer, 0, 1)[0]).toBe(3);
    });

    it('a block read over code the vCPU has translated (DMA) runs the new code once done is set', async () => {
      const { path } = disk();
      const sector = new Uint8Array(512);
      sector.set([0xb8, 0x02, 0, 0, 0, 0xc3]); // mov $2, %eax; ret
      writeFileSync(path, sector);
      const { console } = await boot('dma', { drives: [path], clock: 'real' });
      expect(lines(console)).toEqual(['before 1', 'read 0', 'status 0', 'after 2']);
    });

    it('a drive that cannot be used is refused when the VM is created', () => {
      expect(() => createVm({ drives: ['/nonexistent/disk.img'] })).toThrow(/\/nonexistent\/disk\.img: cannot open the drive/);
      const odd = join(tempDir('drive'), 'odd.img');
      writeFileSync(odd, new Uint8Array(1000));
      expect(() => createVm({ drives: [odd] })).toThrow(/1000 bytes is not a whole number of 512-byte sectors/);
    });
  });

  it('a ROM in the memory map reads its bytes and ignores writes', async () => {
    const { console } = await boot('rom', { roms: [{ name: 'firmware', base: 0xffff0000, bytes: Uint8Array.of(0x78, 0x56, 0x34, 0x12) }] });
    // 0x12345678, unchanged by the write; beyond the ROM nothing answers (all ones).
    expect(lines(console)).toEqual(['rom word 305419896', 'after a write 305419896', 'past its end 255']);
    expect(() => createVm({ memory: '16M', roms: [{ name: 'low', base: 0x1000, bytes: new Uint8Array(4) }] })).toThrow(/roms: low at 0x00001000\+4 must lie between the end of RAM and 4 GiB/);
  });

  it('console input reaches the guest through the shared ring and CONSOLE_INPUT', async () => {
    const vm = createVm({ memory: '16M', clock: 'real' });
    let console = '';
    vm.on('console', (bytes) => {
      console += Buffer.from(bytes).toString('latin1');
      if (console === 'ready\n') {
        vm.sendConsoleInput(Buffer.from('hello\nwor'));
        setTimeout(() => vm.sendConsoleInput(Buffer.from('ld\nquit\n')), 20);
      }
    });
    vm.load(buildParavirtGuest('echo'));
    vm.start();
    const result = await vm.wait({ timeoutMs: 10_000 });
    expect(result.kind).toBe('shutdown');
    expect(console).toBe('ready\n> HELLO\n> WORLD\nbye\n');
  });

  it('cross-modifying code: a host write through vm.writeMemory reaches a vCPU that runs the code', async () => {
    const vm = createVm({ memory: '16M', clock: 'real' });
    let console = '';
    vm.on('console', (bytes) => {
      console += Buffer.from(bytes).toString('latin1');
      const at = /patch at (\d+)\n/.exec(console);
      if (at && !console.includes('patched')) {
        console += 'patched\n';
        // Let the vCPU spin on (and translate) the old code first.
        setTimeout(() => void vm.writeMemory(Number(at[1]), Uint8Array.of(0xb8, 0x02, 0, 0, 0, 0xc3)), 30);
      }
    });
    vm.load(buildParavirtGuest('xmodify'));
    vm.start();
    const result = await vm.wait({ timeoutMs: 10_000 });
    expect(result.kind).toBe('shutdown');
    expect(lines(console)).toEqual(['value 1', expect.stringMatching(/^patch at \d+$/), 'patched', 'value 2']);
  });

  it('cross-modifying code: a write by another vCPU invalidates the runner\'s decoded copy', async () => {
    const { result, console } = await boot('xmodify', { vcpus: 2, clock: 'real' }, {}, 10_000);
    expect(result.kind).toBe('shutdown');
    expect(lines(console)).toEqual(['value 1', expect.stringMatching(/^patch at \d+$/), 'value 2']);
  });

  it('pause parks every vCPU at an instruction boundary (no progress) and resume lets them go on', async () => {
    const vm = createVm({ memory: '16M', vcpus: 2, clock: 'real' });
    vm.load(buildParavirtGuest('smp'));
    vm.start();
    await new Promise((r) => setTimeout(r, 50));
    await vm.pause();
    const a = vm.stats();
    expect(a.vcpus.map((v) => v.timerDeadline)).toEqual([null, null]); // the smp guest arms no timer
    // Parked, asleep, or not started yet (on a loaded machine the boot vCPU may not have reached vcpu_start).
    expect(a.vcpus.map((v) => v.state).filter((s) => !['paused', 'waiting', 'created', 'stopped'].includes(s))).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    const b = vm.stats();
    expect(b.vcpus.map((v) => v.instructions)).toEqual(a.vcpus.map((v) => v.instructions));
    vm.resume();
    const result = await vm.wait({ timeoutMs: 20_000 });
    expect(result.kind).toBe('shutdown');
    expect(vm.stats().vcpus[0]!.instructions).toBeGreaterThan(a.vcpus[0]!.instructions);
  });

  it('a fatal guest fault ends the VM with a message that says where', async () => {
    const { result, console } = await boot('fault');
    expect(console).toBe('about to fault\n');
    expect(result).toMatchObject({ kind: 'triple-fault', vcpu: 0, exitCode: 1 });
    expect((result as { message: string }).message).toMatch(/^vCPU 0: triple fault at 0x[0-9a-f]{8}/);
  });

  it('a guest that never stops is stopped by the timeout', async () => {
    const { result } = await boot('idle', { clock: 'real' }, { defines: { IDLE_NS: '3600000000000ull' } }, 300);
    expect(result).toMatchObject({ kind: 'timeout', exitCode: 124 });
  });
});
