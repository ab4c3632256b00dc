import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../hypervisor/memory/guest-memory.js';
import { Cpu } from '../../hypervisor/x86/cpu.js';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PSE, CS, ESP, Exit, Vector } from '../../hypervisor/x86/state.js';

const PD = 0x1000;
const PT = 0x2000;
const IDT = 0x3000;
const GDT = 0x3800;
const CODE = 0x10000;

/** A flat 32-bit ring-0 CPU with a GDT (code 0x08, data 0x10), an IDT and paging off. */
function flatCpu(): { cpu: Cpu; memory: GuestMemory } {
  const memory = new GuestMemory(0x800000);
  const cpu = new Cpu(memory);
  memory.write32(GDT + 8, 0x0000ffff);
  memory.write32(GDT + 12, 0x00cf9a00);
  memory.write32(GDT + 16, 0x0000ffff);
  memory.write32(GDT + 20, 0x00cf9200);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 23;
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  cpu.setCr0(cpu.cr0 | CR0_PE);
  cpu.setFlatSegments(8, 16, 0);
  cpu.eip = CODE;
  cpu.regs[ESP] = 0x9000;
  return { cpu, memory };
}

/** An interrupt gate for a vector, to a handler that is a single HLT. */
function gate(memory: GuestMemory, vector: number, handler: number, present = true): void {
  memory.write32(IDT + vector * 8, (0x08 << 16) | (handler & 0xffff));
  memory.write32(IDT + vector * 8 + 4, (handler & 0xffff0000) | (present ? 0x8e00 : 0x0e00));
  memory.write8(handler, 0xf4);
}

/** Identity-maps the first 4 MiB with 4 KiB pages, user and writable unless told otherwise. */
function identityPaging(cpu: Cpu, memory: GuestMemory, flags = 7): void {
  for (let i = 0; i < 1024; i++) memory.write32(PT + i * 4, (i << 12) | flags);
  memory.write32(PD, PT | 7);
  cpu.setCr3(PD);
  cpu.setCr0(cpu.cr0 | CR0_PG);
}

describe('paging', () => {
  it('raises #PF with CR2 and the error code, and sets accessed and dirty bits', () => {
    const { cpu, memory } = flatCpu();
    identityPaging(cpu, memory);
    memory.write32(PT + 0x50 * 4, 0); // page 0x50000 not present
    memory.writeBytes(CODE, [0xa1, 0x34, 0x12, 0x05, 0x00]); // mov eax, [0x51234]
    expect(cpu.step()).toBe(-1); // 0x51234 is mapped
    expect(memory.read32(PT + 0x51 * 4) & 0x60).toBe(0x20); // accessed, not dirty
    memory.writeBytes(CODE + 5, [0xa3, 0x00, 0x00, 0x05, 0x00]); // mov [0x50000], eax
    expect(cpu.step()).toBe(Vector.PF);
    expect(cpu.cr2 >>> 0).toBe(0x50000);
    expect(cpu.fault.errorCode).toBe(0b010); // not present, write, supervisor
    expect(cpu.eip).toBe(CODE + 5); // the faulting instruction restarts
    memory.writeBytes(CODE + 5, [0xa3, 0x00, 0x10, 0x05, 0x00]); // mov [0x51000], eax
    expect(cpu.step()).toBe(-1);
    expect(memory.read32(PT + 0x51 * 4) & 0x60).toBe(0x60); // now dirty too
  });

  it('honours CR0.WP for supervisor writes to read-only pages, and U/S for user accesses', () => {
    const { cpu, memory } = flatCpu();
    identityPaging(cpu, memory);
    memory.write32(PT + 0x60 * 4, 0x60000 | 0x1 | 0x4); // present, user, read-only
    memory.write32(PT + 0x61 * 4, 0x61000 | 0x3); // present, writable, supervisor only
    memory.writeBytes(CODE, [0xa3, 0x00, 0x00, 0x06, 0x00]); // mov [0x60000], eax
    expect(cpu.step()).toBe(-1); // WP clear: the supervisor may write
    cpu.eip = CODE;
    cpu.setCr0(cpu.cr0 | CR0_WP);
    expect(cpu.step()).toBe(Vector.PF);
    expect(cpu.fault.errorCode).toBe(0b011); // present, write, supervisor
    cpu.eip = CODE;
    memory.writeBytes(CODE, [0xa1, 0x00, 0x10, 0x06, 0x00]); // mov eax, [0x61000]
    cpu.cpl = 3;
    expect(cpu.step()).toBe(Vector.PF);
    expect(cpu.fault.errorCode).toBe(0b101); // present, read, user
  });

  it('keeps translations until CR3 is written or INVLPG names the page', () => {
    const { cpu, memory } = flatCpu();
    identityPaging(cpu, memory);
    memory.write32(0x70000, 0x11111111);
    memory.write32(0x71000, 0x22222222);
    memory.writeBytes(CODE, [0xa1, 0x00, 0x00, 0x07, 0x00]); // mov eax, [0x70000]
    cpu.step();
    expect(cpu.regs[0]).toBe(0x11111111);
    memory.write32(PT + 0x70 * 4, 0x71000 | 7); // remap behind the TLB's back
    cpu.eip = CODE;
    cpu.step();
    expect(cpu.regs[0]).toBe(0x11111111); // stale, as on hardware
    memory.writeBytes(CODE + 5, [0x0f, 0x01, 0x3d, 0x00, 0x00, 0x07, 0x00]); // invlpg [0x70000]
    cpu.eip = CODE + 5;
    cpu.step();
    cpu.eip = CODE;
    cpu.step();
    expect(cpu.regs[0]).toBe(0x22222222);
    memory.write32(PT + 0x70 * 4, 0x70000 | 7);
    cpu.setCr3(PD); // a CR3 write flushes everything
    cpu.eip = CODE;
    cpu.step();
    expect(cpu.regs[0]).toBe(0x11111111);
  });

  it('maps 4 MiB pages when CR4.PSE is set', () => {
    const { cpu, memory } = flatCpu();
    identityPaging(cpu, memory);
    memory.write32(PD + 4 * 0x100, 0x00400000 | 0x87); // linear 0x40000000 -> physical 0x400000, 4 MiB
    memory.write32(0x400000 + 0x1234, 0xcafef00d);
    cpu.setCr4(CR4_PSE);
    memory.writeBytes(CODE, [0xa1, 0x34, 0x12, 0x00, 0x40]); // mov eax, [0x40001234]
    expect(cpu.step()).toBe(-1);
    expect(cpu.regs[0]! >>> 0).toBe(0xcafef00d);
    cpu.setCr4(0);
    cpu.eip = CODE;
    expect(cpu.step()).toBe(Vector.PF); // without PSE the entry names a page table of garbage
  });
});

