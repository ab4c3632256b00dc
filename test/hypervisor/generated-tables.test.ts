import { describe, expect, it } from 'vitest';
import * as i386 from '../../hypervisor/hypercall/generated/i386.js';
import { EventNumber, Hypercall, hypercallByNumber, HYPERCALLS, ShutdownReason, Status, Structs } from '../../hypervisor/hypercall/generated/interface.js';
import { defaultSpecRoot } from '../../toolchain/src/paths.js';
import { loadSpec } from '../../toolchain/src/spec/load.js';
import { allHypercalls } from '../../toolchain/src/spec/model.js';

// x86 register-file order: eax, ecx, edx, ebx, esp, ebp, esi, edi.
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6, EDI = 7;
const regs = (set: Partial<Record<number, number>>): Int32Array => {
  const r = new Int32Array(8);
  for (const [i, v] of Object.entries(set)) r[Number(i)] = v!;
  return r;
};

describe('generated i386 tables', () => {
  it('follow the i386 convention: number and status in eax, arguments from ebx, values in edx then ecx', () => {
    expect(i386.NUMBER_REGISTER).toBe(EAX);
    expect(i386.STATUS_REGISTER).toBe(EAX);
    expect(i386.ARG_REGISTERS).toEqual([EBX, ECX, EDX, ESI, EDI]);
    expect(i386.VALUE_REGISTERS).toEqual([EDX, ECX]);
  });

  it('decode a 64-bit deadline from two registers, low word first, unsigned', () => {
    const deadline = 5_000_000_123 + 2 ** 40;
    expect(i386.decodeTimerSet(regs({ [EBX]: deadline % 2 ** 32 | 0, [ECX]: Math.floor(deadline / 2 ** 32) })).deadline).toBe(deadline);
    // All ones is "never": 2^64 - 1 rounds to 2^64, still beyond any reachable time.
    expect(i386.decodeTimerSet(regs({ [EBX]: -1, [ECX]: -1 })).deadline).toBe(2 ** 64);
  });

  it('decode addresses and lengths as unsigned 32-bit values in argument order', () => {
    const r = regs({ [EBX]: 0x8000_0000 | 0, [ECX]: 42, [EDX]: 7 });
    expect(i386.decodeConsoleWrite(r)).toEqual({ buffer: 0x8000_0000, length: 42 });
    expect(i386.decodeDebugLog(r)).toEqual({ level: 0x8000_0000, message: 42, length: 7 });
    expect(i386.decodeVcpuStart(regs({ [EBX]: 1, [ECX]: 0x1000, [EDX]: 0x9000, [ESI]: -2 }))).toEqual({ vcpu: 1, entry: 0x1000, stack: 0x9000, argument: 2 ** 32 - 2 });
  });

  it('say how many value words each call writes', () => {
    expect(i386.VALUE_WORDS.clock_read).toBe(2);
    expect(i386.VALUE_WORDS.console_write).toBe(1);
    expect(i386.VALUE_WORDS.timer_set).toBe(0);
  });
});

describe('generated interface constants', () => {
  const { spec } = loadSpec(defaultSpecRoot());

  it('match the spec they were generated from', () => {
    expect(Object.keys(Hypercall)).toHaveLength(allHypercalls(spec).length);
    for (const { call } of allHypercalls(spec)) {
      expect(Hypercall[call.name as keyof typeof Hypercall]).toBe(call.number);
      expect(hypercallByNumber[call.number]?.name).toBe(call.name);
    }
    for (const s of spec.statuses) expect(Status[s.name as keyof typeof Status]).toBe(s.value);
    for (const e of spec.events) expect(EventNumber[e.name as keyof typeof EventNumber]).toBe(e.number);
    expect(ShutdownReason).toEqual({ POWEROFF: 0, REBOOT: 1, CRASH: 2 });
  });

  it('describe what each pointer argument reaches, for the dispatcher to check', () => {
    const write = HYPERCALLS.find((h) => h.name === 'console_write')!;
    expect(write.args[0]).toEqual({ name: 'buffer', type: 'gpa', dir: 'in', target: { kind: 'bytes', lengthArg: 'length', maxLength: 4096 } });
    const read = HYPERCALLS.find((h) => h.name === 'block_read')!;
    expect(read.args[0]!.target).toEqual({ kind: 'struct', struct: 'block_request' });
    expect(Structs.block_request.size).toBe(40);
    expect(Structs.vcpu_shared.offset.time).toBe(32);
    expect(Structs.vcpu_shared.fieldSize.time).toBe(32);
  });
});
