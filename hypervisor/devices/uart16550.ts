import { LockRank, RankedLock } from '../base/lock.js';
import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import { setLevel, UNCONNECTED, type IrqLine } from './irq-line.js';

/** The PC's four serial ports: base ports, and the ISA IRQ each is wired to (COM3 and COM4 share COM1's and COM2's). */
export const COM_PORTS = [0x3f8, 0x2f8, 0x3e8, 0x2e8] as const;
export const COM_IRQS = [4, 3, 4, 3] as const;
/** Each UART decodes eight ports from its base. */
export const UART_PORT_COUNT = 8;

/** Register offsets from the port base (DLAB selects the divisor latch at 0 and 1). */
const RBR_THR_DLL = 0;
const IER_DLM = 1;
const IIR_FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

const IER_RDA = 0x01; // received data available (and character timeout)
const IER_THRE = 0x02;
const IER_RLS = 0x04; // receiver line status
const IER_MS = 0x08;

export const IIR_NONE = 0x01;
export const IIR_MODEM_STATUS = 0x00;
export const IIR_THR_EMPTY = 0x02;
export const IIR_RECEIVED_DATA = 0x04;
export const IIR_LINE_STATUS = 0x06;
export const IIR_CHARACTER_TIMEOUT = 0x0c;
const IIR_FIFO_ENABLED = 0xc0;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const FCR_CLEAR_TX = 0x04;

const LCR_DLAB = 0x80;

const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;

export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;

const MSR_DCTS = 0x01;
const MSR_DDSR = 0x02;
const MSR_TERI = 0x04;
const MSR_DDCD = 0x08;
const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;

const FIFO_DEPTH = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
/** The 1.8432 MHz crystal of the PC divided by 16. */
const BAUD_BASE = 115_200;
/** What the register-write path returns when no byte went out on the line. */
const NOTHING_SENT = -1;

/** The shared state: word 0 is the lock word, then the chip's registers, then the receive buffer. */
const enum W {
  Lock,
  Ier,
  Lcr,
  Mcr,
  Scr,
  Divisor,
  /** FCR bit 0: 1 in FIFO mode, 0 in 16450 mode. */
  FifoEnabled,
  TriggerLevel,
  /** The received bytes waiting: RxCount of them from slot RxHead of the ring at RxRing. */
  RxHead,
  RxCount,
  /** What RBR reads once the buffer is empty: the last byte read from it. */
  LastReceived,
  /** The LSR error bits waiting to be read. */
  LineErrors,
  /** The THR-empty interrupt condition: set when THR empties, cleared by reading IIR while it is the reported source. */
  ThrEmptyPending,
  /** The modem inputs as the outside world drives them (CTS, DSR, RI, DCD in MSR bit positions). */
  ModemInputs,
  MsrDeltas,
  /** The level the chip drives its IRQ line to, shared so that whichever instance sees a change drives it. */
  IrqHigh,
  RxRing,
}
const STATE_WORDS = W.RxRing + FIFO_DEPTH;

export interface Uart16550Options {
  /** Called with every byte the guest transmits through this instance (not in loopback mode). */
  output?: (byte: number) => void;
  irq?: IrqLine;
  /**
   * On a PC the OUT2 modem-control bit gates the UART's interrupt onto the bus, and loopback mode
   * disconnects it; drivers written for real hardware set OUT2. QEMU ignores OUT2; pass false to match.
   * Instances over one state should agree on it: it is wiring, not chip state.
   */
  out2GatesIrq?: boolean;
  /** The chip's state from `Uart16550.createState()`, shared by every instance over it; a fresh one when absent. */
  state?: Int32Array;
}

