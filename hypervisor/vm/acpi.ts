import { ByteWriter, checksum8 } from '../base/bytes.js';
import { IOAPIC_BASE } from '../devices/ioapic.js';
import { LAPIC_BASE } from '../devices/lapic.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { MP_TABLES_END } from './mptable.js';

/**
 * The ACPI tables an unmodified guest reads its processors and interrupt wiring from when it prefers ACPI
 * to the MP tables (ACPI 6.x, section 5.2): the RSDP a guest finds by scanning 0xe0000-0xfffff for
 * "RSD PTR ", an RSDT, and the MADT ("APIC"). Only what describes the PC platform's interrupt
 * controllers: pvrt has no power management, PCI or AML, so there is no FADT or DSDT.
 */

/** The RSDP, 16-byte aligned in the BIOS area after the MP tables; the RSDT and MADT follow it. */
export const ACPI_RSDP = MP_TABLES_END;
const RSDT = ACPI_RSDP + 0x20;
const MADT = RSDT + 0x40;

export interface AcpiDescription {
  /** Processors, APIC IDs (and ACPI processor UIDs) 0..cpus-1. */
  readonly cpus: number;
  readonly ioapicId: number;
}

const OEM_ID = 'PVRT';
const OEM_TABLE_ID = 'PVRTPC';

/** The 36-byte header every ACPI system description table starts with; the length and checksum are patched in. */
function header(signature: string, revision: number): ByteWriter {
  return new ByteWriter()
    .text(signature, 4)
    .u32(0) // length, set by finish()
    .u8(revision)
    .u8(0) // checksum, set by finish()
    .text(OEM_ID, 6)
    .text(OEM_TABLE_ID, 8)
    .u32(1) // OEM revision
    .text('PVRT', 4) // creator ID
    .u32(1); // creator revision
}

function finish(table: ByteWriter): number[] {
  const bytes = table.out;
  const length = bytes.length;
  for (let i = 0; i < 4; i++) bytes[4 + i] = (length >>> (8 * i)) & 0xff;
  bytes[9] = checksum8(bytes);
  return bytes;
}

const MADT_LOCAL_APIC = 0;
const MADT_IOAPIC = 1;
const MADT_INTERRUPT_OVERRIDE = 2;
const MADT_LOCAL_APIC_NMI = 4;
const MADT_PCAT_COMPAT = 1; // there are 8259s too: a guest that uses the APICs masks them
const ENABLED = 1;

function madt(d: AcpiDescription): number[] {
  const t = header('APIC', 1).u32(LAPIC_BASE).u32(MADT_PCAT_COMPAT);
  for (let id = 0; id < d.cpus; id++) t.u8(MADT_LOCAL_APIC).u8(8).u8(id).u8(id).u32(ENABLED);
  t.u8(MADT_IOAPIC).u8(12).u8(d.ioapicId).u8(0).u32(IOAPIC_BASE).u32(0); // global system interrupts from 0
  // ISA IRQ 0 (the PIT) arrives on GSI 2; flags 0: the ISA bus's edge, active high.
  t.u8(MADT_INTERRUPT_OVERRIDE).u8(10).u8(0).u8(0).u32(2).u16(0);
  // LINT1 of every processor (UID 0xff) is NMI.
  t.u8(MADT_LOCAL_APIC_NMI).u8(6).u8(0xff).u16(0).u8(1);
  return finish(t);
}

/** Writes the RSDP, RSDT and MADT into guest RAM's BIOS area. */
export function writeAcpiTables(memory: GuestMemory, description: AcpiDescription): void {
  const rsdt = finish(header('RSDT', 1).u32(MADT));
  const rsdp = new ByteWriter().text('RSD PTR ', 8).u8(0).text(OEM_ID, 6).u8(0).u32(RSDT).out; // revision 0 (ACPI 1.0): 20 bytes
  rsdp[8] = checksum8(rsdp);
  const table = madt(description);
  if (RSDT + rsdt.length > MADT || !memory.contains(ACPI_RSDP, MADT + table.length - ACPI_RSDP)) {
    throw new RangeError(`acpi: guest RAM (${memory.size} bytes) does not hold the tables at 0x${ACPI_RSDP.toString(16)}`);
  }
  memory.writeBytes(ACPI_RSDP, rsdp);
  memory.writeBytes(RSDT, rsdt);
  memory.writeBytes(MADT, table);
}
