/** The hypervisor's public API. */
export { GuestMemory } from './memory/guest-memory.js';
export { Cpu, GuestFault } from './x86/cpu.js';
export { Fpu } from './x86/fpu.js';
export { Exit } from './x86/state.js';
export type { CpuIo, InterruptSource } from './x86/io.js';
export { Machine, type MachineOptions, type Stop, type RomImage, type MemoryRegion } from './vm/machine.js';
export { loadMultiboot } from './loader/multiboot.js';
export { loadElf, ImageError, type ImageFile } from './loader/elf.js';
export { createVm, Vm, parseSize, TIMEOUT_EXIT, type VmConfig, type DriveConfig, type LoadOptions, type LoadedImage, type VmResult, type VmStats, type VcpuFigures, type VmEvents, type ClockKind } from './vm/vm.js';
export { Vcpu, readStats, type VcpuHost, type VcpuOptions, type VcpuStop, type VcpuStats } from './vcpu/vcpu.js';
export { VcpuControl } from './vcpu/control.js';
export { RecordQueue, ByteRing } from './base/rings.js';
export { RankedLock, LockRank, RankViolation, checkLockRanks } from './base/lock.js';
