/**
 * Locks with ranks over shared memory (the VMware vSMP monitor's discipline): every lock has a rank, and a
 * thread may only acquire a lock of higher rank than every lock it holds. Acquiring in descending (or
 * equal) rank order is how two threads deadlock; with checking on (tests, debug builds) it throws at once
 * with both locks' names, on the first run that takes that path, whether or not the deadlock happens.
 *
 * The lock word lives in an Int32Array over a SharedArrayBuffer, so every vCPU worker that holds a view of
 * the same buffer shares it. Uncontended, acquire and release are one compare-and-swap and one store.
 */

/** Ranks in use, lowest first: a holder of one may acquire only those below it in this list. */
export const enum LockRank {
  /** Device state reached from several vCPUs (UART, RTC, PIT). */
  Device = 10,
  /** The interrupt controllers a device raises lines on, taken while a device lock is held. */
  InterruptController = 20,
}

export class RankViolation extends Error {}

/** What one thread holds, for rank checking. Each worker has its own (module state is per thread). */
const held: RankedLock[] = [];
let checking = false;

/** Turns rank checking on or off for this thread (on in tests and debug builds; off costs nothing). */
export function checkLockRanks(on: boolean): void {
  checking = on;
}

export class RankedLock {
  /** `words[index]` is the lock word: 0 free, 1 held. */
  constructor(
    readonly name: string,
    readonly rank: LockRank,
    private readonly words: Int32Array,
    private readonly index: number,
  ) {}

  acquire(): void {
    if (checking) {
      const top = held[held.length - 1];
      if (top !== undefined && top.rank >= this.rank) {
        throw new RankViolation(`lock rank violation: acquiring ${this.name} (rank ${this.rank}) while holding ${top.name} (rank ${top.rank})`);
      }
    }
    const w = this.words;
    while (Atomics.compareExchange(w, this.index, 0, 1) !== 0) {
      // Held by another thread, for a few device-register accesses: wait for the release.
      Atomics.wait(w, this.index, 1, 1);
    }
    if (checking) held.push(this);
  }

  release(): void {
    if (checking) {
      if (held[held.length - 1] !== this) throw new RankViolation(`lock ${this.name} released out of order or not held`);
      held.pop();
    }
    Atomics.store(this.words, this.index, 0);
    Atomics.notify(this.words, this.index, 1);
  }

  /** Runs `body` holding the lock. */
  with<T>(body: () => T): T {
    this.acquire();
    try {
      return body();
    } finally {
      this.release();
    }
  }
}
