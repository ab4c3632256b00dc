import type { FpuHost } from './fpu-host.js';

/** The x87 unit as the CPU drives it (implemented by Fpu in fpu.ts). */
export interface X87 {
  reset(): void;
  isValid(escape: number, modrm: number): boolean;
  execute(escape: number, modrm: number, linear: number, operandSize16: boolean, realMode: boolean, instructionPointer: number, dataPointer: number): void;
  wait(): void;
}

export type X87Factory = (host: FpuHost) => X87;
