import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLockRanks, LockRank, RankedLock, RankViolation } from '../../hypervisor/base/lock.js';
import { packageRoot } from '../../toolchain/src/paths.js';

describe('RankedLock', () => {
  afterEach(() => checkLockRanks(false));

  it('detects acquisition against the rank order while checking is on, naming both locks', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    const device = new RankedLock('uart', LockRank.Device, words, 0);
    const pic = new RankedLock('pic', LockRank.InterruptController, words, 1);
    checkLockRanks(true);
    expect(device.with(() => pic.with(() => 'ascending is fine'))).toBe('ascending is fine');
    expect(() => pic.with(() => device.with(() => 0))).toThrow(RankViolation);
    expect(() => pic.with(() => device.with(() => 0))).toThrow('acquiring uart (rank 10) while holding pic (rank 20)');
    // The failed attempt left nothing held.
    expect(Array.from(words)).toEqual([0, 0]);
    checkLockRanks(false);
    expect(pic.with(() => device.with(() => 'unchecked'))).toBe('unchecked');
  });

  it('excludes: two threads adding under the lock with a plain read-modify-write lose nothing', async () => {
    const words = new Int32Array(new SharedArrayBuffer(8)); // [lock, counter]
    const bundle = `file://${join(packageRoot(), 'dist', 'hypervisor.js')}`;
    const code = `
      import { workerData, parentPort } from 'node:worker_threads';
      const { RankedLock } = await import(workerData.bundle);
      const w = new Int32Array(workerData.buffer);
      const lock = new RankedLock('counter', 10, w, 0);
      for (let i = 0; i < 100000; i++) { lock.acquire(); const v = w[1]; w[1] = v + 1; lock.release(); }
      parentPort.postMessage('done');`;
    await Promise.all(
      [0, 1].map(() => new Promise((resolve, reject) => new Worker(code, { eval: true, workerData: { bundle, buffer: words.buffer } }).on('message', resolve).on('error', reject))),
    );
    expect(words[1]).toBe(200000);
  });
});
