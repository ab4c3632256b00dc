/**
 * Rings over SharedArrayBuffer, for talking between threads without messages: a worker's synchronous run
 * loop cannot receive a message while it runs, but it can look at shared memory at every slice.
 */

/**
 * A bounded many-producer/one-consumer queue of fixed-size records (Vyukov's sequence-numbered ring):
 * a producer claims a position with one compare-and-swap, writes its record, then publishes it by
 * advancing the slot's sequence word. The consumer takes records strictly in position order, so
 * `served() > position` tells a producer its record was handled.
 */
export class RecordQueue {
  static wordsFor(capacity: number, recordWords: number): number {
    return 2 + capacity * (1 + recordWords);
  }

  private readonly slotWords: number;

  /**
   * `words` is this queue's region of a shared Int32Array: [head, tail, slots...]; `init` must be true
   * exactly once (by whoever allocates the region).
   */
  constructor(
    private readonly words: Int32Array,
    private readonly base: number,
    readonly capacity: number,
    readonly recordWords: number,
    init: boolean,
  ) {
    if ((capacity & (capacity - 1)) !== 0) throw new RangeError('RecordQueue capacity must be a power of two');
    this.slotWords = 1 + recordWords;
    if (init) for (let i = 0; i < capacity; i++) Atomics.store(words, this.seqIndex(i), i);
  }

  private seqIndex(position: number): number {
    return this.base + 2 + (position & (this.capacity - 1)) * this.slotWords;
  }

  /** Appends a record; returns its position, or -1 when the queue is full. Safe from any thread. */
  push(record: ArrayLike<number>): number {
    const w = this.words;
    for (;;) {
      const position = Atomics.load(w, this.base);
      const seq = Atomics.load(w, this.seqIndex(position));
      if (seq === position) {
        if (Atomics.compareExchange(w, this.base, position, (position + 1) | 0) !== position) continue;
        const at = this.seqIndex(position);
        for (let i = 0; i < this.recordWords; i++) Atomics.store(w, at + 1 + i, record[i] ?? 0);
        Atomics.store(w, at, (position + 1) | 0);
        return position;
      }
      if (seq - position < 0) return -1; // the slot still holds a record from one lap ago: full
    }
  }

  /** Takes the next published record into `out`; false when none is ready. Only the consumer calls this. */
  pop(out: Int32Array | number[]): boolean {
    const w = this.words;
    const tail = Atomics.load(w, this.base + 1);
    const at = this.seqIndex(tail);
    if (Atomics.load(w, at) !== ((tail + 1) | 0)) return false;
    for (let i = 0; i < this.recordWords; i++) out[i] = Atomics.load(w, at + 1 + i);
    Atomics.store(w, at, (tail + this.capacity) | 0);
    Atomics.store(w, this.base + 1, (tail + 1) | 0);
    Atomics.notify(w, this.base + 1);
    return true;
  }

  /** How many records the consumer has taken: a record at position p was taken once this exceeds p. */
  served(): number {
    return Atomics.load(this.words, this.base + 1);
  }

  /** Index of the served counter in the shared words, for Atomics.wait on it. */
  get servedIndex(): number {
    return this.base + 1;
  }

  /** True when a record may be waiting (a cheap look for the consumer's run loop). */
  maybeReady(): boolean {
    return Atomics.load(this.words, this.base) !== Atomics.load(this.words, this.base + 1);
  }
}

/**
 * A byte ring with one producer (the main thread, feeding host input) and consumers that take bytes under
 * a compare-and-swap on the read index, so any vCPU may read. Bytes that do not fit are refused, not lost
 * silently: `write` returns how many it took.
 */
export class ByteRing {
  static bytesFor(capacity: number): number {
    return 8 + capacity;
  }

  private readonly index: Int32Array;
  private readonly data: Uint8Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly capacity = buffer.byteLength - 8,
  ) {
    if (capacity <= 0 || (capacity & (capacity - 1)) !== 0) throw new RangeError('ByteRing capacity must be a power of two');
    this.index = new Int32Array(buffer, 0, 2); // [write, read], free-running
    this.data = new Uint8Array(buffer, 8, capacity);
  }

  static create(capacity: number): ByteRing {
    return new ByteRing(new SharedArrayBuffer(ByteRing.bytesFor(capacity)), capacity);
  }

  /** Bytes waiting. */
  get length(): number {
    return (Atomics.load(this.index, 0) - Atomics.load(this.index, 1)) | 0;
  }

  /** Producer side: appends what fits and returns the count taken. */
  write(bytes: Uint8Array): number {
    const write = Atomics.load(this.index, 0);
    const room = this.capacity - ((write - Atomics.load(this.index, 1)) | 0);
    const n = Math.min(room, bytes.length);
    for (let i = 0; i < n; i++) this.data[(write + i) & (this.capacity - 1)] = bytes[i]!;
    Atomics.store(this.index, 0, (write + n) | 0);
    return n;
  }

  /** Consumer side: takes up to `max` bytes. */
  read(max: number): Uint8Array {
    for (;;) {
      const read = Atomics.load(this.index, 1);
      const n = Math.min(max, (Atomics.load(this.index, 0) - read) | 0);
      if (n <= 0) return new Uint8Array(0);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = this.data[(read + i) & (this.capacity - 1)]!;
      if (Atomics.compareExchange(this.index, 1, read, (read + n) | 0) === read) return out;
    }
  }
}
