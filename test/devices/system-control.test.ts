import { afterEach, describe, expect, it } from 'vitest';
import { checkLockRanks, LockRank, RankedLock, RankViolation } from '../../hypervisor/base/lock.js';
import { portBus } from '../../hypervisor/bus/io-bus.js';
import { I8042, I8042_COMMAND, I8042_DATA, Port92, PORT_92 } from '../../hypervisor/devices/system-control.js';

/** One vCPU's view of the two devices; machines built over the same states share them. */
function machine(port92State = Port92.createState(), i8042State = I8042.createState(), resets: string[] = []) {
  const bus = portBus();
  bus.register(PORT_92, 1, new Port92(() => resets.push('port92'), port92State));
  const i8042 = new I8042(() => resets.push('i8042'), i8042State);
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

  it('is one port across two instances over the same state, each with its own reset callback', () => {
    const state = Port92.createState();
    expect(state.length).toBe(Port92.STATE_WORDS);
    expect(state.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = machine(state);
    const b = machine(state);
    a.bus.write(PORT_92, 1, 0x00);
    expect(b.bus.read(PORT_92, 1)).toBe(0x00);
    b.bus.write(PORT_92, 1, 0x01);
    a.bus.write(PORT_92, 1, 0x03); // bit 0 already high through b: no edge
    expect([a.resets, b.resets]).toEqual([[], ['port92']]);
    expect(b.bus.read(PORT_92, 1)).toBe(0x03);
    expect(state[0]).toBe(0);
    expect(() => new Port92(() => {}, new Int32Array(new SharedArrayBuffer(4)))).toThrow(RangeError);
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

  it('is one controller across two instances over the same state, each with its own reset callback', () => {
    const state = I8042.createState();
    expect(state.length).toBe(I8042.STATE_WORDS);
    const a = machine(undefined, state);
    const b = machine(undefined, state);
    a.bus.write(I8042_COMMAND, 1, 0xaa);
    expect(b.bus.read(I8042_COMMAND, 1) & 0x09).toBe(0x09); // output full, last write a command
    expect(b.bus.read(I8042_DATA, 1)).toBe(0x55);
    expect(a.bus.read(I8042_COMMAND, 1) & 0x01).toBe(0);
    a.bus.write(I8042_COMMAND, 1, 0x60);
    b.bus.write(I8042_DATA, 1, 0x25); // the data byte for a's command
    b.bus.write(I8042_COMMAND, 1, 0x20);
    expect(a.bus.read(I8042_DATA, 1)).toBe(0x25);
    b.bus.write(I8042_COMMAND, 1, 0xd1);
    a.bus.write(I8042_DATA, 1, 0x02);
    expect([a.resets, b.resets]).toEqual([['i8042'], []]); // the write that drove the line low resets
    expect(state[0]).toBe(0);
    expect(() => new I8042(() => {}, new Int32Array(new SharedArrayBuffer(8)))).toThrow(RangeError);
  });
});

describe('locking', () => {
  afterEach(() => checkLockRanks(false));

  it('takes a device-rank lock on every port access, and calls the reset callback with it released', () => {
    const port92State = Port92.createState();
    const i8042State = I8042.createState();
    const seen: number[] = [];
    const m = machine(port92State, i8042State);
    const peer = new RankedLock('uart', LockRank.Device, new Int32Array(new SharedArrayBuffer(4)), 0);
    checkLockRanks(true);
    for (const port of [PORT_92, I8042_DATA, I8042_COMMAND]) {
      expect(() => peer.with(() => m.bus.read(port, 1)), `read ${port}`).toThrow(RankViolation);
      expect(() => peer.with(() => m.bus.write(port, 1, 0)), `write ${port}`).toThrow(RankViolation);
    }
    // A reset that reads the devices back (as a machine reset may) finds their locks free.
    const bus = portBus();
    const onReset = () => seen.push(port92State[0]!, i8042State[0]!, bus.read(PORT_92, 1), bus.read(I8042_COMMAND, 1));
    const i8042 = new I8042(onReset, i8042State);
    bus.register(PORT_92, 1, new Port92(onReset, port92State));
    bus.register(I8042_DATA, 1, i8042.dataPort);
    bus.register(I8042_COMMAND, 1, i8042.commandPort);
    bus.write(PORT_92, 1, 0x01);
    bus.write(I8042_COMMAND, 1, 0xfe);
    expect(seen).toEqual([0, 0, 0x01, 0x04, 0, 0, 0x01, 0x0c]); // status: the 0xFE write set the command bit
  });
});
