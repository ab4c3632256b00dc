import type { GuestMemory } from '../memory/guest-memory.js';
import { decode, Instruction, MAX_LENGTH, type CodeSource } from './decoder.js';
import type { FpuHost } from './fpu-host.js';
import { EMPTY_IO, type CpuIo, type InterruptSource, type MsrDevice } from './io.js';
import { execute } from './interpreter.js';
import {
  AC, AF, ARITH_FLAGS, CF, CPUID_SIGNATURE, CR0_ET, CR0_PE, CR0_PG, CR0_WP, CR4_PSE, CS, ESP, Exit, IF, NT, OF, PF, RF, SF, SS, TF, Vector, VM, ZF,
} from './state.js';
import type { X87, X87Factory } from './x87.js';
import { compileBlock, HOT, MAX_BLOCK, MAX_ITERATIONS, translatable, type Block } from './translator.js';

/**
 * A guest-visible exception in flight. One preallocated object is thrown and caught inside the run loop,
 * so faults cost no allocation; it never escapes `run`.
 */
export class GuestFault {
  vector = 0;
  errorCode = 0;
  hasErrorCode = false;
}

/** Lazy-flag kinds: which operation produced lazyResult from lazyOp1 and lazyOp2. */
export const enum Lazy { Add, Adc, Sub, Sbb, Logic }

/** Why the last run stopped with Exit.Shutdown, for the VM to report. */
export interface ShutdownInfo {
  reason: string;
  eip: number;
  bytes: number[];
}

const PAGE_COUNT = 1 << 20;
const TLB_VALID = 1;
const TLB_USER = 2;
/** Physical page frames of filled TLB entries are kept in this many slots before a full flush is cheaper. */
const TLB_FILL_LIST = 4096;

/** Segment descriptor attributes kept per segment register (bits of our own, not the descriptor's). */
export const SEG_PRESENT = 1;
export const SEG_CODE = 2;
export const SEG_WRITABLE = 4;
export const SEG_READABLE = 8;
export const SEG_BIG = 16; // D/B bit
export const SEG_EXPAND_DOWN = 32;
export const SEG_CONFORMING = 64;
/** Base 0, limit 4 GiB, readable and writable: accesses need no checks. */
export const SEG_FLAT = 128;

export class Cpu implements CodeSource, FpuHost {
  readonly regs = new Int32Array(8);
  eip = 0;
  /** EFLAGS bits that are not lazily held (the arithmetic ones listed in lazyMask are stale). */
  flagBits = 0x2;
  lazyMask = 0;
  lazyKind: Lazy = Lazy.Logic;
  lazyOp1 = 0;
  lazyOp2 = 0;
  lazyResult = 0;
  /** Operand width in bits of the lazy operation (8, 16, 32). */
  lazyWidth = 32;

  readonly segSelector = new Int32Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Int32Array(6);
  readonly segFlags = new Int32Array(6);
  readonly segDpl = new Int32Array(6);
  cpl = 0;

  cr0 = CR0_ET;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtSelector = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSelector = 0;
  trBase = 0;
  trLimit = 0;
  trType = 0;
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  apicBase = 0xfee00900 | 0;
  tscOffset = 0;

  /** Instructions retired since reset (the virtual clock counts these). */
  instructions = 0;
  /** External interrupts acknowledged from the interrupt controller and delivered. */
  interruptsTaken = 0;
  /** Set by STI and MOV/POP SS: no interrupt before the next instruction completes. */
  interruptShadow = false;
  halted = false;
  /** VMCALL exits to the hypervisor when true; otherwise it is #UD as on a CPU without VMX. */
  hypercalls = false;
  /**
   * Serves a VMCALL without leaving the run loop (the hypervisor's fast path); it calls requestExit()
   * when the run loop has work to do after it. Without it, VMCALL returns Exit.Hypercall.
   */
  onHypercall: (() => void) | undefined = undefined;
  shutdownInfo: ShutdownInfo | undefined = undefined;
  private exitRequested = false;

  readonly insn = new Instruction();
  /** EIP of the instruction being executed, where a fault restarts it. */
  startEip = 0;
  readonly fault = new GuestFault();
  fpu: X87 | undefined;

  // Software TLB: linear page -> physical page | flags, 0 when not cached. Separate tables for reads and writes.
  private readonly tlbRead = new Int32Array(PAGE_COUNT);
  private readonly tlbWrite = new Int32Array(PAGE_COUNT);
  private readonly tlbFilled = new Int32Array(TLB_FILL_LIST);
  private tlbFillCount = 0;
  paging = false;

  /**
   * Decoded instructions cached per physical page, at [offset * 2 + (32-bit code ? 1 : 0)]. A write to a
   * page that holds cached code drops the page's cache (self-modifying code, loaders). Devices that write
   * guest RAM directly call invalidateCode themselves.
   */
  private readonly codeCache: (Instruction[] | undefined)[];
  /**
   * Per physical page, one bit for every CPU that holds decoded code of it. The VM shares one array among
   * its vCPUs, so a write to a page another vCPU runs reaches `onForeignCodeWrite` (cross-modifying code).
   */
  private readonly codeOwners: Int32Array;
  private readonly codeBit: number;
  /** Called after this CPU wrote a page that other CPUs (`owners`, a bitmap) hold code of; their bits are already cleared. */
  onForeignCodeWrite: ((page: number, owners: number) => void) | undefined = undefined;
  /** The time-stamp counter's source; by default instructions retired (the virtual clock's time base). */
  tscSource: (() => number) | undefined = undefined;
  /** Compiled blocks of flat 32-bit code per physical page, by offset, and how often each offset ran. */
  private readonly blocks: ((Block | undefined)[] | undefined)[];
  private readonly heat: (Uint8Array | undefined)[];
  private runningBlock: Block | undefined = undefined;
  /** Translate hot code into JavaScript (true) or interpret every instruction (false). */
  translate = true;
  /** Blocks compiled so far (for statistics and tests). */
  blocksCompiled = 0;
  /** The pass a looping block is in (set by the block), to count instructions exactly. */
  blockIterations = 0;
  /** Advances whenever linear-to-physical translation or CS may have changed: chained successors from an older epoch are stale. */
  private epoch = 0;

  readonly mem: GuestMemory;
  private readonly ramSize: number;
  private readonly ram: Uint8Array;
  private readonly view: DataView;
  io: CpuIo;
  interrupts: InterruptSource | undefined;
  /** MSRs a device answers (the local APIC's), consulted before the CPU's own. */
  msrs: MsrDevice | undefined = undefined;
  /** The initial APIC ID (CPUID leaf 1, EBX bits 24-31), and feature bits the platform adds to leaf 1's ECX. */
  apicId = 0;
  extraFeaturesEcx = 0;

