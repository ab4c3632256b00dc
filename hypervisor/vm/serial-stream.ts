import { RecordQueue } from '../base/rings.js';

const CAPACITY = 8192;
/** Shared words: [consumer idle flag, queue...]. */
const IDLE = 0;
const QUEUE = 1;

/**
 * The serial console's bytes on their way from the vCPU workers to the VM, in the order the UART sent
 * them. One shared queue rather than a message per worker: messages from different workers reach the main
 * thread in no particular order, so an AP's line that the guest printed before the BSP's could show after
 * it. Any vCPU pushes; the VM drains.
 *
 * Messages are only a doorbell: a producer rings (`push` returns true) when the consumer had gone idle,
 * and the consumer polls while bytes keep coming, then goes idle again. So a burst costs one message.
 */
export class SerialStream {
  static create(): SerialStream {
    const words = 1 + RecordQueue.wordsFor(CAPACITY, 1);
    return new SerialStream(new SharedArrayBuffer(words * 4), true);
  }

  static attach(buffer: SharedArrayBuffer): SerialStream {
    return new SerialStream(buffer, false);
  }

  private readonly words: Int32Array;
  private readonly queue: RecordQueue;
  private readonly record = [0];

  private constructor(
    readonly buffer: SharedArrayBuffer,
    init: boolean,
  ) {
    this.words = new Int32Array(buffer);
    this.queue = new RecordQueue(this.words, QUEUE, CAPACITY, 1, init);
    if (init) this.words[IDLE] = 1;
  }

  /**
   * Appends a byte, waiting while the queue is full; calls `ring` when the consumer must be told (it is
   * idle, or the queue is full).
   */
  push(byte: number, ring: () => void): void {
    this.record[0] = byte;
    while (this.queue.push(this.record) < 0) {
      ring();
      Atomics.wait(this.words, this.queue.servedIndex, this.queue.served(), 1000);
    }
    if (Atomics.exchange(this.words, IDLE, 0) === 1) ring();
  }

  /** Takes every byte queued so far (the consumer side). */
  drain(): Uint8Array {
    const bytes: number[] = [];
    const out = [0];
    while (this.queue.pop(out)) bytes.push(out[0]!);
    return Uint8Array.from(bytes);
  }

  /** The consumer stops polling: the next push rings. Returns what arrived meanwhile (poll on if any). */
  goIdle(): Uint8Array {
    Atomics.store(this.words, IDLE, 1);
    return this.drain();
  }
}