describe('exception delivery', () => {
  it('pushes EFLAGS, CS, EIP and the error code through an interrupt gate and clears IF', () => {
    const { cpu, memory } = flatCpu();
    gate(memory, Vector.GP, 0x20000);
    cpu.setFlags(0x202);
    memory.writeBytes(CODE, [0x8e, 0xd8]); // mov ds, ax with AX = 0x1233: beyond the GDT -> #GP(0x1230)
    cpu.regs[0] = 0x1233;
    expect(cpu.run(1)).toBe(Exit.Budget);
    expect(cpu.eip).toBe(0x20000);
    const esp = cpu.regs[ESP]!;
    expect(memory.read32(esp)).toBe(0x1230); // error code: the selector without RPL
    expect(memory.read32(esp + 4)).toBe(CODE); // the faulting EIP
    expect(memory.read32(esp + 8)).toBe(0x08);
    expect(memory.read32(esp + 12) & 0x200).toBe(0x200);
    expect(cpu.interruptsEnabled).toBe(false);
  });

  it('escalates contributory faults during delivery to #DF, and a fault while delivering #DF to a triple fault', () => {
    const { cpu, memory } = flatCpu();
    gate(memory, Vector.GP, 0x20000, false); // not present: delivering #GP raises #NP
    gate(memory, Vector.DF, 0x21000);
    // ud2 -> #UD, whose gate is empty: #GP (delivered, #UD being benign), whose gate is absent: #NP, and
    // #GP then #NP are both contributory: #DF.
    memory.writeBytes(CODE, [0x0f, 0x0b]);
    expect(cpu.run(1)).toBe(Exit.Budget);
    expect(cpu.eip).toBe(0x21000);
    expect(memory.read32(cpu.regs[ESP]!)).toBe(0); // #DF's error code
    const { cpu: cpu2, memory: memory2 } = flatCpu();
    memory2.writeBytes(CODE, [0x0f, 0x0b]); // no gates at all
    expect(cpu2.run(5)).toBe(Exit.Shutdown);
    expect(cpu2.shutdownInfo).toMatchObject({ reason: expect.stringMatching(/^triple fault/), eip: CODE, bytes: [0x0f, 0x0b, 0, 0, 0, 0, 0, 0] });
  });

  it('delivers real-mode interrupts through the IVT with a 16-bit frame', () => {
    const memory = new GuestMemory(0x100000);
    const cpu = new Cpu(memory);
    cpu.loadRealSegment(CS, 0x1000);
    cpu.eip = 0x100;
    cpu.regs[ESP] = 0x8000;
    memory.writeBytes(0x10100, [0xcd, 0x21]); // int 0x21
    memory.write16(0x21 * 4, 0x0200); // IVT entry 0x21: 0x3000:0x0200
    memory.write16(0x21 * 4 + 2, 0x3000);
    cpu.setFlags(0x202);
    expect(cpu.step()).toBe(-1);
    expect([cpu.segSelector[CS], cpu.eip]).toEqual([0x3000, 0x200]);
    expect([memory.read16(0x7ffa), memory.read16(0x7ffc), memory.read16(0x7ffe)]).toEqual([0x102, 0x1000, 0x202]);
    expect(cpu.interruptsEnabled).toBe(false);
  });
});
