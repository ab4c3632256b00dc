/**
 * The APIC bus: how interrupt messages travel between the IOAPIC and the local APICs, and between local
 * APICs (IPIs). The message format is the one the IOAPIC's redirection entries and the local APIC's ICR
 * share. Whoever sends a message sees only this interface; which vCPUs it reaches, and how a sleeping
 * one is woken, is the bus's business (vm/apic-system.ts).
 */

/** Delivery modes, as encoded in bits 8-10 of a redirection entry or the ICR. */
export const enum DeliveryMode {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  Nmi = 4,
  Init = 5,
  StartUp = 6,
  ExtInt = 7,
}

export interface ApicMessage {
  /** The vector (Fixed, LowestPriority) or the start-up page (StartUp). */
  readonly vector: number;
  readonly mode: DeliveryMode;
  /** Logical destination mode (the destination is a bit mask matched against each LDR); physical when false. */
  readonly logical: boolean;
  /** 8-bit destination: an APIC ID in physical mode (0xff: every APIC), a mask in logical mode. */
  readonly destination: number;
  /** Level-triggered: the receiving local APIC sets the vector's TMR bit and broadcasts its EOI. */
  readonly level: boolean;
}

/** Where a message goes. */
export interface ApicBus {
  deliver(message: ApicMessage): void;
}

/** Decodes the message fields shared by a redirection entry's low word and the ICR's low word. */
export function messageFrom(low: number, destination: number): ApicMessage {
  return {
    vector: low & 0xff,
    mode: ((low >>> 8) & 7) as DeliveryMode,
    logical: (low & 0x800) !== 0,
    destination: destination & 0xff,
    level: (low & 0x8000) !== 0,
  };
}
