import type { AccessSize, BusDevice } from '../bus/io-bus.js';

/** Where QEMU's `-device isa-debug-exit` usually sits, and the Bochs/QEMU debug console port. */
export const DEBUG_EXIT_PORT = 0xf4;
export const DEBUG_EXIT_SIZE = 4;
export const DEBUG_CONSOLE_PORT = 0xe9;

/** The exit code QEMU gives for a write of `value`: (value << 1) | 1, so a guest can never fake 0. */
export const debugExitCode = (value: number): number => ((value << 1) | 1) >>> 0;

/**
 * QEMU's isa-debug-exit: any write, at any offset and width, ends the VM with (value << 1) | 1. The host
 * process status QEMU returns is that code's low byte. The device reports the exit and leaves ending the
 * VM to whoever owns it. Reads return 0, as QEMU 7.2's device does (checked with a guest).
 */
export class DebugExit implements BusDevice {
  readonly name = 'isa-debug-exit';
  constructor(private readonly onExit: (code: number, value: number) => void) {}

  read(): number {
    return 0;
  }

  write(_offset: number, size: AccessSize, value: number): void {
    const written = size === 4 ? value >>> 0 : size === 2 ? value & 0xffff : value & 0xff;
    this.onExit(debugExitCode(written), written);
  }
}

/** The 0xe9 debug console: bytes written go to the sink; a read returns 0xe9 so guests can detect it. */
export class DebugConsole implements BusDevice {
  readonly name = 'debugcon';
  constructor(private readonly output: (byte: number) => void) {}

  read(): number {
    return DEBUG_CONSOLE_PORT;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.output(value & 0xff);
  }
}
