/** Architectural constants of the i686 CPU: flags, control-register bits, exception vectors, segments. */

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const ID = 0x200000;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bits POPF and IRET can change at CPL 0 (RF and VM aside: pvrt has no virtual-8086 mode). */
export const POPF_MASK = ARITH_FLAGS | TF | IF | DF | IOPL | NT | AC | ID;

export const CR0_PE = 0x1;
export const CR0_MP = 0x2;
export const CR0_EM = 0x4;
export const CR0_TS = 0x8;
export const CR0_ET = 0x10;
export const CR0_NE = 0x20;
export const CR0_WP = 0x10000;
export const CR0_AM = 0x40000;
export const CR0_NW = 0x20000000;
export const CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000 | 0;
export const CR4_TSD = 0x4;
export const CR4_PSE = 0x10;
/** CR4 bits this CPU implements (VME, PVI, PAE, PGE and the rest raise #GP when set). */
export const CR4_SUPPORTED = CR4_TSD | CR4_PSE | 0x8 /* DE */;

export const enum Vector {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17,
}

export const ES = 0;
export const CS = 1;
export const SS = 2;
export const DS = 3;
export const FS = 4;
export const GS = 5;

export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const ESP = 4;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;

/** CPUID leaf 1: family 6 model 3 stepping 3 (Pentium II), and its EDX features: FPU, DE, PSE, TSC, MSR, CX8, APIC, SEP, CMOV. */
export const CPUID_SIGNATURE = 0x0633;
export const CPUID_FEATURES_EDX = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 15);

export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;

/** Why `Cpu.run` returned. */
export const enum Exit {
  /** The instruction budget ran out; call run again. */
  Budget = 0,
  /** HLT with interrupts enabled: sleep until an interrupt can be delivered. */
  Hlt = 1,
  /** VMCALL: a hypercall for the paravirtual interface; EIP is past the instruction. */
  Hypercall = 2,
  /** Triple fault, or HLT with interrupts disabled: the guest stopped for good. */
  Shutdown = 3,
  /** Someone asked the CPU to stop at the next instruction boundary (requestExit). */
  Requested = 4,
}
