import { describe, expect, it } from 'vitest';
import { portBus } from '../../hypervisor/bus/io-bus.js';
import { I8042, I8042_COMMAND, I8042_DATA, Port92, PORT_92 } from '../../hypervisor/devices/system-control.js';

function machine() {
  const resets: string[] = [];
  const bus = portBus();
  bus.register(PORT_92, 1, new Port92(() => resets.push('port92')));
  const i8042 = new I8042(() => resets.push('i8042'));
  bus.register(I8042_DATA, 1, i8042.dataPort);
  bus.register(I8042_COMMAND, 1, i8042.commandPort);
  return { bus, resets };
}

describe('port 0x92', () => {
  it('keeps the A20 bit and resets on a rising edge of bit 0 only', () => {
    const { bus, resets } = machine();
    expect(bus.read(PORT_92, 1)).toBe(0x02); // A20 on
    bus.write(PORT_92, 1, 0x00);
    expect(bus.read(PORT_92, 1)).toBe(0x00);
    expect(resets).toEqual([]);
    bus.write(PORT_92, 1, 0x03);
    bus.write(PORT_92, 1, 0x03); // no second edge
    expect(resets).toEqual(['port92']);
  });
});

describe('i8042 (minimal)', () => {
  it('passes the controller self-test and interface tests as firmware expects', () => {
    const { bus } = machine();
    expect(bus.read(I8042_COMMAND, 1) & 0x01).toBe(0); // output buffer empty
    bus.write(I8042_COMMAND, 1, 0xaa);
    expect(bus.read(I8042_COMMAND, 1) & 0x01).toBe(1);
    expect(bus.read(I8042_DATA, 1)).toBe(0x55);
    expect(bus.read(I8042_COMMAND, 1) & 0x01).toBe(0); // read empties it
    bus.write(I8042_COMMAND, 1, 0xab);
    expect(bus.read(I8042_DATA, 1)).toBe(0x00);
  });

  it('reads and writes the configuration byte and the output port', () => {
    const { bus, resets } = machine();
    bus.write(I8042_COMMAND, 1, 0x60);
    bus.write(I8042_DATA, 1, 0x25);
    bus.write(I8042_COMMAND, 1, 0x20);
    expect(bus.read(I8042_DATA, 1)).toBe(0x25);
    bus.write(I8042_COMMAND, 1, 0xd0);
    expect(bus.read(I8042_DATA, 1)).toBe(0x03); // reset line high, A20 on
    bus.write(I8042_COMMAND, 1, 0xd1);
    bus.write(I8042_DATA, 1, 0x01); // A20 off, no reset
    expect(resets).toEqual([]);
    bus.write(I8042_COMMAND, 1, 0xd1);
    bus.write(I8042_DATA, 1, 0x00); // reset line low
    expect(resets).toEqual(['i8042']);
  });

  it('restarts the machine on the 0xFE reset pulse, and ignores unknown commands', () => {
    const { bus, resets } = machine();
    bus.write(I8042_COMMAND, 1, 0x12);
    bus.write(I8042_COMMAND, 1, 0xff); // pulses no line low
    expect(resets).toEqual([]);
    bus.write(I8042_COMMAND, 1, 0xfe);
    expect(resets).toEqual(['i8042']);
  });
});
