/**
 * What the CPU sees of the machine besides RAM: port I/O and physical addresses outside RAM (MMIO).
 * Defined by its user, the CPU; the VM wires a bus behind it. Devices never see the CPU.
 */
export interface CpuIo {
  portRead(port: number, size: 1 | 2 | 4): number;
  portWrite(port: number, size: 1 | 2 | 4, value: number): void;
  /** A physical address outside RAM; unassigned addresses read all ones. */
  mmioRead(address: number, size: 1 | 2 | 4): number;
  mmioWrite(address: number, size: 1 | 2 | 4, value: number): void;
}

/** Model-specific registers a device implements (the local APIC's): undefined / false for indices it does not own. */
export interface MsrDevice {
  readMsr(index: number): [number, number] | undefined;
  writeMsr(index: number, low: number, high: number): boolean;
}

/** The interrupt controller as the CPU sees it: is an external interrupt waiting, and which vector. */
export interface InterruptSource {
  /** True when an external (maskable) interrupt is waiting for delivery. */
  pending(): boolean;
  /** Acknowledges the waiting interrupt and returns its vector (the INTA cycle). */
  acknowledge(): number;
}

/** An I/O space with nothing in it: reads all ones, writes vanish. */
export const EMPTY_IO: CpuIo = {
  portRead: (_port, size) => (size === 4 ? -1 : size === 2 ? 0xffff : 0xff),
  portWrite: () => {},
  mmioRead: (_address, size) => (size === 4 ? -1 : size === 2 ? 0xffff : 0xff),
  mmioWrite: () => {},
};
