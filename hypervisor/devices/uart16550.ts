import type { AccessSize, BusDevice } from '../bus/io-bus.js';
import { UNCONNECTED, type IrqLine } from './irq-line.js';

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

export interface Uart16550Options {
  /** Called with every byte the guest transmits (not in loopback mode). */
  output?: (byte: number) => void;
  irq?: IrqLine;
  /**
   * On a PC the OUT2 modem-control bit gates the UART's interrupt onto the bus, and loopback mode
   * disconnects it; drivers written for real hardware set OUT2. QEMU ignores OUT2; pass false to match.
   */
  out2GatesIrq?: boolean;
}

/**
 * A 16550A UART as a driver sees it through its eight ports. Transmission is instantaneous: a byte
 * written to THR goes to the output at once, so THR and the transmitter are empty again by the next
 * access. Received bytes are pushed in by the host. There is no clock, so the FIFO character timeout
 * is pending whenever fewer bytes than the trigger level wait (the host has stopped sending).
 */
export class Uart16550 implements BusDevice {
  readonly name: string;
  private readonly output: (byte: number) => void;
  private readonly irq: IrqLine;
  private readonly out2GatesIrq: boolean;

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private divisor = 12;
  private fifoEnabled = false;
  private triggerLevel = 1;
  private readonly rx: number[] = [];
  private lastReceived = 0;
  private lineErrors = 0; // the LSR error bits waiting to be read
  /** Set when THR empties; cleared by reading IIR while it is the reported source, or writing THR. */
  private thrEmptyPending = false;
  /** The modem inputs as the outside world drives them (CTS, DSR, RI, DCD in MSR bit positions). */
  private modemInputs = MSR_CTS | MSR_DSR | MSR_DCD;
  private msrDeltas = 0;
  private irqHigh = false;

  constructor(name = 'uart16550', options: Uart16550Options = {}) {
    this.name = name;
    this.output = options.output ?? (() => {});
    this.irq = options.irq ?? UNCONNECTED;
    this.out2GatesIrq = options.out2GatesIrq ?? true;
  }

  /** The line rate the guest programmed. */
  get baud(): number {
    return this.divisor === 0 ? 0 : BAUD_BASE / this.divisor;
  }

  /** Free receive-buffer slots: the host can pace input with it instead of overrunning the guest. */
  get rxSpace(): number {
    return this.rxCapacity - this.rx.length;
  }

  /** Bytes from the host's side of the line. Bytes that find the buffer full are lost and set OE. */
  receive(data: number | ArrayLike<number>): void {
    if (typeof data === 'number') this.receiveByte(data);
    else for (let i = 0; i < data.length; i++) this.receiveByte(data[i]!);
    this.updateIrq();
  }

  /** Drives the modem-status inputs (ignored in loopback mode, where MCR drives them). */
  setModemInputs(lines: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    const next =
      ((lines.cts ?? (this.modemInputs & MSR_CTS) !== 0) ? MSR_CTS : 0) |
      ((lines.dsr ?? (this.modemInputs & MSR_DSR) !== 0) ? MSR_DSR : 0) |
      ((lines.ri ?? (this.modemInputs & MSR_RI) !== 0) ? MSR_RI : 0) |
      ((lines.dcd ?? (this.modemInputs & MSR_DCD) !== 0) ? MSR_DCD : 0);
    const before = this.modemLines();
    this.modemInputs = next;
    this.noteModemChange(before);
    this.updateIrq();
  }

  read(offset: number, _size: AccessSize): number {
    let value: number;
    switch (offset) {
      case RBR_THR_DLL:
        value = this.dlab ? this.divisor & 0xff : this.readRbr();
        break;
      case IER_DLM:
        value = this.dlab ? this.divisor >>> 8 : this.ier;
        break;
      case IIR_FCR:
        value = this.readIir();
        break;
      case LCR:
        value = this.lcr;
        break;
      case MCR:
        value = this.mcr;
        break;
      case LSR:
        value = this.lsr();
        this.lineErrors = 0;
        break;
      case MSR:
        value = this.modemLines() | this.msrDeltas;
        this.msrDeltas = 0;
        break;
      case SCR:
        value = this.scr;
        break;
      default:
        return 0xff; // a wider access or offset past the eight registers: nothing answers
    }
    this.updateIrq();
    return value;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    switch (offset) {
      case RBR_THR_DLL:
        if (this.dlab) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        break;
      case IER_DLM:
        if (this.dlab) this.divisor = (this.divisor & 0xff) | (value << 8);
        else {
          // Enabling the THRE interrupt while THR is empty reports it at once, as the 16550A does.
          if (value & IER_THRE && !(this.ier & IER_THRE)) this.thrEmptyPending = true;
          this.ier = value & 0x0f;
        }
        break;
      case IIR_FCR:
        this.writeFcr(value);
        break;
      case LCR:
        this.lcr = value;
        break;
      case MCR: {
        const before = this.modemLines();
        this.mcr = value & 0x1f;
        this.noteModemChange(before);
        break;
      }
      case SCR:
        this.scr = value;
        break;
      default:
        return; // LSR and MSR are read-only
    }
    this.updateIrq();
  }