  constructor(memory: GuestMemory, io: CpuIo = EMPTY_IO, fpu?: X87Factory, sharedCode?: { owners: Int32Array; index: number }) {
    this.mem = memory;
    this.ram = memory.u8;
    this.ramSize = memory.size;
    this.view = new DataView(memory.buffer);
    this.codeCache = new Array<Instruction[] | undefined>(memory.size >>> 12).fill(undefined);
    this.codeOwners = sharedCode?.owners ?? new Int32Array(memory.size >>> 12);
    this.codeBit = 1 << (sharedCode?.index ?? 0);
    this.blocks = new Array<(Block | undefined)[] | undefined>(memory.size >>> 12).fill(undefined);
    this.heat = new Array<Uint8Array | undefined>(memory.size >>> 12).fill(undefined);
    this.io = io;
    this.fpu = fpu?.(this);
    this.reset();
  }

  /** The power-on state: real mode at F000:FFF0, as on a PC. */
  reset(): void {
    this.regs.fill(0);
    this.regs[2] = CPUID_SIGNATURE; // EDX after reset: the processor signature, as CPUID reports it
    this.flagBits = 0x2;
    this.lazyMask = 0;
    this.cr0 = CR0_ET;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.gdtBase = 0;
    this.gdtLimit = 0xffff;
    this.idtBase = 0;
    this.idtLimit = 0x3ff;
    this.ldtSelector = this.ldtBase = this.ldtLimit = 0;
    this.trSelector = this.trBase = this.trLimit = this.trType = 0;
    for (let s = 0; s < 6; s++) this.loadRealSegment(s, 0);
    this.loadRealSegment(CS, 0xf000);
    this.segBase[CS] = 0xffff0000 | 0;
    this.eip = 0xfff0;
    this.cpl = 0;
    this.halted = false;
    this.interruptShadow = false;
    this.paging = false;
    this.flushTlb();
    this.invalidateAllCode();
    this.fpu?.reset();
  }

  /** INIT then a start-up IPI with `vector`: the reset state, but real mode at vector:0000 (SDM 8.4.4). */
  startUp(vector: number): void {
    this.reset();
    this.loadRealSegment(CS, (vector & 0xff) << 8);
    this.eip = 0;
  }

  // ---- flags ------------------------------------------------------------------------------------

  private lazyCarry(): number {
    const mask = this.lazyWidth === 32 ? -1 : (1 << this.lazyWidth) - 1;
    const a = (this.lazyOp1 & mask) >>> 0;
    const b = (this.lazyOp2 & mask) >>> 0;
    const r = (this.lazyResult & mask) >>> 0;
    switch (this.lazyKind) {
      case Lazy.Add: return r < a ? 1 : 0;
      case Lazy.Adc: return r <= a ? 1 : 0;
      case Lazy.Sub: return a < b ? 1 : 0;
      case Lazy.Sbb: return a <= b ? 1 : 0;
      default: return 0;
    }
  }

  private lazyOverflow(): number {
    const a = this.lazyOp1, b = this.lazyOp2, r = this.lazyResult;
    const sign = this.lazyWidth - 1;
    switch (this.lazyKind) {
      case Lazy.Add: case Lazy.Adc: return (((a ^ r) & (b ^ r)) >>> sign) & 1;
      case Lazy.Sub: case Lazy.Sbb: return (((a ^ b) & (a ^ r)) >>> sign) & 1;
      default: return 0;
    }
  }

  getCF(): number { return this.lazyMask & CF ? this.lazyCarry() : this.flagBits & CF; }
  getZF(): number {
    if (!(this.lazyMask & ZF)) return (this.flagBits >> 6) & 1;
    const w = this.lazyWidth;
    return (w === 32 ? this.lazyResult : this.lazyResult & ((1 << w) - 1)) === 0 ? 1 : 0;
  }
  getSF(): number { return this.lazyMask & SF ? (this.lazyResult >>> (this.lazyWidth - 1)) & 1 : (this.flagBits >> 7) & 1; }
  getOF(): number { return this.lazyMask & OF ? this.lazyOverflow() : (this.flagBits >> 11) & 1; }
  getPF(): number {
    if (!(this.lazyMask & PF)) return (this.flagBits >> 2) & 1;
    let v = this.lazyResult & 0xff;
    v ^= v >> 4;
    v ^= v >> 2;
    v ^= v >> 1;
    return ~v & 1;
  }
  getAF(): number {
    if (!(this.lazyMask & AF)) return (this.flagBits >> 4) & 1;
    return this.lazyKind === Lazy.Logic ? 0 : ((this.lazyOp1 ^ this.lazyOp2 ^ this.lazyResult) >> 4) & 1;
  }

  /** EFLAGS with every lazy bit computed. */
  getFlags(): number {
    if (this.lazyMask === 0) return this.flagBits;
    return (this.flagBits & ~ARITH_FLAGS) | this.getCF() | (this.getPF() << 2) | (this.getAF() << 4) | (this.getZF() << 6) | (this.getSF() << 7) | (this.getOF() << 11);
  }

  /** Replaces EFLAGS wholesale (reserved bit 1 set, bits 3, 5 and 15 clear). */
  setFlags(value: number): void {
    this.flagBits = (value & ~0x8028) | 0x2;
    this.lazyMask = 0;
  }

  /** Makes every flag concrete, so an instruction can set some bits and keep the rest. */
  materializeFlags(): void {
    if (this.lazyMask !== 0) this.setFlags(this.getFlags());
  }

  /** Records an arithmetic result whose flags are computed only if someone asks. */
  setLazy(kind: Lazy, op1: number, op2: number, result: number, width: number): void {
    this.lazyKind = kind;
    this.lazyOp1 = op1;
    this.lazyOp2 = op2;
    this.lazyResult = result;
    this.lazyWidth = width;
    this.lazyMask = ARITH_FLAGS;
  }

  /** INC and DEC: like ADD/SUB of 1, but CF keeps its value. */
  setLazyKeepCarry(kind: Lazy, op1: number, result: number, width: number): void {
    const cf = this.getCF();
    this.flagBits = (this.flagBits & ~CF) | cf;
    this.setLazy(kind, op1, 1, result, width);
    this.lazyMask = ARITH_FLAGS & ~CF;
  }

  condition(code: number): boolean {
    let r: number;
    switch (code >> 1) {
      case 0: r = this.getOF(); break;
      case 1: r = this.getCF(); break;
      case 2: r = this.getZF(); break;
      case 3: r = this.getCF() | this.getZF(); break;
      case 4: r = this.getSF(); break;
      case 5: r = this.getPF(); break;
      case 6: r = this.getSF() ^ this.getOF(); break;
      default: r = this.getZF() | (this.getSF() ^ this.getOF()); break;
    }
    return (r !== 0) !== ((code & 1) !== 0);
  }

