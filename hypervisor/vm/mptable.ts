import { ByteWriter, checksum8 } from '../base/bytes.js';
import { IOAPIC_BASE } from '../devices/ioapic.js';
import { LAPIC_BASE } from '../devices/lapic.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { CPUID_FEATURES_EDX, CPUID_SIGNATURE } from '../x86/state.js';

/**
 * The Intel MultiProcessor Specification 1.4 tables that tell an unmodified guest how many processors
 * there are and how the ISA interrupts reach the IOAPIC: the floating pointer a guest finds by scanning
 * 0xf0000-0xfffff for "_MP_", and the configuration table it points to. A PC's firmware writes them;
 * pvrt has no firmware, so the VM writes them into the BIOS area of RAM (which the multiboot memory map
 * reports as reserved) before the guest starts.
 */

/** Where the tables go: the start of the BIOS area, 16-byte aligned as the floating pointer must be. */
export const MP_FLOATING_POINTER = 0xf0000;
const MP_CONFIG_TABLE = MP_FLOATING_POINTER + 0x10;
/** The end of the space the MP tables may take (32 processors need about 0x370 bytes): the ACPI tables follow. */
export const MP_TABLES_END = MP_FLOATING_POINTER + 0x800;

export interface MpDescription {
  /** Processors, APIC IDs 0..cpus-1; the first is the boot processor. */
  readonly cpus: number;
  readonly ioapicId: number;
}

const LAPIC_VERSION = 0x14;
const IOAPIC_VERSION = 0x20;
const ISA_BUS = 0;
const ENTRY_PROCESSOR = 0;
const ENTRY_BUS = 1;
const ENTRY_IOAPIC = 2;
const ENTRY_IO_INTERRUPT = 3;
const ENTRY_LOCAL_INTERRUPT = 4;
const INT = 0;
const NMI = 1;
const EXTINT = 3;
/** Polarity and trigger "conform to the bus": ISA interrupts are edge-triggered, active high. */
const CONFORMS = 0;

/** The configuration table's entries: processors, the ISA bus, the IOAPIC, and the interrupt wiring. */
function entries(d: MpDescription): { bytes: number[]; count: number } {
  const e = new ByteWriter();
  let count = 0;
  for (let id = 0; id < d.cpus; id++, count++) {
    const flags = 1 | (id === 0 ? 2 : 0); // enabled, boot processor
    e.u8(ENTRY_PROCESSOR).u8(id).u8(LAPIC_VERSION).u8(flags).u32(CPUID_SIGNATURE).u32(CPUID_FEATURES_EDX).u32(0).u32(0);
  }
  e.u8(ENTRY_BUS).u8(ISA_BUS).text('ISA', 6);
  e.u8(ENTRY_IOAPIC).u8(d.ioapicId).u8(IOAPIC_VERSION).u8(1).u32(IOAPIC_BASE);
  count += 2;
  // ISA IRQ n on IOAPIC pin n, but the timer (IRQ 0) on pin 2.
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2) continue; // the cascade: nothing on the ISA bus raises it
    e.u8(ENTRY_IO_INTERRUPT).u8(INT).u16(CONFORMS).u8(ISA_BUS).u8(irq).u8(d.ioapicId).u8(irq === 0 ? 2 : irq);
    count++;
  }
  // Every local APIC: LINT0 takes the 8259 (virtual wire), LINT1 is NMI.
  e.u8(ENTRY_LOCAL_INTERRUPT).u8(EXTINT).u16(CONFORMS).u8(ISA_BUS).u8(0).u8(0xff).u8(0);
  e.u8(ENTRY_LOCAL_INTERRUPT).u8(NMI).u16(CONFORMS).u8(ISA_BUS).u8(0).u8(0xff).u8(1);
  count += 2;
  return { bytes: e.out, count };
}

/** Writes the floating pointer and the configuration table into guest RAM. */
export function writeMpTable(memory: GuestMemory, description: MpDescription): void {
  const { bytes: body, count } = entries(description);
  const header = new ByteWriter()
    .text('PCMP', 4)
    .u16(44 + body.length)
    .u8(4) // specification 1.4
    .u8(0) // checksum, below
    .text('PVRT', 8)
    .text('PC', 12)
    .u32(0) // no OEM table
    .u16(0)
    .u16(count)
    .u32(LAPIC_BASE)
    .u16(0) // no extended entries
    .u8(0)
    .u8(0).out;
  const table = [...header, ...body];
  table[7] = checksum8(table);
  const pointer = new ByteWriter().text('_MP_', 4).u32(MP_CONFIG_TABLE).u8(1).u8(4).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).out;
  pointer[10] = checksum8(pointer);
  if (!memory.contains(MP_FLOATING_POINTER, 16 + table.length)) throw new RangeError(`mptable: guest RAM (${memory.size} bytes) does not reach the BIOS area at 0xf0000`);
  memory.writeBytes(MP_FLOATING_POINTER, pointer);
  memory.writeBytes(MP_CONFIG_TABLE, table);
}
