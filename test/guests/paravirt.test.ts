import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VcpuControl } from '../../hypervisor/vcpu/control.js';
import { readStats, Vcpu, type ClockKind } from '../../hypervisor/vcpu/vcpu.js';
import { Machine } from '../../hypervisor/vm/machine.js';
import { guestToolchainProblem } from '../support/guest-build.js';
import { buildParavirtGuest } from '../support/paravirt.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: the paravirtual guest: ${problem}`);

const buildGuest = (name: string, withBsp: boolean): string => buildParavirtGuest(name, { withBsp });

const buildHello = () => buildGuest('hello', false);

/** Runs a paravirtual image on one vCPU on this thread. */
function runParavirt(image: string, clock: ClockKind = 'virtual') {
  let console = '';
  const logs: string[] = [];
  const machine = new Machine({ memoryBytes: 16 << 20, serial: (b) => (console += String.fromCharCode(b)) });
  machine.bootElf({ name: image, bytes: readFileSync(image) });
  const vcpu = new Vcpu(machine, {
    vcpuId: 0,
    peers: [new VcpuControl()],
    clock,
    startTime: performance.timeOrigin + performance.now(),
    host: {
      console: (bytes) => bytes.forEach((b) => (console += String.fromCharCode(b))),
      consoleInput: () => new Uint8Array(0),
      log: (level, message) => logs.push(`${level}: ${message}`),
      drives: [],
      submitBlock: () => {
        throw new Error('no drives');
      },
    },
  });
  const stop = vcpu.run();
  return { stop, console, logs, stats: readStats(vcpu.stats) };
}

describe.skipIf(problem !== null)('a paravirtual guest on the generated i386virt headers', () => {
  it('talks to the hypervisor through hypercalls, gets an error status for each bad call, and shuts down with its code', () => {
    const { stop, console, logs, stats } = runParavirt(buildHello());
    expect(stop).toEqual({ kind: 'shutdown', reason: 0, code: 7 });
    // 12 numbers written in 3 calls each, 2 lines, and the 2 bad console_write calls.
    expect(stats.hypercalls).toEqual({ console_write: 40, interface_version: 1, feature_query: 2, clock_read: 2, debug_log: 2, unknown: 1, shutdown: 2 });
    expect(console).toBe(
      [
        'hello from i386virt',
        'interface version status 0',
        'interface version 1',
        'feature word 0 status 0',
        'clock status 0',
        'clock advanced 1',
        'debug log status 0',
        'unknown hypercall -1', // ENOSYS
        'buffer outside RAM -3', // EFAULT
        'oversized length -4', // E2BIG
        'unknown feature word -2', // EINVAL
        'unknown log level -2',
        'unknown shutdown reason -2',
        'still running',
        '',
      ].join('\n'),
    );
    expect(logs).toEqual(['2: hello from the debug log']);
  });

  it('keeps a periodic tick with the BSP clock driver, upcalls and wait_for_event (virtual clock)', () => {
    const { stop, console, stats } = runParavirt(buildGuest('timer', true));
    expect(stop).toEqual({ kind: 'shutdown', reason: 0, code: 0 });
    // On the virtual clock the guest is never late: exactly one upcall per tick.
    expect(console).toMatch(/^ticks 50\nupcalls 50\ncookie says it was enabled 1\nfirst tick after one period 1\nticks spaced by the period 1\nelapsed at least 50 ms 1\nelapsed ns \d+\n$/);
    expect(stats.upcalls).toBe(50);
    expect(stats.hypercalls.timer_set).toBeGreaterThanOrEqual(51);
    // Reproducible: the virtual clock gives the same bytes every run.
    expect(runParavirt(buildGuest('timer', true)).console).toBe(console);
  });

  it('keeps the same tick on the real clock, sleeping between ticks', () => {
    const { stop, console, stats } = runParavirt(buildGuest('timer', true), 'real');
    expect(stop).toEqual({ kind: 'shutdown', reason: 0, code: 0 });
    expect(console).toMatch(/^ticks 50\nupcalls \d+\ncookie says it was enabled 1\nfirst tick after one period 1\n.*\nelapsed at least 50 ms 1\nelapsed ns \d+\n$/);
    const elapsed = Number(/elapsed ns (\d+)/.exec(console)![1]) / 1e6;
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(stats.waitMs).toBeGreaterThan(elapsed * 0.5);
  });

  it('without the paravirtual interface, VMCALL is #UD, and with no IDT that ends in a triple fault', () => {
    const image = buildHello();
    const machine = new Machine({ memoryBytes: 16 << 20 });
    machine.bootElf({ name: image, bytes: readFileSync(image) });
    const stop = machine.run(10_000_000);
    expect(stop).toMatchObject({ kind: 'shutdown', reason: expect.stringMatching(/^triple fault/), bytes: expect.arrayContaining([0x0f, 0x01, 0xc1]) });
  });
});