/**
 * A 16550A UART as a driver sees it through its eight ports.
 *
 * All mutable state lives in a shared Int32Array (`createState()`) under the lock in word 0, so the
 * instances the vCPU workers each build over one buffer are one chip, the level of its IRQ line included.
 * Each instance has its own output sink, called after the lock is released (so a sink may touch the UART
 * again), and its own IRQ line, which it drives while holding the lock.
 *
 * Datasheet choices:
 * - Transmission is instantaneous: a byte written to THR goes to the output at once, so THR and the
 *   transmitter are empty again by the next access, and there is no transmit FIFO to hold bytes. Every THR
 *   write and every FCR transmit-FIFO reset sets the THR-empty interrupt condition again.
 * - Received bytes are pushed in by the host. There is no clock, so the FIFO character timeout is pending
 *   whenever fewer bytes than the trigger level wait (the host has stopped sending).
 * - A byte that finds the receive buffer full sets OE: in 16450 mode it overwrites the holding register,
 *   in FIFO mode the FIFO keeps its bytes and the new one is lost. Reading LSR clears OE.
 * - Enabling the THRE interrupt in IER while THR is empty reports it at once. Reading IIR clears the
 *   THR-empty condition only when it is the source IIR reports.
 * - Switching between FIFO and 16450 mode clears the receive FIFO; the other FCR bits are only taken while
 *   the FIFOs are enabled.
 * - After reset the divisor is 12 (9600 baud; the datasheet leaves it undefined) and the far end asserts
 *   CTS, DSR and DCD. Loopback drives them (and RI) from MCR instead.
 * - An access reaches the register at its first port only (a wider read returns that byte); accesses
 *   past the eight registers read 0xff and ignore writes.
 */
export class Uart16550 implements BusDevice {
  static readonly STATE_WORDS = STATE_WORDS;

  /** A chip after reset: 16450 mode, nothing received, no interrupt enabled. */
  static createState(): Int32Array {
    const s = new Int32Array(new SharedArrayBuffer(STATE_WORDS * Int32Array.BYTES_PER_ELEMENT));
    s[W.Divisor] = 12;
    s[W.TriggerLevel] = 1;
    s[W.ModemInputs] = MSR_CTS | MSR_DSR | MSR_DCD;
    return s;
  }

  readonly name: string;
  private readonly output: (byte: number) => void;
  private readonly irq: IrqLine;
  private readonly out2GatesIrq: boolean;
  private readonly s: Int32Array;
  private readonly lock: RankedLock;

  constructor(name = 'uart16550', options: Uart16550Options = {}) {
    const state = options.state ?? Uart16550.createState();
    if (state.length < STATE_WORDS) throw new RangeError(`${name}: the UART state needs ${STATE_WORDS} words, got ${state.length}`);
    this.name = name;
    this.output = options.output ?? (() => {});
    this.irq = options.irq ?? UNCONNECTED;
    this.out2GatesIrq = options.out2GatesIrq ?? true;
    this.s = state;
    this.lock = new RankedLock(name, LockRank.Device, state, W.Lock);
  }

  /** The line rate the guest programmed. */
  get baud(): number {
    const divisor = this.lock.with(() => this.s[W.Divisor]!);
    return divisor === 0 ? 0 : BAUD_BASE / divisor;
  }

  /** Free receive-buffer slots: the host can pace input with it instead of overrunning the guest. */
  get rxSpace(): number {
    return this.lock.with(() => this.rxCapacity() - this.s[W.RxCount]!);
  }

  /** Bytes from the host's side of the line. Bytes that find the buffer full are lost and set OE. */
  receive(data: number | ArrayLike<number>): void {
    this.lock.with(() => {
      if (typeof data === 'number') this.receiveByte(data);
      else for (let i = 0; i < data.length; i++) this.receiveByte(data[i]!);
      this.updateIrq();
    });
  }

  /** Drives the modem-status inputs (ignored in loopback mode, where MCR drives them). */
  setModemInputs(lines: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    this.lock.with(() => {
      const s = this.s;
      const inputs = s[W.ModemInputs]!;
      const next =
        ((lines.cts ?? (inputs & MSR_CTS) !== 0) ? MSR_CTS : 0) |
        ((lines.dsr ?? (inputs & MSR_DSR) !== 0) ? MSR_DSR : 0) |
        ((lines.ri ?? (inputs & MSR_RI) !== 0) ? MSR_RI : 0) |
        ((lines.dcd ?? (inputs & MSR_DCD) !== 0) ? MSR_DCD : 0);
      const before = this.modemLines();
      s[W.ModemInputs] = next;
      this.noteModemChange(before);
      this.updateIrq();
    });
  }

