import { LockRank, RankedLock } from '../base/lock.js';
import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import type { InterruptSource } from '../x86/io.js';
import type { IrqLine } from './irq-line.js';

/** Where a PC has its two 8259As (two ports each: A0 = 0 and A0 = 1) and the ELCR pair. */
export const PIC_MASTER_PORT = 0x20;
export const PIC_SLAVE_PORT = 0xa0;
export const PIC_PORT_COUNT = 2;
export const ELCR_PORT = 0x4d0;
export const ELCR_PORT_COUNT = 2;
/** ELCR bits that can be set: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge-triggered on a PC. */
export const ELCR_MASTER_WRITABLE = 0xf8;
export const ELCR_SLAVE_WRITABLE = 0xde;
/** The master input the slave's INT output is wired to. */
export const CASCADE_IRQ = 2;

// ---- shared state layout ----------------------------------------------------------------------------
// Word 0 is the lock word. Word 1 is the level of the master IR2 pin as driven through line(2), which is
// wired-OR with the slave's INT output. Then one block per chip.

const LOCK = 0;
const EXT_IR2 = 1;

// Per-chip words, relative to the chip's block.
/** The input pin levels, one bit per IR. For the master's IR2: the slave's INT or line(2). */
const LEVEL = 0;
/** The edge-sense latches: set by a rising edge, cleared by the acknowledge, the line going low, ICW1. */
const EDGE = 1;
const ISR = 2;
const IMR = 3;
const ELCR = 4;
/** ICW2 & 0xf8: the 8086-mode vector base. */
const VECTOR_BASE = 5;
const ICW1 = 6;
/** Master: a bit per IR with a slave on it. Slave: its cascade identity in bits 0-2. */
const ICW3 = 7;
const ICW4 = 8;
/** Which byte a write at A0 = 1 is: STEP_READY (OCW1) or the ICW expected next. */
const STEP = 9;
/** The modes OCW2 and OCW3 set: MODE_* bits. */
const MODE = 10;
/** The IR with the highest priority (rotation moves it; ICW1 makes it IR0, so IR7 is the lowest). */
const HIGHEST = 11;
const CHIP_WORDS = 12;

const MASTER = 2;
const SLAVE = MASTER + CHIP_WORDS;
/** The master's INT output, published after every change so pending() reads it without the lock. */
const INT_OUT = SLAVE + CHIP_WORDS;
const STATE_WORDS = INT_OUT + 1;

const ICW1_IC4 = 0x01; // ICW4 follows
const ICW1_SNGL = 0x02; // single 8259A: no ICW3
const ICW1_LTIM = 0x08; // level-triggered mode for all inputs
const ICW1_INIT = 0x10; // with A0 = 0: this byte is ICW1

const ICW4_AEOI = 0x02;
const ICW4_SFNM = 0x10; // special fully nested mode

const OCW3_SELECT = 0x08; // with A0 = 0 and D4 = 0: OCW3 rather than OCW2
const OCW3_RIS = 0x01;
const OCW3_RR = 0x02;
const OCW3_POLL = 0x04;
const OCW3_SMM = 0x20;
const OCW3_ESMM = 0x40;

const OCW2_EOI = 0x20;
const OCW2_SL = 0x40;
const OCW2_R = 0x80;

const MODE_READ_ISR = 0x01; // OCW3 RIS: port A0 = 0 reads ISR, not IRR
const MODE_POLL = 0x02; // the next read is the poll word
const MODE_SMM = 0x04; // special mask mode
const MODE_ROTATE_AEOI = 0x08;

const STEP_READY = 0;
const STEP_ICW2 = 2;
const STEP_ICW3 = 3;
const STEP_ICW4 = 4;

/** The vector read when nobody drives the data bus in the second INTA cycle. */
const FLOATING_BUS = 0xff;

