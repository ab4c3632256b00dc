import { cpuIoFrom, mmioBus, portBus, type IoBus } from '../bus/io-bus.js';
import { DEBUG_CONSOLE_PORT, DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, DebugConsole, DebugExit } from '../devices/debug-exit.js';
import { Rom } from '../devices/rom.js';
import { Uart16550 } from '../devices/uart16550.js';
import { PcPlatform, writeFirmwareTables, type GuestClock, type PcState } from './pc.js';
import { loadElf, type ImageFile, type LoadedElf } from '../loader/elf.js';
import { loadMultiboot, type MultibootBoot } from '../loader/multiboot.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { Cpu } from '../x86/cpu.js';
import { CR0_PE, EAX, EBX, Exit } from '../x86/state.js';
import type { X87Factory } from '../x86/x87.js';

export const COM1 = 0x3f8;

export interface MachineOptions {
  /** Guest RAM in bytes (a multiple of 4096), or the shared RAM of a VM whose vCPU this machine runs. */
  memoryBytes: number | SharedArrayBuffer;
  /** Every byte the guest sends to COM1 or the 0xe9 debug console. */
  serial?: (byte: number) => void;
  /** The x87 unit; without one, x87 instructions raise #UD (no FPU present). */
  fpu?: X87Factory;
  /** Read-only images mapped on the MMIO bus above RAM (a firmware, a device tree, a boot ROM). */
  roms?: readonly RomImage[];
  /**
   * The PC platform (PIC, PIT, RTC, port 0x92, i8042; COM1 on IRQ 4) for unmodified guests, on the real
   * clock (host time), the virtual one (one ns per instruction, idle time skipped), or a clock of the
   * caller's (a vCPU's). Without it the machine has no interrupt sources and a halt is final.
   */
  pc?: {
    clock?: 'real' | 'virtual' | GuestClock;
    epochSeconds?: number;
    state?: PcState;
    /** The vCPU of a VM this machine runs (its local APIC), and how to wake another vCPU. */
    vcpuId?: number;
    wake?: (vcpu: number) => void;
  };
  /** For a vCPU of a VM: the VM's code-owner bitmap (Int32Array over shared memory) and this vCPU's index. */
  sharedCode?: { owners: Int32Array; index: number };
}

export interface RomImage {
  name: string;
  /** Guest-physical address, at or above the end of RAM. */
  base: number;
  bytes: Uint8Array;
}

/** One entry of the physical memory map. */
export interface MemoryRegion {
  kind: 'ram' | 'rom' | 'mmio';
  name: string;
  base: number;
  size: number;
}

/** Why `Machine.run` returned. */
export type Stop =
  | { kind: 'exit'; code: number }
  | { kind: 'shutdown'; reason: string; eip: number; bytes: number[] }
  | { kind: 'halted' }
  /** The guest pulsed the reset line (port 0x92, i8042); there is no firmware to restart. */
  | { kind: 'reset' }
  | { kind: 'budget' };

/**
 * The smallest PC that runs the multiboot guests of the CPU's test ladder: RAM, COM1, QEMU's
 * isa-debug-exit and 0xe9 console, on one port bus. The PC-platform work adds the interrupt
 * controllers, timers and the rest around the same buses.
 */
export class Machine {
  readonly memory: GuestMemory;
  readonly ports: IoBus = portBus();
  readonly mmio: IoBus = mmioBus();
  readonly cpu: Cpu;
  readonly com1: Uart16550;
  /** The isa-debug-exit code, once the guest wrote one. */
  exitCode: number | undefined;
  readonly pc: PcPlatform | undefined;
  /** The guest pulsed the reset line (port 0x92, i8042): whoever runs the CPU restarts the machine. */
  resetRequested = false;
  /** Virtual time skipped while halted (virtual clock). */
  private skipped = 0;
  private readonly sleepWord = new Int32Array(new SharedArrayBuffer(4));
  private readonly virtualClock: boolean;
  /** Guest time in ns: host time since construction, or instructions plus skipped idle time. */
  readonly guestClock: GuestClock;

