import { LockRank, RankedLock } from '../base/lock.js';
import type { AccessSize, BusDevice } from '../bus/io-bus.js';

/** System control port A (PS/2 "fast A20 and reset"). */
export const PORT_92 = 0x92;
/** The i8042 keyboard controller's data and command/status ports. */
export const I8042_DATA = 0x60;
export const I8042_COMMAND = 0x64;

const PORT92_RESET = 0x01;
const PORT92_A20 = 0x02;

/** Port 0x92's shared state: the lock word, then the register. */
const enum Port92Word {
  Lock,
  Value,
  Words,
}

/**
 * Port 0x92: bit 1 gates A20, bit 0 pulses a fast reset. pvrt never wraps addresses at 1 MiB, so the A20
 * bit is stored and read back (what guests check) but changes no translation.
 *
 * The register lives in a shared Int32Array (`createState()`) under the lock in word 0, so the instances
 * the vCPU workers each build over one buffer are one port. Each instance has its own reset callback,
 * called after the lock is released.
 */
export class Port92 implements BusDevice {
  static readonly STATE_WORDS: number = Port92Word.Words;

  /** The port as firmware leaves it: A20 enabled. */
  static createState(): Int32Array {
    const s = new Int32Array(new SharedArrayBuffer(Port92Word.Words * Int32Array.BYTES_PER_ELEMENT));
    s[Port92Word.Value] = PORT92_A20;
    return s;
  }

  readonly name = 'port92';
  private readonly lock: RankedLock;

  /** `state` from `Port92.createState()`, shared by every instance over it; a fresh one when absent. */
  constructor(
    private readonly onReset: () => void,
    private readonly state: Int32Array = Port92.createState(),
  ) {
    if (state.length < Port92Word.Words) throw new RangeError(`port92: the state needs ${Port92Word.Words} words, got ${state.length}`);
    this.lock = new RankedLock('port92', LockRank.Device, state, Port92Word.Lock);
  }

  read(): number {
    return this.lock.with(() => this.state[Port92Word.Value]!);
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    const rising = this.lock.with(() => {
      const before = this.state[Port92Word.Value]!;
      this.state[Port92Word.Value] = value & (PORT92_A20 | PORT92_RESET);
      return (value & PORT92_RESET) !== 0 && (before & PORT92_RESET) === 0;
    });
    // Outside the lock: resetting the machine may well touch this port again.
    if (rising) this.onReset();
  }
}

const STATUS_OUTPUT_FULL = 0x01;
const STATUS_SYSTEM_FLAG = 0x04;
const STATUS_COMMAND = 0x08;

const CMD_READ_CONFIG = 0x20;
const CMD_WRITE_CONFIG = 0x60;
const CMD_DISABLE_AUX = 0xa7;
const CMD_ENABLE_AUX = 0xa8;
const CMD_TEST_AUX = 0xa9;
const CMD_SELF_TEST = 0xaa;
const CMD_TEST_KEYBOARD = 0xab;
const CMD_DISABLE_KEYBOARD = 0xad;
const CMD_ENABLE_KEYBOARD = 0xae;
const CMD_READ_OUTPUT_PORT = 0xd0;
const CMD_WRITE_OUTPUT_PORT = 0xd1;
const CMD_PULSE_RESET = 0xfe;

const SELF_TEST_OK = 0x55;
const INTERFACE_TEST_OK = 0x00;
const OUTPUT_PORT_RESET = 0x01;
const OUTPUT_PORT_A20 = 0x02;

/** The i8042's shared state: the lock word, then the controller. */
const enum I8042Word {
  Lock,
  /** The byte waiting in the output buffer for a read of port 0x60, or OUTPUT_EMPTY. */
  Output,
  Config,
  OutputPort,
  /** A command that takes a data byte at port 0x60 next, or 0. */
  Awaiting,
  /** Status bit 3: whether the last write went to port 0x64 (1) or port 0x60 (0). */
  LastWasCommand,
  Words,
}

const OUTPUT_EMPTY = -1;

/**
 * A minimal i8042: what firmware and kernels do with it before they ever see a key. The controller
 * self-test (0xAA answers 0x55), interface tests, the configuration byte, the output port (A20 and the
 * reset line), and the reset pulse 0xFE that restarts the machine. There is no keyboard or mouse behind
 * it: no scan codes ever arrive, and keyboard-device commands written to port 0x60 are not answered.
 *
 * The controller lives in a shared Int32Array (`createState()`) under the lock in word 0, so the instances
 * the vCPU workers each build over one buffer are one controller. Each instance has its own reset
 * callback, called after the lock is released.
 */
export class I8042 {
  static readonly STATE_WORDS: number = I8042Word.Words;

