import { describe, expect, it } from 'vitest';
import { cpuIoFrom, IoBus, mmioBus, portBus, type AccessSize, type BusDevice } from '../../hypervisor/bus/io-bus.js';

/** A device that logs its accesses and answers reads with a function of offset and size. */
function probe(name: string, answer = (offset: number, size: AccessSize) => 0x10 * size + offset) {
  const log: string[] = [];
  const device: BusDevice = {
    name,
    read: (offset, size) => (log.push(`r${size}@${offset}`), answer(offset, size)),
    write: (offset, size, value) => void log.push(`w${size}@${offset}=${value.toString(16)}`),
  };
  return { device, log };
}

describe('IoBus', () => {
  it('routes accesses to the device with the offset into its range', () => {
    const bus = portBus();
    const a = probe('uart');
    const b = probe('pic');
    bus.register(0x3f8, 8, a.device);
    bus.register(0x20, 2, b.device);
    expect(bus.read(0x3fd, 1)).toBe(0x15);
    bus.write(0x21, 1, 0xfb);
    bus.write(0x3f8, 2, 0x1234);
    expect(a.log).toEqual(['r1@5', 'w2@0=1234']);
    expect(b.log).toEqual(['w1@1=fb']);
    expect(bus.map.map((r) => r.device.name)).toEqual(['pic', 'uart']);
  });

  it('narrows values to the access width, 32-bit ones signed like GuestMemory', () => {
    const bus = portBus();
    bus.register(0, 4, probe('wide', () => 0xfffff_abcd).device);
    expect(bus.read(0, 1)).toBe(0xcd);
    expect(bus.read(0, 2)).toBe(0xabcd);
    expect(bus.read(0, 4)).toBe(0xffffabcd | 0);
  });

  it('rejects overlapping ranges naming both devices, in either order of registration', () => {
    const bus = portBus();
    bus.register(0x40, 4, probe('pit').device);
    expect(() => bus.register(0x43, 2, probe('speaker').device)).toThrow(/speaker at 0x43\+0x2 overlaps pit at 0x40-0x43/);
    expect(() => bus.register(0x3e, 3, probe('early').device)).toThrow(/early .* overlaps pit/);
    expect(() => bus.register(0x30, 0x100, probe('huge').device)).toThrow(/huge .* overlaps pit/);
    bus.register(0x44, 1, probe('adjacent').device); // touching is not overlapping
    bus.register(0x3f, 1, probe('before').device);
  });

  it('rejects zero-size ranges and ranges outside the address space', () => {
    const bus = portBus();
    expect(() => bus.register(0x80, 0, probe('empty').device)).toThrow(/empty at 0x80\+0x0: a range needs a positive/);
    expect(() => bus.register(0xfffe, 4, probe('tail').device)).toThrow(/tail .* leaves the address space/);
    expect(() => bus.register(-1, 2, probe('neg').device)).toThrow(/neg/);
  });

  it('reads all ones and ignores writes where nothing is registered, counting both per address', () => {
    const bus = portBus();
    bus.register(0x60, 1, probe('kbd').device);
    expect(bus.read(0x61, 1)).toBe(0xff);
    expect(bus.read(0x61, 2)).toBe(0xffff);
    expect(bus.read(0x80, 4)).toBe(-1);
    bus.write(0x80, 1, 0x55);
    bus.write(0x80, 1, 0x56);
    expect(bus.unassignedAccesses()).toEqual([
      { address: 0x61, reads: 2, writes: 0 },
      { address: 0x80, reads: 1, writes: 2 },
    ]);
  });

  it('counts accesses per device in registration order, and unassigned ones in the last slot', () => {
    const bus = mmioBus();
    bus.register(0xfee00000, 0x1000, probe('lapic').device);
    bus.register(0xfec00000, 0x1000, probe('ioapic').device);
    bus.register(0xfff00000, 0x1000, probe('late').device); // beyond the counters: not counted
    const counts = new Uint32Array(3);
    bus.countByDevice(counts);
    bus.read(0xfee00020, 4);
    bus.write(0xfee000b0, 4, 0);
    bus.write(0xfec00000, 4, 1);
    bus.read(0xfff00000, 4);
    bus.read(0xd0000000, 4);
    bus.read(0xd0000004, 1);
    expect([...counts]).toEqual([2, 1, 2]);
    expect(bus.deviceNames()).toEqual(['lapic', 'ioapic', 'late']);
    expect(() => bus.countByDevice(new Uint32Array(0))).toThrow(/unassigned slot/);
  });

  it('finds every range among many by binary search, and nothing in the gaps', () => {
    const bus = new IoBus('test', 0x10000);
    for (let i = 0; i < 200; i++) bus.register(((i * 37) % 200) * 16, 8, probe(`d${(i * 37) % 200}`).device);
    for (let i = 0; i < 200; i++) {
      expect(bus.find(i * 16)?.device.name).toBe(`d${i}`);
      expect(bus.find(i * 16 + 7)?.device.name).toBe(`d${i}`);
      expect(bus.find(i * 16 + 8)).toBeUndefined();
    }
  });

  it('makes a CpuIo from a port bus and an MMIO bus', () => {
    const ports = portBus();
    const mmio = mmioBus();
    const p = probe('port');
    const m = probe('lapic');
    ports.register(0x70, 2, p.device);
    mmio.register(0xfee0_0000, 0x1000, m.device);
    const io = cpuIoFrom(ports, mmio);
    expect(io.portRead(0x71, 1)).toBe(0x11);
    io.mmioWrite(0xfee0_00b0 | 0, 4, 0); // a signed address from the CPU still finds the device
    expect(io.mmioRead(0xfee0_0020, 4)).toBe(0x40 + 0x20);
    expect(io.mmioRead(0xfec0_0000, 4)).toBe(-1);
    expect(m.log).toEqual(['w4@176=0', 'r4@32']);
    expect(p.log).toEqual(['r1@1']);
  });
});
