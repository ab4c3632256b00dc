import { describe, expect, it } from 'vitest';
import { portBus } from '../../hypervisor/bus/io-bus.js';
import { DebugConsole, DebugExit, debugExitCode } from '../../hypervisor/devices/debug-exit.js';

describe('isa-debug-exit', () => {
  it('reports (value << 1) | 1 for writes of every width, and never exits the process', () => {
    const exits: [number, number][] = [];
    const bus = portBus();
    bus.register(0xf4, 4, new DebugExit((code, value) => exits.push([code, value])));
    bus.write(0xf4, 1, 0);
    bus.write(0xf4, 1, 0x31);
    bus.write(0xf5, 2, 0x1234);
    bus.write(0xf4, 4, 0x7fffffff);
    expect(exits).toEqual([
      [1, 0],
      [0x63, 0x31],
      [0x2469, 0x1234],
      [0xffffffff, 0x7fffffff],
    ]);
    expect(bus.read(0xf4, 1)).toBe(0); // as QEMU 7.2 answers
  });

  it('gives the exit status QEMU gives in its low byte', () => {
    expect(debugExitCode(0) & 0xff).toBe(1);
    expect(debugExitCode(1) & 0xff).toBe(3);
    expect(debugExitCode(0x80) & 0xff).toBe(1);
  });
});

describe('0xe9 debug console', () => {
  it('passes written bytes to the sink and reads back 0xe9', () => {
    const out: number[] = [];
    const bus = portBus();
    bus.register(0xe9, 1, new DebugConsole((b) => out.push(b)));
    for (const c of 'hi\n') bus.write(0xe9, 1, c.charCodeAt(0));
    bus.write(0xe9, 2, 0x4142);
    expect(Buffer.from(out).toString('latin1')).toBe('hi\nB');
    expect(bus.read(0xe9, 1)).toBe(0xe9);
  });
});