  read(offset: number, _size: AccessSize): number {
    return this.lock.with(() => this.readRegister(offset));
  }

  write(offset: number, _size: AccessSize, value: number): void {
    const sent = this.lock.with(() => this.writeRegister(offset, value & 0xff));
    // Outside the lock: the host's sink is free to do anything, this UART included.
    if (sent !== NOTHING_SENT) this.output(sent);
  }

  // ---- Called with the lock held ----

  private readRegister(offset: number): number {
    const s = this.s;
    let value: number;
    switch (offset) {
      case RBR_THR_DLL:
        value = this.dlab() ? s[W.Divisor]! & 0xff : this.readRbr();
        break;
      case IER_DLM:
        value = this.dlab() ? s[W.Divisor]! >>> 8 : s[W.Ier]!;
        break;
      case IIR_FCR:
        value = this.readIir();
        break;
      case LCR:
        value = s[W.Lcr]!;
        break;
      case MCR:
        value = s[W.Mcr]!;
        break;
      case LSR:
        value = this.lsr();
        s[W.LineErrors] = 0;
        break;
      case MSR:
        value = this.modemLines() | s[W.MsrDeltas]!;
        s[W.MsrDeltas] = 0;
        break;
      case SCR:
        value = s[W.Scr]!;
        break;
      default:
        return 0xff; // an offset past the eight registers: nothing answers
    }
    this.updateIrq();
    return value;
  }

  /** Returns the byte that went out on the line, or NOTHING_SENT, for the caller to output once unlocked. */
  private writeRegister(offset: number, value: number): number {
    const s = this.s;
    let sent = NOTHING_SENT;
    switch (offset) {
      case RBR_THR_DLL:
        if (this.dlab()) s[W.Divisor] = (s[W.Divisor]! & 0xff00) | value;
        else sent = this.transmit(value);
        break;
      case IER_DLM:
        if (this.dlab()) s[W.Divisor] = (s[W.Divisor]! & 0xff) | (value << 8);
        else {
          // Enabling the THRE interrupt while THR is empty reports it at once, as the 16550A does.
          if (value & IER_THRE && !(s[W.Ier]! & IER_THRE)) s[W.ThrEmptyPending] = 1;
          s[W.Ier] = value & 0x0f;
        }
        break;
      case IIR_FCR:
        this.writeFcr(value);
        break;
      case LCR:
        s[W.Lcr] = value;
        break;
      case MCR: {
        const before = this.modemLines();
        s[W.Mcr] = value & 0x1f;
        this.noteModemChange(before);
        break;
      }
      case SCR:
        s[W.Scr] = value;
        break;
      default:
        return NOTHING_SENT; // LSR and MSR are read-only
    }
    this.updateIrq();
    return sent;
  }

  private dlab(): boolean {
    return (this.s[W.Lcr]! & LCR_DLAB) !== 0;
  }

  private loopback(): boolean {
    return (this.s[W.Mcr]! & MCR_LOOP) !== 0;
  }

  private rxCapacity(): number {
    return this.s[W.FifoEnabled] ? FIFO_DEPTH : 1;
  }

  private receiveByte(byte: number): void {
    const s = this.s;
    const count = s[W.RxCount]!;
    if (count < this.rxCapacity()) {
      s[W.RxRing + ((s[W.RxHead]! + count) % FIFO_DEPTH)] = byte & 0xff;
      s[W.RxCount] = count + 1;
      return;
    }
    s[W.LineErrors] = s[W.LineErrors]! | LSR_OE;
    // The FIFO keeps its bytes and the new one is lost; the 16450-mode holding register is overwritten.
    if (!s[W.FifoEnabled]) s[W.RxRing + s[W.RxHead]!] = byte & 0xff;
  }

