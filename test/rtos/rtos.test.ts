/**
 * The executive's test suite: every test/rtos/<name>/init.c built with `pvrt build` for both BSPs
 * (i386virt: paravirtual, pc386: full emulation), run under pvrt, and its serial output compared with
 * test/rtos/<name>/<name>.scn, the same text for both BSPs, both clocks and QEMU. Each test also checks
 * itself and ends with a tally; the exit status says whether it passed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClockKind } from '../../hypervisor/vm/vm.js';
import { guestToolchainProblem } from '../support/guest-build.js';
import { qemuProblem, runUnderQemu } from '../support/qemu.js';
import { buildRtosTest, describeEnd, describeQemuEnd, executiveProblem, RTOS_BSPS, RTOS_TESTS_DIR, rtosTestNames, runUnderPvrt, type RtosBsp } from './support/rtos-build.js';

/**
 * How a test ends when it is not a clean `exit 0`: FATAL's rtems_fatal_error_occurred(42) is a crash
 * carrying 42 on i386virt (shutdown CRASH); pc386 can only write isa-debug-exit, and writes 0x7f for
 * every fatal source (QEMU's status 255).
 */
const ENDS: Record<string, Record<RtosBsp, string>> = { fatal: { i386virt: 'crash 42', pc386: 'exit 127' } };
const endOf = (name: string, bsp: RtosBsp): string => ENDS[name]?.[bsp] ?? 'exit 0';

/**
 * Tests that depend on how promptly the host runs the guest, and so run on pvrt's virtual clock only:
 * CLOCK holds the fine clock against the tick count, TIMESLICE the length of busy turns. Under QEMU
 * (real time, nothing else to choose) they get two retries, for a host that stalls the guest. Every
 * other test bounds times only in ticks, which the guest counts itself however late they come, and
 * runs on both clocks.
 */
const TIMING = new Set(['clock', 'timeslice']);

const skip = guestToolchainProblem() ?? executiveProblem();
if (skip) console.warn(`SKIPPED: the executive's tests: ${skip}`);
const qemu = qemuProblem();
if (!skip && qemu) console.warn(`SKIPPED: the executive's tests under QEMU: ${qemu}`);

const expected = (name: string): string => readFileSync(join(RTOS_TESTS_DIR, name, `${name}.scn`), 'latin1');

async function runTest(name: string, bsp: RtosBsp, clock: ClockKind): Promise<void> {
  const image = await buildRtosTest(name, bsp);
  const run = await runUnderPvrt(image, { clock, timeoutMs: 60_000 });
  expect(run.serial).toBe(expected(name));
  expect(describeEnd(run.result)).toBe(endOf(name, bsp));
}

const names = skip === null ? rtosTestNames() : [];

describe.skipIf(skip !== null)('executive tests', () => {
  // Virtual time does not depend on host load: these run side by side.
  describe.concurrent('under pvrt, virtual clock', () => {
    for (const name of names) {
      for (const bsp of RTOS_BSPS) it(`${name} on ${bsp}`, () => runTest(name, bsp, 'virtual'), 120_000);
    }
  });

  // Real time: one at a time, so the suite's own load does not stall the guests.
  describe('under pvrt, real clock', () => {
    for (const name of names.filter((n) => !TIMING.has(n))) {
      for (const bsp of RTOS_BSPS) it(`${name} on ${bsp}`, () => runTest(name, bsp, 'real'), 120_000);
    }
  });

  describe.skipIf(qemu !== null)('pc386 under QEMU', () => {
    for (const name of names) {
      it(`${name}`, { timeout: 120_000, retry: TIMING.has(name) ? 2 : 0 }, async () => {
        const image = await buildRtosTest(name, 'pc386');
        const run = await runUnderQemu(image, { timeoutMs: 20_000 });
        expect(run.serial).toBe(expected(name));
        expect(describeQemuEnd(run.exitCode, run.timedOut)).toBe(endOf(name, 'pc386'));
      });
    }
  });
});