  constructor(options: MachineOptions) {
    this.memory = new GuestMemory(options.memoryBytes);
    const serial = options.serial ?? (() => {});
    const clock = options.pc?.clock;
    const virtual = (this.virtualClock = clock === 'virtual');
    const start = performance.now();
    this.guestClock =
      typeof clock === 'object' ? clock : { now: () => (virtual ? this.cpu.instructions + this.skipped : Math.floor((performance.now() - start) * 1e6)) };
    if (options.pc) {
      this.pc = new PcPlatform({
        memoryBytes: this.memory.size,
        clock: this.guestClock,
        ...(options.pc.epochSeconds === undefined ? {} : { epochSeconds: options.pc.epochSeconds }),
        ...(options.pc.state === undefined ? {} : { state: options.pc.state }),
        ...(options.pc.vcpuId === undefined ? {} : { vcpuId: options.pc.vcpuId }),
        ...(options.pc.wake === undefined ? {} : { wake: options.pc.wake }),
        tsc: () => this.cpu.tsc(),
        serial,
        onReset: () => {
          this.resetRequested = true;
          this.cpu.requestExit();
        },
      });
      this.pc.attach(this.ports, this.mmio);
    }
    // Without the PC platform, COM1 alone (polled: it has no interrupt controller to raise).
    if (this.pc) this.com1 = this.pc.uarts[0]!;
    else {
      this.com1 = new Uart16550('com1', { output: serial });
      this.ports.register(COM1, 8, this.com1);
    }
    this.ports.register(DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, new DebugExit((code) => {
      this.exitCode = code;
      this.cpu.requestExit();
    }));
    this.ports.register(DEBUG_CONSOLE_PORT, 1, new DebugConsole(serial));
    for (const rom of options.roms ?? []) {
      if (rom.base < this.memory.size) throw new RangeError(`ROM ${rom.name} at 0x${rom.base.toString(16)} overlaps RAM (0 to 0x${this.memory.size.toString(16)})`);
      this.mmio.register(rom.base, rom.bytes.length, new Rom(rom.name, rom.bytes));
    }
    this.cpu = new Cpu(this.memory, cpuIoFrom(this.ports, this.mmio), options.fpu, options.sharedCode);
    if (this.pc) {
      this.pc.connect(this.cpu);
      // The TSC counts guest ns on the PC platform, so the local APIC's TSC deadlines are guest times.
      this.cpu.tscSource = () => this.guestClock.now();
    }
  }

  /** The physical memory map: RAM from 0, then every ROM and MMIO device range, by address. */
  memoryMap(): MemoryRegion[] {
    return [
      { kind: 'ram', name: 'ram', base: 0, size: this.memory.size },
      ...this.mmio.map.map((r) => ({ kind: r.device instanceof Rom ? ('rom' as const) : ('mmio' as const), name: r.device.name, base: r.base, size: r.size })),
    ];
  }

  /** Loads a plain ELF (a paravirtual guest) and starts it at its entry in flat 32-bit protected mode. */
  bootElf(image: ImageFile): LoadedElf {
    const loaded = loadElf(image, this.memory);
    this.enterFlatProtectedMode(loaded.entry);
    return loaded;
  }

  /** Loads a multiboot image and puts the CPU in the state the multiboot specification promises. */
  bootMultiboot(image: ImageFile, commandLine?: string): MultibootBoot {
    if (this.pc) writeFirmwareTables(this.memory, 1);
    const boot = loadMultiboot(image, this.memory, commandLine === undefined ? {} : { cmdline: commandLine });
    this.enterFlatProtectedMode(boot.eip);
    const cpu = this.cpu;
    cpu.setFlags(boot.eflags);
    cpu.regs[EAX] = boot.eax;
    cpu.regs[EBX] = boot.ebx;
    return boot;
  }

  /** Reset, then flat 32-bit protected mode at ring 0 without descriptor tables, as multiboot promises. */
  enterFlatProtectedMode(eip: number): void {
    const cpu = this.cpu;
    cpu.reset();
    cpu.setCr0(cpu.cr0 | CR0_PE);
    // QEMU's multiboot loader leaves CS = 0x10 and the data segments = 0x18 (flat, 4 GiB).
    cpu.setFlatSegments(0x10, 0x18, 0);
    cpu.cpl = 0;
    cpu.gdtBase = 0;
    cpu.gdtLimit = 0;
    cpu.eip = eip >>> 0;
  }

  /** Runs until the guest exits, stops for good, or `budget` instructions retired. */
  run(budget: number): Stop {
    const cpu = this.cpu;
    const pc = this.pc;
    const end = cpu.instructions + budget;
    // With timers, the loop comes back often enough to raise their lines on time (100k instructions is
    // well under a millisecond).
    const chunk = pc ? 100_000 : 1_000_000;
    while (cpu.instructions < end) {
      pc?.update();
      const exit = cpu.run(Math.min(chunk, end - cpu.instructions));
      if (this.exitCode !== undefined) return { kind: 'exit', code: this.exitCode };
      if (this.resetRequested) return { kind: 'reset' };
      if (exit === Exit.Shutdown) {
        const info = cpu.shutdownInfo!;
        return { kind: 'shutdown', reason: info.reason, eip: info.eip, bytes: info.bytes };
      }
      if (exit === Exit.Hlt) {
        // A halt with interrupts off, or with no timer that could ever fire, is final.
        const woken = pc !== undefined && cpu.interruptsEnabled && pc.haltUntilInterrupt(() => this.guestClock.now(), this.passTime, false);
        if (!woken) return { kind: 'halted' };
      }
    }
    return { kind: 'budget' };
  }

  /** HLT's wait in this thread: sleep (real clock) or skip the time (virtual clock). */
  private readonly passTime = (waitNs: number): boolean => {
    if (this.virtualClock) this.skipped += waitNs;
    else Atomics.wait(this.sleepWord, 0, 0, waitNs / 1e6);
    return true;
  };
}