  private get dlab(): boolean {
    return (this.lcr & LCR_DLAB) !== 0;
  }

  private get loopback(): boolean {
    return (this.mcr & MCR_LOOP) !== 0;
  }

  private get rxCapacity(): number {
    return this.fifoEnabled ? FIFO_DEPTH : 1;
  }

  private receiveByte(byte: number): void {
    if (this.rx.length < this.rxCapacity) this.rx.push(byte & 0xff);
    else if (this.fifoEnabled) this.lineErrors |= LSR_OE; // the FIFO keeps its bytes; the new one is lost
    else {
      this.lineErrors |= LSR_OE; // the 16450-mode holding register is overwritten
      this.rx[0] = byte & 0xff;
    }
  }

  private readRbr(): number {
    const byte = this.rx.shift();
    if (byte !== undefined) this.lastReceived = byte;
    return this.lastReceived;
  }

  private transmit(byte: number): void {
    if (this.loopback) this.receiveByte(byte);
    else this.output(byte);
    // The instantaneous transmitter empties THR again: the THRE interrupt condition comes back.
    this.thrEmptyPending = true;
  }

  private writeFcr(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      // Switching between FIFO and 16450 mode clears both FIFOs.
      this.rx.length = 0;
      this.fifoEnabled = enable;
    }
    if (!enable) return; // the other bits are only written while the FIFOs are enabled
    if (value & FCR_CLEAR_RX) this.rx.length = 0;
    if (value & FCR_CLEAR_TX) this.thrEmptyPending = true; // the transmit FIFO is empty (and always was)
    this.triggerLevel = TRIGGER_LEVELS[value >>> 6]!;
  }

  private lsr(): number {
    return (this.rx.length > 0 ? LSR_DR : 0) | this.lineErrors | LSR_THRE | LSR_TEMT;
  }

  /** The highest-priority pending interrupt, or IIR_NONE. */
  private source(): number {
    if (this.ier & IER_RLS && this.lineErrors) return IIR_LINE_STATUS;
    if (this.ier & IER_RDA && this.rx.length > 0) {
      if (!this.fifoEnabled || this.rx.length >= this.triggerLevel) return IIR_RECEIVED_DATA;
      return IIR_CHARACTER_TIMEOUT;
    }
    if (this.ier & IER_THRE && this.thrEmptyPending) return IIR_THR_EMPTY;
    if (this.ier & IER_MS && this.msrDeltas) return IIR_MODEM_STATUS;
    return IIR_NONE;
  }

  private readIir(): number {
    const source = this.source();
    // Reading IIR acknowledges a THR-empty interrupt, but only when it is the one reported.
    if (source === IIR_THR_EMPTY) this.thrEmptyPending = false;
    return source | (this.fifoEnabled ? IIR_FIFO_ENABLED : 0);
  }

  /** CTS, DSR, RI, DCD as MSR bits 4-7: from MCR in loopback mode, else from the outside. */
  private modemLines(): number {
    if (!this.loopback) return this.modemInputs;
    const m = this.mcr;
    return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) | (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
  }

  private noteModemChange(before: number): void {
    const after = this.modemLines();
    const changed = before ^ after;
    // DCTS, DDSR and DDCD flag any change; TERI only the trailing edge of RI (1 -> 0).
    this.msrDeltas |= (changed >>> 4) & (MSR_DCTS | MSR_DDSR | MSR_DDCD);
    if (before & MSR_RI && !(after & MSR_RI)) this.msrDeltas |= MSR_TERI;
  }

  private updateIrq(): void {
    let high = this.source() !== IIR_NONE;
    if (this.out2GatesIrq && (!(this.mcr & MCR_OUT2) || this.loopback)) high = false;
    if (high === this.irqHigh) return;
    this.irqHigh = high;
    if (high) this.irq.raise();
    else this.irq.lower();
  }
}