  private readRbr(): number {
    const s = this.s;
    const count = s[W.RxCount]!;
    if (count > 0) {
      const head = s[W.RxHead]!;
      s[W.LastReceived] = s[W.RxRing + head]!;
      s[W.RxHead] = (head + 1) % FIFO_DEPTH;
      s[W.RxCount] = count - 1;
    }
    return s[W.LastReceived]!;
  }

  private clearRx(): void {
    this.s[W.RxHead] = 0;
    this.s[W.RxCount] = 0;
  }

  /** Returns the byte for the output, or NOTHING_SENT when loopback kept it. */
  private transmit(byte: number): number {
    // The instantaneous transmitter empties THR again: the THRE interrupt condition comes back.
    this.s[W.ThrEmptyPending] = 1;
    if (!this.loopback()) return byte;
    this.receiveByte(byte);
    return NOTHING_SENT;
  }

  private writeFcr(value: number): void {
    const s = this.s;
    const enable = (value & FCR_ENABLE) !== 0;
    if (enable !== (s[W.FifoEnabled] !== 0)) {
      // Switching between FIFO and 16450 mode clears both FIFOs (the transmit side never holds a byte).
      this.clearRx();
      s[W.FifoEnabled] = enable ? 1 : 0;
    }
    if (!enable) return; // the other bits are only written while the FIFOs are enabled
    if (value & FCR_CLEAR_RX) this.clearRx();
    if (value & FCR_CLEAR_TX) s[W.ThrEmptyPending] = 1; // the transmit FIFO is empty (and always was)
    s[W.TriggerLevel] = TRIGGER_LEVELS[value >>> 6]!;
  }

  private lsr(): number {
    return (this.s[W.RxCount]! > 0 ? LSR_DR : 0) | this.s[W.LineErrors]! | LSR_THRE | LSR_TEMT;
  }

  /** The highest-priority pending interrupt, or IIR_NONE. */
  private source(): number {
    const s = this.s;
    const ier = s[W.Ier]!;
    const count = s[W.RxCount]!;
    if (ier & IER_RLS && s[W.LineErrors]) return IIR_LINE_STATUS;
    if (ier & IER_RDA && count > 0) {
      if (!s[W.FifoEnabled] || count >= s[W.TriggerLevel]!) return IIR_RECEIVED_DATA;
      return IIR_CHARACTER_TIMEOUT;
    }
    if (ier & IER_THRE && s[W.ThrEmptyPending]) return IIR_THR_EMPTY;
    if (ier & IER_MS && s[W.MsrDeltas]) return IIR_MODEM_STATUS;
    return IIR_NONE;
  }

  private readIir(): number {
    const source = this.source();
    // Reading IIR acknowledges a THR-empty interrupt, but only when it is the one reported.
    if (source === IIR_THR_EMPTY) this.s[W.ThrEmptyPending] = 0;
    return source | (this.s[W.FifoEnabled] ? IIR_FIFO_ENABLED : 0);
  }

  /** CTS, DSR, RI, DCD as MSR bits 4-7: from MCR in loopback mode, else from the outside. */
  private modemLines(): number {
    if (!this.loopback()) return this.s[W.ModemInputs]!;
    const m = this.s[W.Mcr]!;
    return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) | (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
  }

  private noteModemChange(before: number): void {
    const after = this.modemLines();
    const changed = before ^ after;
    // DCTS, DDSR and DDCD flag any change; TERI only the trailing edge of RI (1 -> 0).
    let deltas = this.s[W.MsrDeltas]! | ((changed >>> 4) & (MSR_DCTS | MSR_DDSR | MSR_DDCD));
    if (before & MSR_RI && !(after & MSR_RI)) deltas |= MSR_TERI;
    this.s[W.MsrDeltas] = deltas;
  }

  /** Drives the line on a change of level only; the interrupt controllers' locks rank above this one. */
  private updateIrq(): void {
    let high = this.source() !== IIR_NONE;
    if (this.out2GatesIrq && (!(this.s[W.Mcr]! & MCR_OUT2) || this.loopback())) high = false;
    if (high === (this.s[W.IrqHigh] !== 0)) return;
    this.s[W.IrqHigh] = high ? 1 : 0;
    setLevel(this.irq, high);
  }
}