  get interruptsEnabled(): boolean {
    return (this.flagBits & IF) !== 0;
  }

  // ---- faults -----------------------------------------------------------------------------------

  /** Raises a guest exception: throws the preallocated fault, caught by run(). */
  raise(vector: number, errorCode = -1): never {
    this.fault.vector = vector;
    this.fault.hasErrorCode = errorCode >= 0;
    this.fault.errorCode = errorCode >= 0 ? errorCode : 0;
    throw this.fault;
  }

  gp(errorCode = 0): never { return this.raise(Vector.GP, errorCode); }
  ud(): never { return this.raise(Vector.UD); }

  // ---- paging -----------------------------------------------------------------------------------

  flushTlb(): void {
    if (this.tlbFillCount > TLB_FILL_LIST) {
      this.tlbRead.fill(0);
      this.tlbWrite.fill(0);
    } else {
      for (let i = 0; i < this.tlbFillCount; i++) {
        const page = this.tlbFilled[i]!;
        this.tlbRead[page] = 0;
        this.tlbWrite[page] = 0;
      }
    }
    this.tlbFillCount = 0;
    this.codePage = this.fetchPage = -1;
    this.epoch++;
  }

  invalidatePage(linear: number): void {
    const page = linear >>> 12;
    this.tlbRead[page] = 0;
    this.tlbWrite[page] = 0;
    this.codePage = this.fetchPage = -1;
    this.epoch++;
  }

  private noteFill(page: number): void {
    if (this.tlbFillCount < TLB_FILL_LIST) this.tlbFilled[this.tlbFillCount] = page;
    this.tlbFillCount++;
  }

