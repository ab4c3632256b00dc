import type { AccessSize, BusDevice } from '../bus/io-bus.js';

/** System control port A (PS/2 "fast A20 and reset"). */
export const PORT_92 = 0x92;
/** The i8042 keyboard controller's data and command/status ports. */
export const I8042_DATA = 0x60;
export const I8042_COMMAND = 0x64;

const PORT92_RESET = 0x01;
const PORT92_A20 = 0x02;

/**
 * Port 0x92: bit 1 gates A20, bit 0 pulses a fast reset. pvrt never wraps addresses at 1 MiB, so the A20
 * bit is stored and read back (what guests check) but changes no translation.
 */
export class Port92 implements BusDevice {
  readonly name = 'port92';
  private value = PORT92_A20; // A20 enabled, as firmware leaves it

  constructor(private readonly onReset: () => void) {}

  read(): number {
    return this.value;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    const rising = (value & PORT92_RESET) !== 0 && (this.value & PORT92_RESET) === 0;
    this.value = value & (PORT92_A20 | PORT92_RESET);
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

/**
 * A minimal i8042: what firmware and kernels do with it before they ever see a key. The controller
 * self-test (0xAA answers 0x55), interface tests, the configuration byte, the output port (A20 and the
 * reset line), and the reset pulse 0xFE that restarts the machine. There is no keyboard or mouse behind
 * it: no scan codes ever arrive, and keyboard-device commands written to port 0x60 are not answered.
 */
export class I8042 {
  /** Port 0x60 and port 0x64: separate ranges, because port 0x61 sits between them on a PC. */
  readonly dataPort: BusDevice = { name: 'i8042-data', read: () => this.read(0), write: (_o, size, value) => this.write(0, size, value) };
  readonly commandPort: BusDevice = { name: 'i8042-command', read: () => this.read(4), write: (_o, size, value) => this.write(4, size, value) };
  private output: number | undefined;
  private config = 0x45; // translation, system flag, keyboard interrupt enabled (what firmware leaves)
  private outputPort = OUTPUT_PORT_RESET | OUTPUT_PORT_A20;
  /** A command that takes a data byte at port 0x60 next, or 0. */
  private awaiting = 0;
  private lastWasCommand = false;

  constructor(private readonly onReset: () => void) {}

  /** Offset 0 is port 0x60, offset 4 is port 0x64. */
  private read(offset: number): number {
    if (offset === 0) {
      const value = this.output ?? 0;
      this.output = undefined;
      return value;
    }
    if (offset === 4) return (this.output !== undefined ? STATUS_OUTPUT_FULL : 0) | STATUS_SYSTEM_FLAG | (this.lastWasCommand ? STATUS_COMMAND : 0);
    return 0xff;
  }

  private write(offset: number, _size: AccessSize, value: number): void {
    value &= 0xff;
    if (offset === 0) {
      this.lastWasCommand = false;
      if (this.awaiting === CMD_WRITE_CONFIG) this.config = value;
      else if (this.awaiting === CMD_WRITE_OUTPUT_PORT) this.setOutputPort(value);
      this.awaiting = 0;
    } else if (offset === 4) {
      this.lastWasCommand = true;
      this.command(value);
    }
  }

  private command(command: number): void {
    switch (command) {
      case CMD_READ_CONFIG:
        this.output = this.config;
        break;
      case CMD_WRITE_CONFIG:
      case CMD_WRITE_OUTPUT_PORT:
        this.awaiting = command;
        break;
      case CMD_SELF_TEST:
        this.output = SELF_TEST_OK;
        break;
      case CMD_TEST_KEYBOARD:
      case CMD_TEST_AUX:
        this.output = INTERFACE_TEST_OK;
        break;
      case CMD_READ_OUTPUT_PORT:
        this.output = this.outputPort;
        break;
      case CMD_DISABLE_KEYBOARD:
        this.config |= 0x10;
        break;
      case CMD_ENABLE_KEYBOARD:
        this.config &= ~0x10;
        break;
      case CMD_DISABLE_AUX:
        this.config |= 0x20;
        break;
      case CMD_ENABLE_AUX:
        this.config &= ~0x20;
        break;
      default:
        // 0xF0-0xFF pulse output-port lines low for 6 us; bit 0 low is the CPU reset line.
        if (command >= 0xf0 && (command & 1) === 0) this.onReset();
        else if (command === CMD_PULSE_RESET) this.onReset();
    }
  }

  private setOutputPort(value: number): void {
    this.outputPort = value;
    if ((value & OUTPUT_PORT_RESET) === 0) this.onReset(); // the reset line driven low
  }
}