  /** The controller as firmware leaves it: translation, system flag and keyboard interrupt on; A20 on, reset line high. */
  static createState(): Int32Array {
    const s = new Int32Array(new SharedArrayBuffer(I8042Word.Words * Int32Array.BYTES_PER_ELEMENT));
    s[I8042Word.Output] = OUTPUT_EMPTY;
    s[I8042Word.Config] = 0x45;
    s[I8042Word.OutputPort] = OUTPUT_PORT_RESET | OUTPUT_PORT_A20;
    return s;
  }

  /** Port 0x60 and port 0x64: separate ranges, because port 0x61 sits between them on a PC. */
  readonly dataPort: BusDevice = { name: 'i8042-data', read: () => this.read(0), write: (_o, size, value) => this.write(0, size, value) };
  readonly commandPort: BusDevice = { name: 'i8042-command', read: () => this.read(4), write: (_o, size, value) => this.write(4, size, value) };
  private readonly lock: RankedLock;

  /** `state` from `I8042.createState()`, shared by every instance over it; a fresh one when absent. */
  constructor(
    private readonly onReset: () => void,
    private readonly state: Int32Array = I8042.createState(),
  ) {
    if (state.length < I8042Word.Words) throw new RangeError(`i8042: the state needs ${I8042Word.Words} words, got ${state.length}`);
    this.lock = new RankedLock('i8042', LockRank.Device, state, I8042Word.Lock);
  }

  /** Offset 0 is port 0x60, offset 4 is port 0x64. */
  private read(offset: number): number {
    return this.lock.with(() => {
      const s = this.state;
      const output = s[I8042Word.Output]!;
      if (offset === 0) {
        s[I8042Word.Output] = OUTPUT_EMPTY;
        return output === OUTPUT_EMPTY ? 0 : output;
      }
      if (offset === 4) return (output !== OUTPUT_EMPTY ? STATUS_OUTPUT_FULL : 0) | STATUS_SYSTEM_FLAG | (s[I8042Word.LastWasCommand] ? STATUS_COMMAND : 0);
      return 0xff;
    });
  }

  private write(offset: number, _size: AccessSize, value: number): void {
    const reset = this.lock.with(() => this.writeLocked(offset, value & 0xff));
    // Outside the lock: resetting the machine may well touch this controller again.
    if (reset) this.onReset();
  }

  // ---- Called with the lock held; each returns whether the write pulsed the reset line ----

  private writeLocked(offset: number, value: number): boolean {
    const s = this.state;
    if (offset === 0) {
      const awaiting = s[I8042Word.Awaiting]!;
      s[I8042Word.LastWasCommand] = 0;
      s[I8042Word.Awaiting] = 0;
      if (awaiting === CMD_WRITE_CONFIG) s[I8042Word.Config] = value;
      else if (awaiting === CMD_WRITE_OUTPUT_PORT) return this.setOutputPort(value);
    } else if (offset === 4) {
      s[I8042Word.LastWasCommand] = 1;
      return this.command(value);
    }
    return false;
  }

  private command(command: number): boolean {
    const s = this.state;
    switch (command) {
      case CMD_READ_CONFIG:
        s[I8042Word.Output] = s[I8042Word.Config]!;
        break;
      case CMD_WRITE_CONFIG:
      case CMD_WRITE_OUTPUT_PORT:
        s[I8042Word.Awaiting] = command;
        break;
      case CMD_SELF_TEST:
        s[I8042Word.Output] = SELF_TEST_OK;
        break;
      case CMD_TEST_KEYBOARD:
      case CMD_TEST_AUX:
        s[I8042Word.Output] = INTERFACE_TEST_OK;
        break;
      case CMD_READ_OUTPUT_PORT:
        s[I8042Word.Output] = s[I8042Word.OutputPort]!;
        break;
      case CMD_DISABLE_KEYBOARD:
        s[I8042Word.Config] = s[I8042Word.Config]! | 0x10;
        break;
      case CMD_ENABLE_KEYBOARD:
        s[I8042Word.Config] = s[I8042Word.Config]! & ~0x10;
        break;
      case CMD_DISABLE_AUX:
        s[I8042Word.Config] = s[I8042Word.Config]! | 0x20;
        break;
      case CMD_ENABLE_AUX:
        s[I8042Word.Config] = s[I8042Word.Config]! & ~0x20;
        break;
      default:
        // 0xF0-0xFF pulse output-port lines low for 6 us; bit 0 low is the CPU reset line.
        return command === CMD_PULSE_RESET || (command >= 0xf0 && (command & 1) === 0);
    }
    return false;
  }

  private setOutputPort(value: number): boolean {
    this.state[I8042Word.OutputPort] = value;
    return (value & OUTPUT_PORT_RESET) === 0; // the reset line driven low
  }
}