  /**
   * Walks the page tables for a linear address, sets accessed/dirty bits, fills the TLB and returns the
   * physical address; raises #PF with CR2 and the error code when the access is not allowed.
   */
  private translateSlow(linear: number, write: boolean, user: boolean): number {
    const pdeAddress = ((this.cr3 & ~0xfff) + ((linear >>> 22) << 2)) >>> 0;
    const pde = this.physRead32(pdeAddress);
    // Without NX (no PAE), instruction fetches fault with the same error code bits as reads.
    const fail = (present: boolean): never => {
      this.cr2 = linear;
      return this.raise(Vector.PF, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
    };
    if (!(pde & 1)) return fail(false);
    let frame: number;
    let allowedUser: boolean;
    let allowedWrite: boolean;
    let dirty: boolean;
    if (pde & 0x80 && this.cr4 & CR4_PSE) {
      allowedUser = (pde & 4) !== 0;
      allowedWrite = (pde & 2) !== 0;
      if ((user && !allowedUser) || (write && !this.writeAllowed(allowedWrite, user))) return fail(true);
      const updated = pde | 0x20 | (write ? 0x40 : 0);
      if (updated !== pde) this.physWrite32(pdeAddress, updated);
      frame = ((pde & 0xffc00000) | (linear & 0x3ff000)) >>> 0;
      dirty = (updated & 0x40) !== 0;
    } else {
      const pteAddress = ((pde & ~0xfff) + (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
      const pte = this.physRead32(pteAddress);
      if (!(pte & 1)) return fail(false);
      allowedUser = (pde & pte & 4) !== 0;
      allowedWrite = (pde & pte & 2) !== 0;
      if ((user && !allowedUser) || (write && !this.writeAllowed(allowedWrite, user))) return fail(true);
      if (!(pde & 0x20)) this.physWrite32(pdeAddress, pde | 0x20);
      const updated = pte | 0x20 | (write ? 0x40 : 0);
      if (updated !== pte) this.physWrite32(pteAddress, updated);
      frame = (pte & ~0xfff) >>> 0;
      dirty = (updated & 0x40) !== 0;
    }
    const page = linear >>> 12;
    const entry = (frame | TLB_VALID | (allowedUser ? TLB_USER : 0)) | 0;
    this.tlbRead[page] = entry;
    // A write entry only once the dirty bit is set, so the first write through a clean entry walks again.
    if (dirty && this.writeAllowed(allowedWrite, false)) this.tlbWrite[page] = allowedUser && allowedWrite ? entry : (frame | TLB_VALID) | 0;
    else this.tlbWrite[page] = 0;
    this.noteFill(page);
    return (frame | (linear & 0xfff)) >>> 0;
  }

  private writeAllowed(writable: boolean, user: boolean): boolean {
    return writable || (!user && (this.cr0 & CR0_WP) === 0);
  }

  /** Physical address of a linear one for a read (fetch when `fetch`), through the TLB. */
  translateRead(linear: number): number {
    if (!this.paging) return linear >>> 0;
    const e = this.tlbRead[linear >>> 12]!;
    const need = this.cpl === 3 ? TLB_VALID | TLB_USER : TLB_VALID;
    if ((e & need) === need) return ((e & ~0xfff) | (linear & 0xfff)) >>> 0;
    return this.translateSlow(linear, false, this.cpl === 3);
  }

  translateWrite(linear: number): number {
    if (!this.paging) return linear >>> 0;
    const e = this.tlbWrite[linear >>> 12]!;
    const need = this.cpl === 3 ? TLB_VALID | TLB_USER : TLB_VALID;
    if ((e & need) === need) return ((e & ~0xfff) | (linear & 0xfff)) >>> 0;
    return this.translateSlow(linear, true, this.cpl === 3);
  }

  /** Supervisor-privilege translation for descriptor-table and TSS accesses made on the CPU's own behalf. */
  private translateSystem(linear: number, write: boolean): number {
    if (!this.paging) return linear >>> 0;
    const saved = this.cpl;
    this.cpl = 0;
    try {
      return write ? this.translateWrite(linear) : this.translateRead(linear);
    } finally {
      this.cpl = saved;
    }
  }

  // ---- physical memory --------------------------------------------------------------------------

  physRead8(pa: number): number {
    return pa < this.ramSize ? this.ram[pa]! : this.io.mmioRead(pa, 1) & 0xff;
  }
  physRead16(pa: number): number {
    if (pa + 1 < this.ramSize) return this.view.getUint16(pa, true);
    return this.io.mmioRead(pa, 2) & 0xffff;
  }
  physRead32(pa: number): number {
    if (pa + 3 < this.ramSize) return this.view.getInt32(pa, true);
    return this.io.mmioRead(pa, 4) | 0;
  }
  physWrite8(pa: number, v: number): void {
    if (pa < this.ramSize) {
      if (this.codeOwners[pa >>> 12] !== 0) this.codeWritten(pa >>> 12, pa >>> 12);
      this.ram[pa] = v;
    } else this.io.mmioWrite(pa, 1, v & 0xff);
  }
  physWrite16(pa: number, v: number): void {
    if (pa + 1 < this.ramSize) {
      if (this.codeOwners[pa >>> 12] !== 0 || this.codeOwners[(pa + 1) >>> 12] !== 0) this.codeWritten(pa >>> 12, (pa + 1) >>> 12);
      this.view.setUint16(pa, v & 0xffff, true);
    } else this.io.mmioWrite(pa, 2, v & 0xffff);
  }
  physWrite32(pa: number, v: number): void {
    if (pa + 3 < this.ramSize) {
      if (this.codeOwners[pa >>> 12] !== 0 || this.codeOwners[(pa + 3) >>> 12] !== 0) this.codeWritten(pa >>> 12, (pa + 3) >>> 12);
      this.view.setInt32(pa, v, true);
    } else this.io.mmioWrite(pa, 4, v | 0);
  }

  /** This CPU wrote pages [first, last], and some CPU holds code of one of them. */
  private codeWritten(first: number, last: number): void {
    for (let page = first; page <= last; page++) {
      const owners = this.codeOwners[page]!;
      if (owners & this.codeBit) this.invalidateCode(page);
      const foreign = owners & ~this.codeBit;
      if (foreign !== 0 && this.onForeignCodeWrite !== undefined) {
        // Clear their bits now, so one notice per page covers every write until they decode it again.
        Atomics.and(this.codeOwners, page, ~foreign);
        this.onForeignCodeWrite(page, foreign);
      }
    }
  }

  /**
   * Forgets decoded instructions of physical pages [first, last]. The CPU calls it for its own writes;
   * whoever else writes guest code (a loader, a DMA-capable device, another vCPU) calls it too.
   */
  invalidateCode(first: number, last = first): void {
    for (let page = first; page <= last; page++) {
      if (page >= this.codeCache.length) continue;
      if (this.codeOwners[page]! & this.codeBit) Atomics.and(this.codeOwners, page, ~this.codeBit);
      if (this.codeCache[page] !== undefined || this.blocks[page] !== undefined) {
        this.codeCache[page] = undefined;
        this.blocks[page]?.forEach((block) => {
          if (block) block.dead = true;
        });
        this.blocks[page] = undefined;
        this.heat[page] = undefined;
        if (page === this.codeFrame) this.codeFrameCache = undefined;
      }
    }
  }

  /** Forgets every decoded instruction (after loading an image into RAM behind the CPU's back). */
  invalidateAllCode(): void {
    for (let page = 0; page < this.codeCache.length; page++) if (this.codeOwners[page]! & this.codeBit) Atomics.and(this.codeOwners, page, ~this.codeBit);
    this.codeCache.fill(undefined);
    for (const page of this.blocks) page?.forEach((block) => {
      if (block) block.dead = true;
    });
    this.blocks.fill(undefined);
    this.heat.fill(undefined);
    this.codeFrameCache = undefined;
  }

  /** The decode cache of the physical page CS:EIP is in (undefined until something there is cached). */
  private codeFrameCache: Instruction[] | undefined = undefined;
  /** That physical page's number, or -1 when the code page lies outside RAM. */
  private codeFrame = -1;

  /** Follows EIP into another linear page: translates it (may fault) and picks that page's decode cache. */
  private enterCodePage(linear: number, eip: number): void {
    if (eip > (this.segLimit[CS]! >>> 0)) this.gp(0);
    const pa = this.translateRead(linear);
    this.codePage = linear >>> 12;
    const frame = pa >>> 12;
    this.codeFrame = pa + 0x1000 <= this.ramSize ? frame : -1;
    this.codeFrameCache = this.codeFrame >= 0 ? this.codeCache[frame] : undefined;
  }

  /**
   * The decoded instruction at CS:EIP, from the page's decode cache when possible. Instructions that
   * cross a page, or lie outside RAM, are decoded every time into the scratch Instruction.
   */
  private fetchInstruction(): Instruction {
    const eip = this.startEip;
    const linear = (this.segBase[CS]! + eip) | 0;
    if (linear >>> 12 !== this.codePage) this.enterCodePage(linear, eip);
    const cache = this.codeFrameCache;
    if (cache !== undefined) {
      const insn = cache[((linear & 0xfff) << 1) | (this.segFlags[CS]! & SEG_BIG ? 1 : 0)];
      if (insn !== undefined) {
        // A cached instruction still respects the current CS limit (flat segments skip the check).
        if (this.segLimit[CS] !== -1 && eip + insn.length - 1 > (this.segLimit[CS]! >>> 0)) this.gp(0);
        return insn;
      }
    }
    return this.decodeAndCache(linear, eip);
  }

  /**
   * The compiled block starting at CS:EIP (flat 32-bit code), compiling it once the address is hot;
   * undefined when the interpreter should run the next instruction instead.
   */
  private blockAt(): Block | undefined {
    const eip = this.startEip;
    if (eip >>> 12 !== this.codePage) this.enterCodePage(eip, eip);
    const frame = this.codeFrame;
    if (frame < 0) return undefined;
    const offset = eip & 0xfff;
    const existing = this.blocks[frame]?.[offset];
    if (existing !== undefined) return existing;
    let heat = this.heat[frame];
    if (heat === undefined) heat = this.heat[frame] = new Uint8Array(0x1000);
    if (++heat[offset]! < HOT) return undefined;
    heat[offset] = 0;
    const instructions: Instruction[] = [];
    const eips: number[] = [];
    let at = eip;
    try {
      while (instructions.length < MAX_BLOCK && at >>> 12 === eip >>> 12) {
        this.startEip = at;
        const insn = this.fetchInstruction();
        if ((at & 0xfff) + insn.length > 0x1000) break;
        const kind = translatable(insn);
        if (kind === 'no') break;
        instructions.push(insn);
        eips.push(at | 0);
        if (kind === 'end') break;
        at = (at + insn.length) | 0;
      }
    } catch (e) {
      if (e !== this.fault) throw e; // a fault while looking ahead just ends the block
    }
    this.startEip = eip;
    if (instructions.length === 0 || this.codeFrame !== frame) return undefined;
    const block = compileBlock(instructions, eips);
    this.blocksCompiled++;
    (this.blocks[frame] ??= new Array<Block | undefined>(0x1000))[offset] = block;
    this.ownCode(frame);
    return block;
  }

  /**
   * Runs a block, then its successors directly while nothing needs the run loop: no exit request, no
   * interrupt shadow or deliverable interrupt, and budget left for the whole next block.
   */
  private runChain(first: Block, stop: number): Exit {
    let block = first;
    for (;;) {
      const iterations = block.loops ? Math.min(MAX_ITERATIONS, Math.floor((stop - this.instructions) / block.count)) : 1;
      this.runningBlock = block;
      const exit = block.run(this, iterations);
      this.runningBlock = undefined;
      this.instructions += block.count * this.blockIterations;
      if (exit !== Exit.Budget) return exit;
      if (this.exitRequested || this.interruptShadow || ((this.flagBits & IF) !== 0 && this.interrupts !== undefined && this.interrupts.pending())) return Exit.Budget;
      const eip = this.eip | 0;
      let slot = block.successorEip[0] === eip ? 0 : block.successorEip[1] === eip ? 1 : -1;
      let next = slot >= 0 && block.successorEpoch === this.epoch ? block.successor[slot] : undefined;
      if (next === undefined || next.dead) {
        this.startEip = this.eip;
        next = this.blockAt();
        if (next === undefined) return Exit.Budget;
        if (block.successorEpoch !== this.epoch) {
          block.successorEpoch = this.epoch;
          block.successorEip[0] = block.successorEip[1] = -1;
          block.successor[0] = block.successor[1] = undefined;
        }
        if (slot < 0) slot = block.successorEip[0] === -1 ? 0 : 1;
        block.successorEip[slot] = eip;
        block.successor[slot] = next;
      }
      if (this.instructions + next.count > stop) return Exit.Budget;
      this.startEip = this.eip;
      block = next;
    }
  }

  private decodeAndCache(linear: number, eip: number): Instruction {
    const code32 = this.code32;
    const frame = this.codeFrame;
    if (frame < 0) {
      decode(this, code32, this.insn);
      return this.insn;
    }
    const insn = new Instruction();
    decode(this, code32, insn);
    const offset = linear & 0xfff;
    if (offset + insn.length > 0x1000 || insn.tooLong) return insn; // crosses a page: not cached
    let cache = this.codeCache[frame];
    if (cache === undefined) {
      cache = new Array<Instruction>(0x2000);
      this.codeCache[frame] = cache;
      this.ownCode(frame);
      this.codeFrameCache = cache;
    }
    this.codeFrameCache = cache;
    cache[(offset << 1) | (code32 ? 1 : 0)] = insn;
    if (this.segLimit[CS] !== -1 && eip + insn.length - 1 > (this.segLimit[CS]! >>> 0)) this.gp(0);
    return insn;
  }

  // ---- linear memory (paging, split accesses across pages) ---------------------------------------

  readLinear8(linear: number): number {
    return this.physRead8(this.translateRead(linear));
  }
  readLinear16(linear: number): number {
    if ((linear & 0xfff) === 0xfff) return this.readLinear8(linear) | (this.readLinear8(linear + 1) << 8);
    return this.physRead16(this.translateRead(linear));
  }
  readLinear32(linear: number): number {
    if ((linear & 0xfff) > 0xffc) return this.readLinear16(linear) | (this.readLinear16(linear + 2) << 16);
    return this.physRead32(this.translateRead(linear));
  }
  writeLinear8(linear: number, v: number): void {
    this.physWrite8(this.translateWrite(linear), v);
  }
  writeLinear16(linear: number, v: number): void {
    if ((linear & 0xfff) === 0xfff) {
      // Translate both pages before writing either, so a fault leaves memory untouched.
      const lo = this.translateWrite(linear);
      const hi = this.translateWrite(linear + 1);
      this.physWrite8(lo, v);
      this.physWrite8(hi, v >> 8);
      return;
    }
    this.physWrite16(this.translateWrite(linear), v);
  }
  writeLinear32(linear: number, v: number): void {
    if ((linear & 0xfff) > 0xffc) {
      // Both pages are translated (and may fault) before any byte is written.
      const lo = this.translateWrite(linear);
      const hi = this.translateWrite((linear + 3) | 0) - ((linear + 3) & 0xfff);
      for (let i = 0; i < 4; i++) {
        const offset = (linear & 0xfff) + i;
        this.physWrite8(offset < 0x1000 ? lo + i : hi + offset - 0x1000, v >> (8 * i));
      }
      return;
    }
    this.physWrite32(this.translateWrite(linear), v);
  }

  /** Checks that a write to [linear, linear+size) would succeed, without writing (for read-modify-write sequences). */
  probeWrite(linear: number, size: number): void {
    this.translateWrite(linear);
    if (((linear & 0xfff) + size) > 0x1000) this.translateWrite((linear + size - 1) | 0);
  }

  // FpuHost: linear-address access for the x87 unit.
  readMem8(linear: number): number { return this.readLinear8(linear); }
  readMem16(linear: number): number { return this.readLinear16(linear); }
  readMem32(linear: number): number { return this.readLinear32(linear); }
  writeMem8(linear: number, value: number): void { this.writeLinear8(linear, value); }
  writeMem16(linear: number, value: number): void { this.writeLinear16(linear, value); }
  writeMem32(linear: number, value: number): void { this.writeLinear32(linear, value); }
  setAx(value: number): void { this.regs[0] = (this.regs[0]! & ~0xffff) | (value & 0xffff); }
  eflags(): number { return this.getFlags(); }
  setCompareFlags(zf: number, pf: number, cf: number): void {
    this.materializeFlags();
    this.flagBits = (this.flagBits & ~(ZF | PF | CF | OF | SF | AF)) | (zf << 6) | (pf << 2) | cf;
  }
  numericErrorNative(): boolean { return (this.cr0 & 0x20) !== 0; }

  // ---- segmentation -----------------------------------------------------------------------------

  get protectedMode(): boolean {
    return (this.cr0 & CR0_PE) !== 0;
  }

  /** Linear address of seg:offset for an access of `size` bytes, with limit and rights checks. */
  linear(seg: number, offset: number, size: number, write: boolean): number {
    const flags = this.segFlags[seg]!;
    if ((flags & SEG_FLAT) === 0 || write) {
      if ((flags & SEG_FLAT) === 0 || !(flags & SEG_WRITABLE)) this.checkSegment(seg, offset, size, write);
    }
    return (this.segBase[seg]! + offset) | 0;
  }

  private checkSegment(seg: number, offset: number, size: number, write: boolean): void {
    const flags = this.segFlags[seg]!;
    const vector = seg === SS ? Vector.SS : Vector.GP;
    if (!(flags & SEG_PRESENT)) this.raise(vector, 0);
    if (this.protectedMode) {
      if (write && (flags & (SEG_CODE | SEG_WRITABLE)) !== SEG_WRITABLE) this.raise(vector, 0);
      if (!write && (flags & (SEG_CODE | SEG_READABLE)) === SEG_CODE) this.raise(vector, 0);
    }
    const last = (offset >>> 0) + size - 1;
    const limit = this.segLimit[seg]! >>> 0;
    if (flags & SEG_EXPAND_DOWN) {
      const upper = flags & SEG_BIG ? 0xffffffff : 0xffff;
      if ((offset >>> 0) <= limit || last > upper) this.raise(vector, 0);
    } else if (last > limit) {
      this.raise(vector, 0);
    }
  }

  /** Real mode (and the hidden part after reset): base = selector * 16, limit 64 KiB. */
  loadRealSegment(seg: number, selector: number): void {
    this.segSelector[seg] = selector & 0xffff;
    this.segBase[seg] = (selector & 0xffff) << 4;
    if (seg === CS || !this.protectedMode) {
      // Real mode keeps the cached limit and rights; after reset they are 64 KiB read/write.
      if (this.segLimit[seg] === 0 && this.segFlags[seg] === 0) this.segLimit[seg] = 0xffff;
      if (this.segFlags[seg] === 0) this.segFlags[seg] = SEG_PRESENT | SEG_WRITABLE | SEG_READABLE | (seg === CS ? SEG_CODE : 0);
    }
    this.segDpl[seg] = 0;
    this.updateFlat(seg);
  }

  updateFlat(seg: number): void {
    const f = this.segFlags[seg]!;
    const flat = this.segBase[seg] === 0 && this.segLimit[seg] === -1 && (f & SEG_PRESENT) && !(f & SEG_EXPAND_DOWN) && (f & SEG_READABLE);
    this.segFlags[seg] = flat ? f | SEG_FLAT : f & ~SEG_FLAT;
  }

  /** Reads the 8-byte descriptor for a selector from the GDT or LDT; #GP(selector) when outside the table. */
  readDescriptor(selector: number, vector: number = Vector.GP): [number, number] {
    const index = selector & ~7;
    const [base, limit] = selector & 4 ? [this.ldtBase, this.ldtLimit] : [this.gdtBase, this.gdtLimit];
    if ((selector & 4 && this.ldtSelector === 0) || index + 7 > (limit >>> 0)) this.raise(vector, selector & 0xfffc);
    const lin = (base + index) | 0;
    return [this.physRead32(this.translateSystem(lin, false)), this.physRead32(this.translateSystem((lin + 4) | 0, false))];
  }

  writeDescriptorHigh(selector: number, high: number): void {
    const base = selector & 4 ? this.ldtBase : this.gdtBase;
    this.physWrite32(this.translateSystem((base + (selector & ~7) + 4) | 0, true), high);
  }

  /** Loads a segment register's hidden part from a descriptor. */
  setSegmentFromDescriptor(seg: number, selector: number, low: number, high: number): void {
    const base = ((low >>> 16) | ((high & 0xff) << 16) | (high & 0xff000000)) | 0;
    let limit = (low & 0xffff) | (high & 0xf0000);
    if (high & 0x800000) limit = (limit << 12) | 0xfff;
    const type = (high >> 8) & 0xf;
    const code = (type & 8) !== 0;
    let flags = SEG_PRESENT;
    if (code) {
      flags |= SEG_CODE;
      if (type & 2) flags |= SEG_READABLE;
      if (type & 4) flags |= SEG_CONFORMING;
    } else {
      flags |= SEG_READABLE;
      if (type & 2) flags |= SEG_WRITABLE;
      if (type & 4) flags |= SEG_EXPAND_DOWN;
    }
    if (high & 0x400000) flags |= SEG_BIG;
    this.segSelector[seg] = selector & 0xffff;
    this.segBase[seg] = base;
    this.segLimit[seg] = limit;
    this.segFlags[seg] = flags;
    this.segDpl[seg] = (high >> 13) & 3;
    this.updateFlat(seg);
    if (seg === CS) {
      this.codePage = this.fetchPage = -1;
      this.epoch++;
    }
  }

  /**
   * Flat 4 GiB 32-bit segments without reading a descriptor table: CS a code segment, the others data,
   * all of privilege `dpl` (boot states, and what SYSENTER/SYSEXIT load).
   */
  setFlatSegments(codeSelector: number, dataSelector: number, dpl: number): void {
    for (let seg = 0; seg < 6; seg++) {
      const code = seg === CS;
      this.segSelector[seg] = code ? codeSelector : dataSelector;
      this.segBase[seg] = 0;
      this.segLimit[seg] = -1;
      this.segFlags[seg] = SEG_PRESENT | SEG_READABLE | SEG_BIG | (code ? SEG_CODE : SEG_WRITABLE);
      this.segDpl[seg] = dpl;
      this.updateFlat(seg);
    }
    this.codePage = this.fetchPage = -1;
    this.epoch++;
  }

  /** MOV/POP to a data or stack segment register, with the protected-mode checks. */
  loadSegment(seg: number, selector: number): void {
    selector &= 0xffff;
    if (!this.protectedMode || this.flagBits & VM) {
      this.loadRealSegment(seg, selector);
      return;
    }
    const rpl = selector & 3;
    if ((selector & 0xfffc) === 0) {
      if (seg === SS) this.gp(0);
      // A null selector loads, and faults on use.
      this.segSelector[seg] = selector;
      this.segFlags[seg] = 0;
      this.segBase[seg] = 0;
      this.segLimit[seg] = 0;
      return;
    }
    const [low, high] = this.readDescriptor(selector);
    const type = (high >> 8) & 0x1f;
    const dpl = (high >> 13) & 3;
    const present = (high & 0x8000) !== 0;
    if (seg === SS) {
      // A writable data segment with RPL = DPL = CPL.
      if ((type & 0x1a) !== 0x12 || rpl !== this.cpl || dpl !== this.cpl) this.gp(selector & 0xfffc);
      if (!present) this.raise(Vector.SS, selector & 0xfffc);
    } else {
      const isData = (type & 0x18) === 0x10;
      const readableCode = (type & 0x1a) === 0x1a;
      if (!isData && !readableCode) this.gp(selector & 0xfffc);
      const conforming = (type & 0x1c) === 0x1c;
      if (!conforming && (rpl > dpl || this.cpl > dpl)) this.gp(selector & 0xfffc);
      if (!present) this.raise(Vector.NP, selector & 0xfffc);
    }
    if (!(high & 0x100)) this.writeDescriptorHigh(selector, high | 0x100);
    this.setSegmentFromDescriptor(seg, selector, low, high | 0x100);
  }

  get code32(): boolean {
    return (this.segFlags[CS]! & SEG_BIG) !== 0;
  }
  get stack32(): boolean {
    return (this.segFlags[SS]! & SEG_BIG) !== 0;
  }

  // ---- stack ------------------------------------------------------------------------------------

  /** Pushes a 16- or 32-bit value; ESP changes only once the write succeeded. */
  push(value: number, size: number): void {
    const esp = this.regs[ESP]!;
    if (this.stack32) {
      const sp = (esp - size) | 0;
      const lin = this.linear(SS, sp, size, true);
      if (size === 4) this.writeLinear32(lin, value);
      else this.writeLinear16(lin, value);
      this.regs[ESP] = sp;
    } else {
      const sp = (esp - size) & 0xffff;
      const lin = this.linear(SS, sp, size, true);
      if (size === 4) this.writeLinear32(lin, value);
      else this.writeLinear16(lin, value);
      this.regs[ESP] = (esp & ~0xffff) | sp;
    }
  }

  /** Reads the value `depth` bytes above the stack top without popping. */
  peek(size: number, depth = 0): number {
    const sp = this.stack32 ? (this.regs[ESP]! + depth) | 0 : (this.regs[ESP]! + depth) & 0xffff;
    const lin = this.linear(SS, sp, size, false);
    return size === 4 ? this.readLinear32(lin) : this.readLinear16(lin);
  }

  adjustStack(bytes: number): void {
    if (this.stack32) this.regs[ESP] = (this.regs[ESP]! + bytes) | 0;
    else this.regs[ESP] = (this.regs[ESP]! & ~0xffff) | ((this.regs[ESP]! + bytes) & 0xffff);
  }

  pop(size: number): number {
    const v = this.peek(size);
    this.adjustStack(size);
    return v;
  }

  // ---- instruction fetch ------------------------------------------------------------------------

  private codePage = -1;
  private fetchPage = -1;
  private fetchPhysBase = 0;

  fetchCode8(offset: number): number {
    if (offset >= MAX_LENGTH + 1) return 0;
    // The full EIP is checked against the limit: 16-bit code past its 64 KiB segment faults rather than wrapping.
    const eip = (this.startEip + offset) >>> 0;
    if (eip > (this.segLimit[CS]! >>> 0)) this.gp(0);
    const linear = (this.segBase[CS]! + eip) | 0;
    const page = linear >>> 12;
    // Its own page fields: the decoder may reach into the next page without moving fetchInstruction's.
    if (page !== this.fetchPage) {
      const pa = this.translateRead(linear);
      this.fetchPage = page;
      this.fetchPhysBase = pa - (linear & 0xfff);
    }
    return this.physRead8(this.fetchPhysBase + (linear & 0xfff));
  }

  // ---- control ----------------------------------------------------------------------------------

  setCr0(value: number): void {
    const old = this.cr0;
    if ((value & CR0_PG) && !(value & CR0_PE)) this.gp(0);
    this.cr0 = value | CR0_ET;
    if ((old ^ this.cr0) & (CR0_PG | CR0_WP | CR0_PE)) this.flushTlb();
    this.paging = (this.cr0 & CR0_PG) !== 0;
  }

  setCr3(value: number): void {
    this.cr3 = value;
    this.flushTlb();
  }

  setCr4(value: number): void {
    this.cr4 = value;
    this.flushTlb();
  }

  requestExit(): void {
    this.exitRequested = true;
  }

  tsc(): number {
    return this.tscOffset + (this.tscSource === undefined ? this.instructions : this.tscSource());
  }

  private ownCode(frame: number): void {
    if ((this.codeOwners[frame]! & this.codeBit) === 0) Atomics.or(this.codeOwners, frame, this.codeBit);
  }

  // ---- exceptions and interrupts ----------------------------------------------------------------

  /** Delivers an interrupt or exception through the IVT (real mode) or the IDT (protected mode). */
  deliver(vector: number, software: boolean, errorCode: number, hasErrorCode: boolean, returnEip: number): void {
    if (!this.protectedMode) {
      const entry = vector * 4;
      if (entry + 3 > this.idtLimit) this.gp(0);
      const offset = this.readLinear16((this.idtBase + entry) | 0);
      const selector = this.readLinear16((this.idtBase + entry + 2) | 0);
      this.push(this.getFlags() & 0xffff, 2);
      this.push(this.segSelector[CS]!, 2);
      this.push(returnEip & 0xffff, 2);
      this.flagBits &= ~(IF | TF | AC | RF);
      this.loadRealSegment(CS, selector);
      this.codePage = this.fetchPage = -1;
      this.epoch++;
      this.eip = offset;
      return;
    }
    const ext = software ? 0 : 1;
    const index = vector * 8;
    if (index + 7 > (this.idtLimit >>> 0)) this.gp(index | 2 | ext);
    const lin = (this.idtBase + index) | 0;
    const low = this.physRead32(this.translateSystem(lin, false));
    const high = this.physRead32(this.translateSystem((lin + 4) | 0, false));
    const type = (high >> 8) & 0x1f;
    const gateDpl = (high >> 13) & 3;
    if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07) this.gp(index | 2 | ext); // task gates are not supported
    if (software && gateDpl < this.cpl) this.gp(index | 2);
    if (!(high & 0x8000)) this.raise(Vector.NP, index | 2 | ext);
    const gate32 = (type & 8) !== 0;
    const selector = low >>> 16;
    const offset = gate32 ? ((high & 0xffff0000) | (low & 0xffff)) : low & 0xffff;
    if ((selector & 0xfffc) === 0) this.gp(ext);
    const [cLow, cHigh] = this.readDescriptor(selector, Vector.GP);
    const cType = (cHigh >> 8) & 0x1f;
    const cDpl = (cHigh >> 13) & 3;
    if ((cType & 0x18) !== 0x18 || cDpl > this.cpl) this.gp((selector & 0xfffc) | ext);
    if (!(cHigh & 0x8000)) this.raise(Vector.NP, (selector & 0xfffc) | ext);
    const flags = this.getFlags();
    const size = gate32 ? 4 : 2;
    const conforming = (cType & 4) !== 0;
    if (!conforming && cDpl < this.cpl) {
      // Inner privilege: switch to the stack the TSS names for the new ring.
      const [ss, esp] = this.tssStack(cDpl);
      const oldSs = this.segSelector[SS]!;
      const oldEsp = this.regs[ESP]!;
      const [sLow, sHigh] = this.readDescriptor(ss, Vector.TS);
      if ((ss & 3) !== cDpl || ((sHigh >> 13) & 3) !== cDpl || ((sHigh >> 8) & 0x1a) !== 0x12) this.raise(Vector.TS, ss & 0xfffc);
      if (!(sHigh & 0x8000)) this.raise(Vector.SS, ss & 0xfffc);
      const savedCpl = this.cpl;
      this.cpl = cDpl;
      this.setSegmentFromDescriptor(SS, ss, sLow, sHigh);
      this.regs[ESP] = esp;
      try {
        this.push(oldSs, size);
        this.push(oldEsp, size);
        this.push(flags, size);
        this.push(this.segSelector[CS]!, size);
        this.push(returnEip, size);
        if (hasErrorCode) this.push(errorCode, size);
      } catch (e) {
        this.cpl = savedCpl;
        throw e;
      }
    } else {
      this.push(flags, size);
      this.push(this.segSelector[CS]!, size);
      this.push(returnEip, size);
      if (hasErrorCode) this.push(errorCode, size);
    }
    const newCpl = conforming ? this.cpl : cDpl;
    this.setSegmentFromDescriptor(CS, (selector & 0xfffc) | newCpl, cLow, cHigh);
    this.cpl = newCpl;
    this.eip = offset >>> 0;
    this.flagBits &= ~(TF | NT | RF | VM);
    if (!(type & 1)) this.flagBits &= ~IF;
  }

  /** SS:ESP for a ring from the current 32-bit (or 16-bit) TSS. */
  tssStack(ring: number): [number, number] {
    const big = this.trType === 0x9 || this.trType === 0xb;
    const offset = big ? 4 + ring * 8 : 2 + ring * 4;
    if (offset + (big ? 7 : 3) > (this.trLimit >>> 0)) this.raise(Vector.TS, this.trSelector & 0xfffc);
    const lin = (this.trBase + offset) | 0;
    if (big) return [this.physRead16(this.translateSystem((lin + 4) | 0, false)), this.physRead32(this.translateSystem(lin, false))];
    return [this.physRead16(this.translateSystem((lin + 2) | 0, false)), this.physRead16(this.translateSystem(lin, false))];
  }

  /** Benign, contributory and page-fault classes decide whether a second fault is a double fault. */
  private static contributory(vector: number): boolean {
    return vector === 0 || (vector >= 10 && vector <= 13);
  }

  /**
   * Delivers the fault in this.fault. A fault raised while delivering it is delivered instead, or
   * escalates to #DF when both are contributory or a page fault meets a contributory fault or another
   * page fault (Intel SDM table 6-5); a fault while delivering #DF is a triple fault.
   */
  private deliverFault(): Exit | undefined {
    this.eip = this.startEip;
    let vector = this.fault.vector;
    let code = this.fault.errorCode;
    let hasCode = this.fault.hasErrorCode;
    const chain: number[] = [];
    for (;;) {
      chain.push(vector);
      try {
        this.deliver(vector, false, code, hasCode, this.startEip);
        return undefined;
      } catch (e) {
        if (e !== this.fault) throw e;
      }
      const next = this.fault.vector;
      if (vector === Vector.DF) return this.tripleFault(`fault ${next} while delivering #DF (faults: ${chain.join(', ')})`);
      const escalate = (Cpu.contributory(vector) && Cpu.contributory(next)) || (vector === Vector.PF && (Cpu.contributory(next) || next === Vector.PF));
      if (escalate) {
        vector = Vector.DF;
        code = 0;
        hasCode = true;
      } else {
        vector = next;
        code = this.fault.errorCode;
        hasCode = this.fault.hasErrorCode;
      }
      if (chain.length > 8) return this.tripleFault(`faults kept arising while delivering (${chain.join(', ')})`);
    }
  }

  private tripleFault(reason: string): Exit {
    const bytes: number[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        bytes.push(this.fetchCode8(i));
      } catch {
        break;
      }
    }
    this.shutdownInfo = { reason: `triple fault: ${reason}`, eip: this.startEip >>> 0, bytes };
    this.halted = true;
    return Exit.Shutdown;
  }

  /** An external interrupt can be taken now. */
  private interruptReady(): boolean {
    return (this.flagBits & IF) !== 0 && !this.interruptShadow && this.interrupts !== undefined && this.interrupts.pending();
  }

  // ---- the run loop -----------------------------------------------------------------------------

  /**
   * Runs until an exit or until `budget` instructions retired. Guest faults are delivered to the guest
   * here; nothing a guest does makes this throw.
   */
  run(budget: number): Exit {
    const stop = this.instructions + budget;
    this.exitRequested = false;
    if (this.halted) {
      if (this.shutdownInfo) return Exit.Shutdown;
      if (!this.interruptReady()) return Exit.Hlt;
      this.halted = false;
    }
    for (;;) {
      try {
        while (this.instructions < stop) {
          if (this.interruptShadow) this.interruptShadow = false;
          else if ((this.flagBits & IF) !== 0 && this.interrupts !== undefined && this.interrupts.pending()) {
            const vector = this.interrupts.acknowledge();
            this.interruptsTaken++;
            this.startEip = this.eip;
            this.deliver(vector, false, 0, false, this.eip);
          }
          if (this.exitRequested) {
            this.exitRequested = false;
            return Exit.Requested;
          }
          this.startEip = this.eip;
          if (this.translate && (this.segFlags[CS]! & (SEG_FLAT | SEG_BIG)) === (SEG_FLAT | SEG_BIG)) {
            const block = this.blockAt();
            // A block runs whole: only when it fits the budget, so budgets (and the virtual clock) stay exact.
            if (block !== undefined && this.instructions + block.count <= stop) {
              const exit = this.runChain(block, stop);
              if (exit !== Exit.Budget) return exit;
              continue;
            }
          }
          const insn = this.fetchInstruction();
          const exit = execute(this, insn);
          this.instructions++;
          if (exit !== Exit.Budget) return exit;
        }
        return Exit.Budget;
      } catch (e) {
        if (e !== this.fault) throw e;
        if (this.runningBlock !== undefined) {
          // Count the block's instructions that completed before the faulting one, earlier passes included.
          this.instructions += this.runningBlock.count * (this.blockIterations - 1) + this.runningBlock.eips.indexOf(this.startEip | 0);
          this.runningBlock = undefined;
        }
        this.instructions++;
        const exit = this.deliverFault();
        if (exit !== undefined) return exit;
      }
    }
  }

  /**
   * Executes exactly one instruction without delivering a fault: returns the fault's vector (EIP stays
   * at the instruction, as the processor reports it) or -1. For the single-instruction tests.
   */
  step(): number {
    this.startEip = this.eip;
    try {
      decode(this, this.code32, this.insn);
      execute(this, this.insn);
      this.instructions++;
      return -1;
    } catch (e) {
      if (e !== this.fault) throw e;
      this.eip = this.startEip;
      return this.fault.vector;
    }
  }

}
