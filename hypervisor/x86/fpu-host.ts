/**
 * What the x87 FPU needs from the CPU that runs it. The CPU decodes the escape opcode (D8-DF), its ModRM
 * byte and, for a memory operand, the effective address; it checks CR0.EM/TS (#NM) before calling the
 * FPU. Memory accesses go through the CPU's segmentation and paging and may throw the CPU's fault.
 */
export interface FpuHost {
  /** Linear-address memory access through paging; may throw a guest fault (#PF, #GP) that the CPU delivers. */
  readMem8(linear: number): number;
  readMem16(linear: number): number;
  /** Returns the 32-bit value as a signed int32. */
  readMem32(linear: number): number;
  writeMem8(linear: number, value: number): void;
  writeMem16(linear: number, value: number): void;
  writeMem32(linear: number, value: number): void;
  /** For FSTSW AX / FNSTSW AX. */
  setAx(value: number): void;
  /** EFLAGS as the CPU currently sees it (for FCMOVcc conditions). */
  eflags(): number;
  /** FCOMI/FUCOMI: sets ZF, PF and CF as given (0 or 1) and clears OF, SF and AF. */
  setCompareFlags(zf: number, pf: number, cf: number): void;
  /** CR0.NE set: an unmasked x87 exception raises #MF (vector 16) at the next waiting x87 instruction. */
  numericErrorNative(): boolean;
  /** Raises a guest exception (used for #MF); does not return. */
  raise(vector: number): never;
}