/**
 * The two cascaded 8259A programmable interrupt controllers of a PC, with the ELCR edge/level registers
 * of the PC chipsets. Input IRQ 0-7 are the master's IR0-7, IRQ 8-15 the slave's IR0-7; the slave's INT
 * output drives the master's IR2.
 *
 * All state lives in a shared Int32Array (`createState()`), under the lock in word 0, so the vCPU workers
 * that each build a PicPair over the same buffer share one device.
 *
 * Datasheet choices:
 * - Trigger modes. Edge mode: a low-to-high transition on IR sets the edge-sense latch, and the request is
 *   the latch AND the line still high. The 8259A datasheet says the IR input must stay high until the
 *   first INTA; a line that drops before that withdraws the request, and an acknowledge that finds no
 *   request gets the default IR7 (spurious) vector. A line held high requests once: it must go low and high
 *   again for another interrupt. Level mode (ELCR bit set, or ICW1 LTIM, which sets it for all eight
 *   inputs): the request is the line level, so an input still high after its EOI interrupts again.
 *   Devices therefore must hold their line high until serviced (the IrqLine contract); a raise followed at
 *   once by a lower is lost.
 * - Fully nested priority among IRR & ~IMR against ISR, from the rotating highest-priority IR. In special
 *   mask mode, masked ISR bits neither block lower priorities nor are cleared by a non-specific EOI.
 * - ICW1 also clears ISR (the datasheet lists IMR, the edge latches, priority, SMM and the read select;
 *   clearing ISR too gives a re-initialising guest a clean controller). It clears AEOI, SFNM and rotate in
 *   AEOI; they come back only from ICW4.
 * - The microprocessor-mode bit of ICW4 is ignored: vectors are always the 8086 format (base | level).
 * - A poll read acknowledges like INTA (sets ISR, clears the edge latch) but performs no automatic EOI,
 *   which the datasheet ties to the INTA pulses. The poll read happens at either port.
 * - Cascade: when the master acknowledges IR2 with ICW3 bit 2 set (and not single mode), the slave
 *   supplies the vector if its ICW3 identity is 2; otherwise nobody drives the bus and the vector is 0xff.
 *   A slave with nothing to present gives its IR7 vector without setting its ISR (the master's ISR bit 2 is
 *   set). Master ICW3 bits other than bit 2 have no slave behind them: their vector is 0xff too.
 * - line(2) drives the master's IR2 pin wired-OR with the slave's INT (a PC wires nothing else there; its
 *   ISA "IRQ 2" is the slave's IRQ 9). Since a slave request that vanishes also drops the slave's INT, and
 *   with it the master's IR2 request, the slave's IR7 vector comes only when IR2 is driven by line(2)
 *   with no slave request; a vanished slave request gives the master's IR7, as the datasheet's rule for
 *   any edge input says.
 * - Between the two INTA pulses the in-service bit is set even in AEOI mode, so a slave in AEOI mode with
 *   more requests drops its INT and raises it again: the master sees a new edge on IR2.
 * - Multi-byte port accesses are split into byte accesses at ascending ports, as the ISA bus does;
 *   bytes beyond the device's registers read 0xff and ignore writes.
 */
export class PicPair implements InterruptSource {
  static readonly STATE_WORDS = STATE_WORDS;

