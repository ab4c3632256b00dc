/**
 * The executive's examples (examples/<name>/, as `pvrt compare` builds them), for both BSPs under pvrt's
 * virtual clock: each shuts down cleanly; the ones whose output is a story in ticks print exactly
 * test/rtos/examples/<name>.out on both BSPs (and under QEMU, built as shipped); the measuring ones
 * print the BENCH and IDLE lines `pvrt compare` parses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { idleMarker, parseBenchLine } from '../../toolchain/src/compare/figures.js';
import { guestToolchainProblem } from '../support/guest-build.js';
import { qemuProblem, runUnderQemu } from '../support/qemu.js';
import { buildExample, describeEnd, describeQemuEnd, executiveProblem, RTOS_BSPS, RTOS_TESTS_DIR, runUnderPvrt, type RtosBsp } from './support/rtos-build.js';

/** Examples whose whole output is fixed: events in ticks, no measured times. */
const TRANSCRIPTS = ['rtos-hello', 'producer-consumer', 'priority-inversion'];
/** The BENCH lines each measuring example prints, with their sample counts. */
const BENCHES: Record<string, Record<string, number>> = {
  ticker: { 'ticker-jitter': 32 },
  'rtos-bench': { 'context-switch': 1000, 'sem-pingpong': 1000, 'irq-latency': 1000, 'timer-jitter': 100 },
};

/** Build defines under pvrt's virtual clock, where busy guest time is emulated instruction by instruction. */
const VIRTUAL_DEFINES: Record<string, string[]> = { 'priority-inversion': ['CONFIGURE_MICROSECONDS_PER_TICK=1000'] };

const skip = guestToolchainProblem() ?? executiveProblem();
if (skip) console.warn(`SKIPPED: the executive's examples: ${skip}`);
const qemu = qemuProblem();
if (!skip && qemu) console.warn(`SKIPPED: the executive's examples under QEMU: ${qemu}`);

const transcript = (name: string): string => readFileSync(join(RTOS_TESTS_DIR, 'examples', `${name}.out`), 'latin1');

async function run(name: string, bsp: RtosBsp): Promise<string> {
  const image = await buildExample(name, bsp, VIRTUAL_DEFINES[name]);
  const r = await runUnderPvrt(image, { clock: 'virtual', timeoutMs: 60_000 });
  expect(describeEnd(r.result), r.serial).toBe('exit 0');
  return r.serial;
}

describe.skipIf(skip !== null)('executive examples', () => {
  describe.concurrent('under pvrt, virtual clock', () => {
    for (const bsp of RTOS_BSPS) {
      for (const name of TRANSCRIPTS) it(`${name} on ${bsp}`, async () => expect(await run(name, bsp)).toBe(transcript(name)), 120_000);

      for (const [name, benches] of Object.entries(BENCHES)) {
        it(`${name} on ${bsp}: BENCH lines for pvrt compare`, async () => {
          const lines = (await run(name, bsp)).split('\n');
          for (const [bench, n] of Object.entries(benches)) {
            const found = lines.map(parseBenchLine).filter((b) => b?.name === bench);
            expect(found, bench).toHaveLength(1);
            const b = found[0]!;
            expect([b.unit, b.n]).toEqual(['ns', n]);
            for (const v of [b.min, b.p50, b.p99, b.max]) expect(Number.isInteger(v) && v >= 0).toBe(true);
            expect(b.min <= b.p50 && b.p50 <= b.p99 && b.p99 <= b.max).toBe(true);
          }
          if (name === 'rtos-bench') {
            const markers = lines.map((l, i) => [idleMarker(l), i] as const).filter(([m]) => m !== undefined);
            expect(markers.map(([m]) => m)).toEqual(['begin', 'end']);
            const lastBench = Math.max(...lines.map((l, i) => (parseBenchLine(l) ? i : -1)));
            expect(markers[0]![1]).toBeGreaterThan(lastBench);
          }
        }, 120_000);
      }
    }
  });

  describe.skipIf(qemu !== null)('pc386 under QEMU', () => {
    for (const name of TRANSCRIPTS) {
      // Real time: a host that stalls QEMU for a tick can shift the story by a tick; one retry.
      it(name, { timeout: 120_000, retry: 1 }, async () => {
        const r = await runUnderQemu(await buildExample(name, 'pc386'), { timeoutMs: 20_000 });
        expect(r.serial).toBe(transcript(name));
        expect(describeQemuEnd(r.exitCode, r.timedOut)).toBe('exit 0');
      });
    }
  });
});
