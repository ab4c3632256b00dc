import { describe, expect, it } from 'vitest';
import { mmioBus, portBus, type AccessSize } from '../../hypervisor/bus/io-bus.js';
import { IOAPIC_BASE } from '../../hypervisor/devices/ioapic.js';
import { LAPIC_BASE } from '../../hypervisor/devices/lapic.js';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { ACPI_RSDP } from '../../hypervisor/vm/acpi.js';
import { MP_FLOATING_POINTER } from '../../hypervisor/vm/mptable.js';
import { PcPlatform, writeFirmwareTables } from '../../hypervisor/vm/pc.js';

/** Two vCPUs' platforms over one shared state, as two vCPU workers build them. */
function twoVcpus() {
  let now = 0;
  const woken: number[] = [];
  const state = PcPlatform.createState(2);
  const make = (vcpuId: number) => {
    const pc = new PcPlatform({ memoryBytes: 32 << 20, clock: { now: () => now }, onReset: () => {}, state, vcpuId, wake: (v) => woken.push(v), epochSeconds: 0 });
    const ports = portBus();
    const mmio = mmioBus();
    pc.attach(ports, mmio);
    return { pc, ports, mmio };
  };
  return { bsp: make(0), ap: make(1), woken, advance: (ns: number) => (now += ns) };
}

const sum8 = (bytes: Uint8Array) => bytes.reduce((s, b) => (s + b) & 0xff, 0);

describe('the PC platform', () => {
  it('wires each ISA IRQ to its PIC input and IOAPIC pin (IRQ 0 on pin 2), and the PIC wakes the boot vCPU', () => {
    const { bsp, ap, woken } = twoVcpus();
    const { ports, mmio } = bsp;
    // PIC: ICW1-4, vectors 0x20/0x28, everything unmasked on the master.
    for (const [port, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 0x04], [0x21, 0x01], [0xa0, 0x11], [0xa1, 0x28], [0xa1, 0x02], [0xa1, 0x01], [0x21, 0x00]] as const) ports.write(port, 1, v);
    // IOAPIC pin 2 -> vector 0x30 on APIC 1, edge, unmasked.
    mmio.write(IOAPIC_BASE, 4, 0x10 + 2 * 2);
    mmio.write(IOAPIC_BASE + 0x10, 4, 0x30);
    mmio.write(IOAPIC_BASE, 4, 0x10 + 2 * 2 + 1);
    mmio.write(IOAPIC_BASE + 0x10, 4, 1 << 24);
    ap.mmio.write(LAPIC_BASE + 0xf0, 4, 0x1ff); // the AP's APIC software-enabled
    woken.length = 0;
    bsp.pc.irq(0).raise();
    expect(woken).toContain(0); // INT rose: the boot vCPU is woken to take it
    expect(woken).toContain(1); // the IOAPIC's message went to APIC 1
    expect(bsp.pc.lapic.pending()).toBe(true); // through LINT0's virtual wire
    expect(bsp.pc.lapic.acknowledge()).toBe(0x20);
    expect(ap.pc.lapic.pending()).toBe(true);
    expect(ap.pc.lapic.acknowledge()).toBe(0x30);
    expect(() => bsp.pc.irq(16)).toThrow(/no ISA IRQ 16/);
  });

  it('an IPI from one vCPU reaches the other through the shared local APIC state', () => {
    const { bsp, ap, woken } = twoVcpus();
    ap.mmio.write(LAPIC_BASE + 0xf0, 4, 0x1ff);
    woken.length = 0;
    bsp.mmio.write(LAPIC_BASE + 0x310, 4, 1 << 24);
    bsp.mmio.write(LAPIC_BASE + 0x300, 4, 0x45);
    expect(woken).toEqual([1]);
    expect(ap.pc.lapic.acknowledge()).toBe(0x45);
    expect(bsp.pc.lapic.pending()).toBe(false);
  });

  it('writes MP and ACPI tables with valid checksums that list every vCPU, and none without a BIOS area', () => {
    const memory = new GuestMemory(4 << 20);
    writeFirmwareTables(memory, 32);
    const mp = memory.u8.subarray(MP_FLOATING_POINTER, MP_FLOATING_POINTER + 16);
    expect(Buffer.from(mp.subarray(0, 4)).toString()).toBe('_MP_');
    expect(sum8(mp)).toBe(0);
    const config = memory.read32(MP_FLOATING_POINTER + 4);
    const length = memory.read16(config + 4);
    expect(Buffer.from(memory.u8.subarray(config, config + 4)).toString()).toBe('PCMP');
    expect(sum8(memory.u8.subarray(config, config + length))).toBe(0);
    let processors = 0;
    for (let at = config + 44; at < config + length; ) {
      const type = memory.read8(at);
      if (type === 0) expect(memory.read8(at + 1)).toBe(processors++);
      at += type === 0 ? 20 : 8;
    }
    expect(processors).toBe(32);
    expect(config + length).toBeLessThanOrEqual(ACPI_RSDP); // the MP tables leave room for ACPI's

    const rsdp = memory.u8.subarray(ACPI_RSDP, ACPI_RSDP + 20);
    expect(Buffer.from(rsdp.subarray(0, 8)).toString()).toBe('RSD PTR ');
    expect(sum8(rsdp)).toBe(0);
    const rsdt = memory.read32(ACPI_RSDP + 16);
    expect(sum8(memory.u8.subarray(rsdt, rsdt + memory.read32(rsdt + 4)))).toBe(0);
    const madt = memory.read32(rsdt + 36);
    const madtLength = memory.read32(madt + 4);
    expect(Buffer.from(memory.u8.subarray(madt, madt + 4)).toString()).toBe('APIC');
    expect(sum8(memory.u8.subarray(madt, madt + madtLength))).toBe(0);
    let localApics = 0;
    for (let at = madt + 44; at < madt + madtLength; at += memory.read8(at + 1)) if (memory.read8(at) === 0) localApics++;
    expect(localApics).toBe(32);

    const small = new GuestMemory(512 << 10);
    writeFirmwareTables(small, 1);
    expect(small.u8.every((b) => b === 0)).toBe(true);
  });

  it('survives any guest access: random reads and writes of every size to every device never throw', () => {
    const { bsp, ap, advance } = twoVcpus();
    // A small deterministic generator (xorshift32), so a failure reproduces.
    let seed = 0x9e3779b9;
    const random = () => ((seed ^= seed << 13), (seed ^= seed >>> 17), (seed ^= seed << 5), seed >>> 0);
    const sizes: AccessSize[] = [1, 2, 4];
    const targets = [...bsp.ports.map, ...bsp.mmio.map].map((r) => ({ range: r, mmio: r.base >= 0x10000 }));
    for (let i = 0; i < 200_000; i++) {
      const { range, mmio } = targets[random() % targets.length]!;
      const side = random() & 1 ? bsp : ap;
      const bus = mmio ? side.mmio : side.ports;
      const address = range.base + (random() % range.size);
      const size = sizes[random() % 3]!;
      // Reads must come back as numbers of the access width; writes must be taken whatever the value.
      if (random() & 1) {
        const value = bus.read(address, size);
        expect(Number.isInteger(value)).toBe(true);
      } else bus.write(address, size, random() | 0);
      if (i % 64 === 0) {
        advance(random() % 5_000_000);
        for (const pc of [bsp.pc, ap.pc]) {
          pc.update();
          if (pc.lapic.pending()) pc.lapic.acknowledge();
          pc.nextEventNs();
        }
      }
    }
  });
});