  /** A zeroed state: both chips before initialisation (vector base 0, nothing masked, all inputs edge). */
  static createState(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(STATE_WORDS * Int32Array.BYTES_PER_ELEMENT));
  }

  /** Ports 0x20-0x21, to register with `ports.register(PIC_MASTER_PORT, PIC_PORT_COUNT, pic.masterPorts)`. */
  readonly masterPorts: BusDevice;
  /** Ports 0xa0-0xa1. */
  readonly slavePorts: BusDevice;
  /** Ports 0x4d0 (master ELCR) and 0x4d1 (slave ELCR). */
  readonly elcrPorts: BusDevice;

  private readonly s: Int32Array;
  private readonly lock: RankedLock;
  private readonly lines: readonly IrqLine[];

  /**
   * `onInterrupt` is called when INT rises: the CPU it interrupts may be another thread's, asleep in HLT,
   * and must be woken to look.
   */
  constructor(
    state: Int32Array,
    private readonly onInterrupt?: () => void,
  ) {
    if (state.length < STATE_WORDS) throw new RangeError(`pic: the state needs ${STATE_WORDS} words, got ${state.length}`);
    this.s = state;
    this.lock = new RankedLock('pic', LockRank.InterruptController, state, LOCK);
    this.masterPorts = this.chipPorts('pic-master', MASTER);
    this.slavePorts = this.chipPorts('pic-slave', SLAVE);
    this.elcrPorts = {
      name: 'elcr',
      read: (offset, size) => this.locked(() => this.byteWise(offset, size, (o) => this.readElcr(o))),
      write: (offset, size, value) => this.locked(() => this.writeByteWise(offset, size, value, (o, b) => this.writeElcr(o, b))),
    };
    this.lines = Array.from({ length: 16 }, (_, irq) => ({
      raise: () => this.locked(() => this.setLine(irq, true)),
      lower: () => this.locked(() => this.setLine(irq, false)),
    }));
  }

  /** The input for IRQ `irq` (0-7 master, 8-15 slave). IRQ 2 drives the master's IR2 pin beside the slave. */
  line(irq: number): IrqLine {
    const line = Number.isInteger(irq) ? this.lines[irq] : undefined;
    if (!line) throw new RangeError(`pic: no input IRQ ${irq} (0-15)`);
    return line;
  }

  /** True while the master asserts INT. */
  pending(): boolean {
    // The CPU asks at every block boundary while IF is set: one atomic load, no lock.
    return Atomics.load(this.s, INT_OUT) !== 0;
  }

  /** The INTA sequence: the vector of the highest-priority request, or the spurious IR7 vector. */
  acknowledge(): number {
    return this.locked(() => this.acknowledgeLocked());
  }

  /** Runs a state change under the lock, then publishes the INT output it leaves. */
  private locked<T>(body: () => T): T {
    return this.lock.with(() => {
      const result = body();
      const out = this.resolve(MASTER) >= 0 ? 1 : 0;
      if (Atomics.exchange(this.s, INT_OUT, out) < out) this.onInterrupt?.();
      return result;
    });
  }

  // ---- everything below runs under the lock ---------------------------------------------------------

  private w(i: number): number {
    return this.s[i]!;
  }

  private chipPorts(name: string, chip: number): BusDevice {
    return {
      name,
      read: (offset: number, size: AccessSize) => this.locked(() => this.byteWise(offset, size, (o) => this.readChip(chip, o))),
      write: (offset: number, size: AccessSize, value: number) =>
        this.locked(() => this.writeByteWise(offset, size, value, (o, b) => this.writeChip(chip, o, b))),
    };
  }

  private byteWise(offset: number, size: AccessSize, readByte: (offset: number) => number): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      value |= (o === 0 || o === 1 ? readByte(o) & 0xff : 0xff) << (8 * i);
    }
    return value;
  }

  private writeByteWise(offset: number, size: AccessSize, value: number, writeByte: (offset: number, byte: number) => void): void {
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      if (o === 0 || o === 1) writeByte(o, (value >>> (8 * i)) & 0xff);
    }
  }

  /** The interrupt request register: the inputs requesting, by the trigger mode of each. */
  private irr(chip: number): number {
    const levelTriggered = this.w(chip + ICW1) & ICW1_LTIM ? 0xff : this.w(chip + ELCR);
    return this.w(chip + LEVEL) & (this.w(chip + EDGE) | levelTriggered);
  }

  /** ISR bits that block equal and lower priorities: in special mask mode, only the unmasked ones. */
  private blockingIsr(chip: number): number {
    const isr = this.w(chip + ISR);
    return this.w(chip + MODE) & MODE_SMM ? isr & ~this.w(chip + IMR) : isr;
  }

  /** Master IRs with a slave on them, as programmed (none in single mode). */
  private cascadeInputs(): number {
    return this.w(MASTER + ICW1) & ICW1_SNGL ? 0 : this.w(MASTER + ICW3) & 0xff;
  }

  /** The IR this chip would interrupt for (its INT output), or -1. */
  private resolve(chip: number): number {
    const requests = this.irr(chip) & ~this.w(chip + IMR) & 0xff;
    if (requests === 0) return -1;
    const blocking = this.blockingIsr(chip);
    // Special fully nested mode (master): a cascade input in service does not block itself, so a slave
    // request of higher priority than the slave's in-service one gets through.
    const reentrant = chip === MASTER && this.w(MASTER + ICW4) & ICW4_SFNM ? this.cascadeInputs() : 0;
    const highest = this.w(chip + HIGHEST);
    for (let i = 0; i < 8; i++) {
      const level = (highest + i) & 7;
      const bit = 1 << level;
      if (requests & bit && (!(blocking & bit) || reentrant & bit)) return level;
      if (blocking & bit) return -1;
    }
    return -1;
  }

  /** Drives one input pin; a low-to-high transition sets the edge latch, a low level clears it. */
  private setInput(chip: number, ir: number, high: boolean): void {
    const bit = 1 << ir;
    const level = this.w(chip + LEVEL);
    if (high) {
      if (!(level & bit)) {
        this.s[chip + LEVEL] = level | bit;
        this.s[chip + EDGE] = this.w(chip + EDGE) | bit;
      }
    } else {
      this.s[chip + LEVEL] = level & ~bit;
      this.s[chip + EDGE] = this.w(chip + EDGE) & ~bit;
    }
  }

  /** Propagates the slave's INT output (wired-OR with line(2)) to the master's IR2 pin. */
  private update(): void {
    this.setInput(MASTER, CASCADE_IRQ, this.resolve(SLAVE) >= 0 || this.w(EXT_IR2) !== 0);
  }

  private setLine(irq: number, high: boolean): void {
    if (irq === CASCADE_IRQ) this.s[EXT_IR2] = high ? 1 : 0;
    else this.setInput(irq < 8 ? MASTER : SLAVE, irq & 7, high);
    this.update();
  }

  /** The first INTA pulse on one chip: ISR bit set, edge latch cleared. */
  private service(chip: number, level: number): void {
    const bit = 1 << level;
    this.s[chip + ISR] = this.w(chip + ISR) | bit;
    this.s[chip + EDGE] = this.w(chip + EDGE) & ~bit;
  }

  /** The automatic EOI at the end of the second INTA pulse, if the chip is in AEOI mode. */
  private autoEoi(chip: number, level: number): void {
    if (!(this.w(chip + ICW4) & ICW4_AEOI)) return;
    // In fully nested order the level just acknowledged is the highest in service, so this is the bit a
    // non-specific EOI would clear.
    this.s[chip + ISR] = this.w(chip + ISR) & ~(1 << level);
    if (this.w(chip + MODE) & MODE_ROTATE_AEOI) this.s[chip + HIGHEST] = (level + 1) & 7;
  }

  private acknowledgeLocked(): number {
    const masterLevel = this.resolve(MASTER);
    if (masterLevel < 0) return (this.w(MASTER + VECTOR_BASE) | 7) & 0xff;
    this.service(MASTER, masterLevel);
    let vector: number;
    let slaveLevel = -1;
    if (this.cascadeInputs() & (1 << masterLevel)) {
      const slaveAnswers = masterLevel === CASCADE_IRQ && !(this.w(SLAVE + ICW1) & ICW1_SNGL) && (this.w(SLAVE + ICW3) & 7) === CASCADE_IRQ;
      if (slaveAnswers) {
        slaveLevel = this.resolve(SLAVE);
        if (slaveLevel >= 0) this.service(SLAVE, slaveLevel);
        vector = this.w(SLAVE + VECTOR_BASE) | (slaveLevel >= 0 ? slaveLevel : 7);
      } else {
        vector = FLOATING_BUS;
      }
    } else {
      vector = this.w(MASTER + VECTOR_BASE) | masterLevel;
    }
    // Between the INTA pulses: the ISR bits are set, so the slave's INT shows what it is now.
    this.update();
    this.autoEoi(MASTER, masterLevel);
    if (slaveLevel >= 0) this.autoEoi(SLAVE, slaveLevel);
    this.update();
    return vector & 0xff;
  }

  private readChip(chip: number, a0: number): number {
    const mode = this.w(chip + MODE);
    if (mode & MODE_POLL) {
      this.s[chip + MODE] = mode & ~MODE_POLL;
      const level = this.resolve(chip);
      if (level < 0) return 0;
      this.service(chip, level);
      this.update();
      return 0x80 | level;
    }
    if (a0 === 1) return this.w(chip + IMR);
    return mode & MODE_READ_ISR ? this.w(chip + ISR) : this.irr(chip);
  }

  private writeChip(chip: number, a0: number, value: number): void {
    if (a0 === 0) {
      if (value & ICW1_INIT) this.icw1(chip, value);
      else if (value & OCW3_SELECT) this.ocw3(chip, value);
      else this.ocw2(chip, value);
    } else {
      const icw1 = this.w(chip + ICW1);
      switch (this.w(chip + STEP)) {
        case STEP_ICW2:
          this.s[chip + VECTOR_BASE] = value & 0xf8;
          this.s[chip + STEP] = !(icw1 & ICW1_SNGL) ? STEP_ICW3 : icw1 & ICW1_IC4 ? STEP_ICW4 : STEP_READY;
          break;
        case STEP_ICW3:
          this.s[chip + ICW3] = value;
          this.s[chip + STEP] = icw1 & ICW1_IC4 ? STEP_ICW4 : STEP_READY;
          break;
        case STEP_ICW4:
          this.s[chip + ICW4] = value & 0x1f;
          this.s[chip + STEP] = STEP_READY;
          break;
        default:
          this.s[chip + IMR] = value; // OCW1
      }
    }
    this.update();
  }

  private icw1(chip: number, value: number): void {
    this.s[chip + ICW1] = value;
    this.s[chip + STEP] = STEP_ICW2;
    this.s[chip + IMR] = 0;
    this.s[chip + ISR] = 0;
    this.s[chip + EDGE] = 0; // an input already high must go low and high again to request
    this.s[chip + HIGHEST] = 0;
    this.s[chip + MODE] = 0; // SMM off, read IRR, no poll, no rotate in AEOI
    this.s[chip + ICW4] = 0; // AEOI and SFNM off until an ICW4 says otherwise
    this.s[chip + ICW3] = chip === SLAVE ? 7 : 0; // "the slave mode address is set to 7"
  }

  /** The highest-priority ISR bit a non-specific EOI clears, or -1. */
  private highestInService(chip: number): number {
    const isr = this.blockingIsr(chip);
    const highest = this.w(chip + HIGHEST);
    for (let i = 0; i < 8; i++) {
      const level = (highest + i) & 7;
      if (isr & (1 << level)) return level;
    }
    return -1;
  }

  private ocw2(chip: number, value: number): void {
    const specified = value & 7;
    switch (value & (OCW2_R | OCW2_SL | OCW2_EOI)) {
      case OCW2_EOI: {
        const level = this.highestInService(chip);
        if (level >= 0) this.s[chip + ISR] = this.w(chip + ISR) & ~(1 << level);
        break;
      }
      case OCW2_SL | OCW2_EOI:
        this.s[chip + ISR] = this.w(chip + ISR) & ~(1 << specified);
        break;
      case OCW2_R | OCW2_EOI: {
        const level = this.highestInService(chip);
        if (level >= 0) {
          this.s[chip + ISR] = this.w(chip + ISR) & ~(1 << level);
          this.s[chip + HIGHEST] = (level + 1) & 7;
        }
        break;
      }
      case OCW2_R | OCW2_SL | OCW2_EOI:
        this.s[chip + ISR] = this.w(chip + ISR) & ~(1 << specified);
        this.s[chip + HIGHEST] = (specified + 1) & 7;
        break;
      case OCW2_R | OCW2_SL: // set priority: the specified IR becomes the lowest
        this.s[chip + HIGHEST] = (specified + 1) & 7;
        break;
      case OCW2_R:
        this.s[chip + MODE] = this.w(chip + MODE) | MODE_ROTATE_AEOI;
        break;
      case 0:
        this.s[chip + MODE] = this.w(chip + MODE) & ~MODE_ROTATE_AEOI;
        break;
      default: // SL alone: no operation
    }
  }

  private ocw3(chip: number, value: number): void {
    let mode = this.w(chip + MODE);
    if (value & OCW3_ESMM) mode = value & OCW3_SMM ? mode | MODE_SMM : mode & ~MODE_SMM;
    if (value & OCW3_RR) mode = value & OCW3_RIS ? mode | MODE_READ_ISR : mode & ~MODE_READ_ISR;
    if (value & OCW3_POLL) mode |= MODE_POLL; // takes precedence over the register select for one read
    this.s[chip + MODE] = mode;
  }

  private readElcr(offset: number): number {
    return this.w((offset === 0 ? MASTER : SLAVE) + ELCR);
  }

  private writeElcr(offset: number, value: number): void {
    if (offset === 0) this.s[MASTER + ELCR] = value & ELCR_MASTER_WRITABLE;
    else this.s[SLAVE + ELCR] = value & ELCR_SLAVE_WRITABLE;
    this.update();
  }
}
