import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ByteRing, RecordQueue } from '../../hypervisor/base/rings.js';
import { packageRoot } from '../../toolchain/src/paths.js';

describe('RecordQueue (many producers, one consumer)', () => {
  it('keeps order, reports full, and counts what was served', () => {
    const words = new Int32Array(new SharedArrayBuffer(RecordQueue.wordsFor(4, 2) * 4));
    const q = new RecordQueue(words, 0, 4, 2, true);
    expect([q.push([1, 10]), q.push([2, 20]), q.push([3, 30]), q.push([4, 40])]).toEqual([0, 1, 2, 3]);
    expect(q.push([5, 50])).toBe(-1); // full
    const out = [0, 0];
    expect(q.pop(out)).toBe(true);
    expect(out).toEqual([1, 10]);
    expect(q.served()).toBe(1);
    expect(q.push([5, 50])).toBe(4); // the freed slot is reused, one lap later
    const rest: number[] = [];
    while (q.pop(out)) rest.push(out[0]!);
    expect(rest).toEqual([2, 3, 4, 5]);
    expect(q.maybeReady()).toBe(false);
  });

  it('loses and duplicates nothing with producers on other threads', async () => {
    const bundle = join(packageRoot(), 'dist', 'hypervisor.js');
    expect(existsSync(bundle), 'npm test builds dist/ first').toBe(true);
    const PER_PRODUCER = 20000;
    const words = new Int32Array(new SharedArrayBuffer(RecordQueue.wordsFor(16, 2) * 4));
    const q = new RecordQueue(words, 0, 16, 2, true);
    // Each producer pushes [producer, sequence], retrying while the queue is full.
    const code = `
      import { workerData, parentPort } from 'node:worker_threads';
      const { RecordQueue } = await import(workerData.bundle);
      const q = new RecordQueue(new Int32Array(workerData.buffer), 0, 16, 2, false);
      for (let i = 0; i < workerData.count; i++) while (q.push([workerData.id, i]) < 0) {}
      parentPort.postMessage('done');`;
    const producers = [1, 2, 3].map(
      (id) => new Promise((resolve, reject) => new Worker(code, { eval: true, workerData: { bundle: `file://${bundle}`, buffer: words.buffer, id, count: PER_PRODUCER } }).on('message', resolve).on('error', reject)),
    );
    const next = new Map<number, number>([[1, 0], [2, 0], [3, 0]]);
    let taken = 0;
    const out = [0, 0];
    const all = Promise.all(producers);
    let finished = false;
    void all.then(() => (finished = true));
    while (taken < 3 * PER_PRODUCER) {
      if (q.pop(out)) {
        // Per producer, records arrive in the order it pushed them: none lost, none twice.
        expect(out[1]).toBe(next.get(out[0]!));
        next.set(out[0]!, out[1]! + 1);
        taken++;
      } else if (finished && !q.maybeReady()) break;
      else await new Promise((r) => setImmediate(r));
    }
    await all;
    expect(taken).toBe(3 * PER_PRODUCER);
    expect([...next.values()]).toEqual([PER_PRODUCER, PER_PRODUCER, PER_PRODUCER]);
  });
});

describe('ByteRing', () => {
  it('wraps around, refuses what does not fit, and reads in order', () => {
    const ring = ByteRing.create(8);
    expect(ring.write(Uint8Array.of(1, 2, 3, 4, 5, 6))).toBe(6);
    expect([...ring.read(4)]).toEqual([1, 2, 3, 4]);
    expect(ring.write(Uint8Array.of(7, 8, 9, 10, 11, 12, 13))).toBe(6); // 2 waiting + 6 = full
    expect(ring.length).toBe(8);
    expect([...ring.read(100)]).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ring.read(1).length).toBe(0);
    expect(() => ByteRing.create(6)).toThrow(/power of two/);
  });
});
