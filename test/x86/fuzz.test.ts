import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { Cpu } from '../../hypervisor/x86/cpu.js';
import { CR0_PE, CR0_PG, CS, DS, ES, ESP, Exit, FS, GS, SS } from '../../hypervisor/x86/state.js';
import { random } from '../helpers.js';

const SEQUENCES_PER_MODE = Number(process.env.PVRT_FUZZ_SEQUENCES ?? 25_000);
const CODE = 0x10000;
/** 16-bit protected-mode code lives inside its 64 KiB segment. */
const CODE16 = 0xa000;
const HANDLER = 0x8000;
const GDT = 0x1000;
const IDT = 0x2000;
const TSS = 0x3000;
const PAGE_DIRECTORY = 0x4000;
const PAGE_TABLE = 0x5000;

type Mode = 'real' | 'protected16' | 'protected32' | 'ring3';

/** An 8-byte segment descriptor: base, limit (bytes, or pages when granular), type byte, flags nibble. */
function descriptor(memory: GuestMemory, index: number, base: number, limit: number, access: number, flags: number): void {
  const at = GDT + index * 8;
  memory.write32(at, ((base & 0xffff) << 16) | (limit & 0xffff));
  memory.write32(at + 4, (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff));
}

/**
 * A machine in the given mode with descriptor tables whose every interrupt handler is HLT, so a guest
 * exception ends the run in a way the test can see.
 */
function setUp(mode: Mode): { cpu: Cpu; memory: GuestMemory; reset: () => void } {
  const memory = new GuestMemory(0x200000);
  const cpu = new Cpu(memory);
  // GDT: null, code32 (8), data32 (0x10), code16 (0x18), data16 (0x20), user code (0x2b), user data (0x33), TSS (0x38).
  descriptor(memory, 1, 0, 0xfffff, 0x9a, 0xc);
  descriptor(memory, 2, 0, 0xfffff, 0x92, 0xc);
  descriptor(memory, 3, 0, 0xffff, 0x9a, 0x0);
  descriptor(memory, 4, 0, 0xffff, 0x92, 0x0);
  descriptor(memory, 5, 0, 0xfffff, 0xfa, 0xc);
  descriptor(memory, 6, 0, 0xfffff, 0xf2, 0xc);
  descriptor(memory, 7, TSS, 0x67, 0x89, 0x0);
  memory.write32(TSS + 4, 0x9000); // ESP0
  memory.write32(TSS + 8, 0x10); // SS0
  for (let v = 0; v < 256; v++) {
    const selector = mode === 'protected16' ? 0x18 : 0x08;
    const type = mode === 'protected16' ? 0x86 : 0x8e;
    memory.write32(IDT + v * 8, (selector << 16) | (HANDLER & 0xffff));
    memory.write32(IDT + v * 8 + 4, (HANDLER & 0xffff0000) | (type << 8));
    memory.write32(v * 4, (0 << 16) | HANDLER); // real-mode IVT: 0000:HANDLER
  }
  memory.write8(HANDLER, 0xf4); // HLT
  for (let i = 0; i < 1024; i++) memory.write32(PAGE_TABLE + i * 4, (i << 12) | 7);
  memory.write32(PAGE_DIRECTORY, PAGE_TABLE | 7);
  const snapshot = memory.readBytes(0, 0x10000);

  const reset = () => {
    memory.writeBytes(0, snapshot);
    cpu.reset();
    if (mode === 'real') {
      cpu.loadRealSegment(CS, CODE >> 4);
      cpu.eip = 0;
      cpu.regs[ESP] = 0x7000;
      return;
    }
    cpu.gdtBase = GDT;
    cpu.gdtLimit = 0x3f;
    cpu.idtBase = IDT;
    cpu.idtLimit = 0x7ff;
    cpu.setCr0(cpu.cr0 | CR0_PE);
    if (mode === 'ring3') {
      cpu.setCr3(PAGE_DIRECTORY);
      cpu.setCr0(cpu.cr0 | CR0_PG);
      cpu.trSelector = 0x38;
      cpu.trBase = TSS;
      cpu.trLimit = 0x67;
      cpu.trType = 0xb;
    }
    const [code, data] = mode === 'protected16' ? [0x18, 0x20] : mode === 'ring3' ? [0x2b, 0x33] : [0x08, 0x10];
    cpu.cpl = mode === 'ring3' ? 3 : 0;
    const [cLow, cHigh] = [memory.read32(GDT + (code & ~7)), memory.read32(GDT + (code & ~7) + 4)];
    const [dLow, dHigh] = [memory.read32(GDT + (data & ~7)), memory.read32(GDT + (data & ~7) + 4)];
    cpu.setSegmentFromDescriptor(CS, code, cLow, cHigh);
    for (const seg of [SS, DS, ES, FS, GS]) cpu.setSegmentFromDescriptor(seg, data, dLow, dHigh);
    cpu.eip = mode === 'protected16' ? CODE16 : CODE;
    cpu.regs[ESP] = 0x7000;
  };
  return { cpu, memory, reset };
}

describe('chaos: random byte sequences', () => {
  for (const mode of ['real', 'protected16', 'protected32', 'ring3'] as const) {
    it(`never throw into the host in ${mode} mode, and always end in a guest-visible outcome`, () => {
      const { cpu, memory, reset } = setUp(mode);
      const rand = random({ real: 1, protected16: 2, protected32: 3, ring3: 4 }[mode]);
      const outcomes = { completed: 0, halted: 0, shutdown: 0 };
      const code = new Uint8Array(48);
      for (let n = 0; n < SEQUENCES_PER_MODE; n++) {
        reset();
        for (let i = 0; i < code.length; i++) code[i] = Math.floor(rand() * 256);
        memory.writeBytes(mode === 'protected16' ? CODE16 : CODE, code);
        for (let r = 0; r < 8; r++) if (r !== ESP) cpu.regs[r] = rand() < 0.5 ? Math.floor(rand() * 0x20000) : (rand() * 2 ** 32) | 0;
        let exit: Exit;
        try {
          exit = cpu.run(24);
        } catch (err) {
          const hex = [...code].map((b) => b.toString(16).padStart(2, '0')).join(' ');
          throw new Error(`${mode} sequence ${n} threw into the host: ${(err as Error).stack}\n  bytes: ${hex}`);
        }
        if (exit === Exit.Budget || exit === Exit.Requested) outcomes.completed++;
        else if (exit === Exit.Hlt) outcomes.halted++;
        else if (exit === Exit.Shutdown) {
          outcomes.shutdown++;
          expect(cpu.shutdownInfo?.reason).toMatch(/^triple fault/);
        } else throw new Error(`unexpected exit ${exit}`);
      }
      console.log(`fuzz ${mode}: ${SEQUENCES_PER_MODE} sequences: ${outcomes.completed} ran out their budget, ${outcomes.halted} halted (a guest exception reaches a HLT handler), ${outcomes.shutdown} triple faults`);
      expect(outcomes.completed + outcomes.halted + outcomes.shutdown).toBe(SEQUENCES_PER_MODE);
      // Random code faults most of the time: the handlers must see those faults.
      expect(outcomes.halted).toBeGreaterThan(SEQUENCES_PER_MODE / 4);
    });
  }
});
