import type { IoBus } from '../bus/io-bus.js';
import { IOAPIC_BASE, IOAPIC_SIZE, IoApic } from '../devices/ioapic.js';
import type { IrqLine } from '../devices/irq-line.js';
import { ApicRouter, createLapicState, LAPIC_BASE, LAPIC_BLOCK_WORDS, LAPIC_SIZE, LocalApic } from '../devices/lapic.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { Cpu } from '../x86/cpu.js';
import { writeAcpiTables } from './acpi.js';
import { writeMpTable } from './mptable.js';
import { ELCR_PORT, ELCR_PORT_COUNT, PIC_MASTER_PORT, PIC_PORT_COUNT, PIC_SLAVE_PORT, PicPair } from '../devices/pic8259.js';
import { Pit8254, PIT_IRQ, PIT_PORT, PIT_PORT_COUNT, PORT_61, PORT_61_COUNT } from '../devices/pit8254.js';
import { CMOS_INDEX_PORT, CMOS_PORT_COUNT, CmosRtc, RTC_IRQ } from '../devices/rtc-cmos.js';
import { I8042, I8042_COMMAND, I8042_DATA, Port92, PORT_92 } from '../devices/system-control.js';
import { COM_IRQS, COM_PORTS, Uart16550, UART_PORT_COUNT } from '../devices/uart16550.js';

/** Guest time for the platform's timers, in ns since the machine started. */
export interface GuestClock {
  now(): number;
}

/** The shared memory behind the platform's devices: every vCPU of a VM builds its devices over the same. */
export interface PcState {
  pic: Int32Array;
  pit: Int32Array;
  rtc: Int32Array;
  ioapic: Int32Array;
  /** Every vCPU's local APIC, one block each. */
  lapics: Int32Array;
  /** COM1-COM4. */
  uarts: Int32Array[];
  port92: Int32Array;
  i8042: Int32Array;
}

export interface PcOptions {
  memoryBytes: number;
  clock: GuestClock;
  /** Unix time (s) at guest time 0, for the RTC; default the host's time now. */
  epochSeconds?: number;
  /** A guest-requested reset (port 0x92, i8042). */
  onReset: () => void;
  /** Every byte the guest sends to COM1 (COM2-COM4 are there for drivers that probe them; their output goes nowhere). */
  serial?: (byte: number) => void;
  /** The devices' shared state; a fresh one (for one vCPU) when absent. */
  state?: PcState;
  /** The vCPU this instance serves (its local APIC; vCPU 0 also takes the PIC's INTR on LINT0). */
  vcpuId?: number;
  /** Wakes vCPU `index` to look at its interrupts (it may sleep in HLT in another thread). */
  wake?: (index: number) => void;
  /** The TSC now, for the local APIC's TSC-deadline mode (the TSC counts guest ns). */
  tsc?: () => number;
}

/** The IOAPIC's ID, 0 as QEMU's (xAPIC messages name local APICs only, so it need not differ from theirs). */
const IOAPIC_ID = 0;

/**
 * The MP and ACPI tables describing a PC with `vcpuCount` processors, in guest RAM's BIOS area (see
 * mptable.ts, acpi.ts). A machine with less than 1 MiB of RAM has no BIOS area, and no tables.
 */
export function writeFirmwareTables(memory: GuestMemory, vcpuCount: number): void {
  if (memory.size < 0x100000) return;
  writeMpTable(memory, { cpus: vcpuCount, ioapicId: IOAPIC_ID });
  writeAcpiTables(memory, { cpus: vcpuCount, ioapicId: IOAPIC_ID });
}

/** CPUID.1:ECX bit 24: the local APIC timer has the TSC-deadline mode. */
const CPUID_TSC_DEADLINE = 1 << 24;

/** The IOAPIC input each ISA IRQ drives: the identity, but for the timer on pin 2 (QEMU's and most PCs' wiring). */
export const ioapicPinOf = (irq: number): number => (irq === 0 ? 2 : irq);

/**
 * The PC around one vCPU for unmodified guests: the 8259A pair, the 8254 and port 0x61, the RTC/CMOS,
 * port 0x92 and the i8042 at their standard ports, the IOAPIC, and this vCPU's local APIC. Every vCPU of a
 * VM builds one over the same shared state, so the shared devices are one device and the local APICs
 * reach each other. The timers have no host callbacks: the run loop calls `update()` at its boundaries
 * and, when the guest halts, sleeps until `nextEventNs()`.
 */
export class PcPlatform {
  static createState(vcpuCount = 1): PcState {
    const ioapic = IoApic.createState();
    new IoApic(ioapic, { deliver: () => {} }).setId(IOAPIC_ID);
    return {
      pic: PicPair.createState(),
      pit: Pit8254.createState(),
      rtc: CmosRtc.createState(),
      ioapic,
      lapics: createLapicState(vcpuCount),
      uarts: COM_PORTS.map(() => Uart16550.createState()),
      port92: Port92.createState(),
      i8042: I8042.createState(),
    };
  }

  readonly state: PcState;
  readonly pic: PicPair;
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly port92: Port92;
  readonly i8042: I8042;
  /** COM1-COM4. */
  readonly uarts: readonly Uart16550[];
  readonly ioapic: IoApic;
  readonly router: ApicRouter;
  /** This vCPU's local APIC. */
  readonly lapic: LocalApic;
  private readonly irqs: IrqLine[];

  constructor(options: PcOptions) {
    this.state = options.state ?? PcPlatform.createState();
    const vcpuId = options.vcpuId ?? 0;
    const wake = options.wake ?? (() => {});
    this.pic = new PicPair(this.state.pic, () => wake(0));
    this.router = new ApicRouter(this.state.lapics, this.state.lapics.length / LAPIC_BLOCK_WORDS, wake);
    this.ioapic = new IoApic(this.state.ioapic, this.router);
    this.lapic = new LocalApic(this.state.lapics, vcpuId, this.router, {
      now: () => options.clock.now(),
      tsc: options.tsc ?? (() => options.clock.now()),
      ...(vcpuId === 0 ? { lint0: this.pic } : {}),
      onLevelEoi: (vector) => this.ioapic.endOfInterrupt(vector),
    });
    // Each ISA interrupt reaches both controllers, as on a PC: the guest masks the one it does not use.
    this.irqs = Array.from({ length: 16 }, (_, irq) => {
      const toPic = this.pic.line(irq);
      const toIoapic = this.ioapic.pin(ioapicPinOf(irq));
      return {
        raise: () => {
          toPic.raise();
          toIoapic.raise();
        },
        lower: () => {
          toPic.lower();
          toIoapic.lower();
        },
      };
    });
    this.pit = new Pit8254(this.state.pit, options.clock, this.irq(PIT_IRQ));
    this.rtc = new CmosRtc(this.state.rtc, options.clock, this.irq(RTC_IRQ), {
      epochSeconds: options.epochSeconds ?? Math.floor(Date.now() / 1000),
      memoryBytes: options.memoryBytes,
    });
    this.port92 = new Port92(options.onReset, this.state.port92);
    this.i8042 = new I8042(options.onReset, this.state.i8042);
    // The interrupt reaches the controllers whatever OUT2 and loopback say, as under QEMU, whose output the
    // PC platform reproduces (a real PC gates it with OUT2 and cuts it in loopback).
    this.uarts = COM_PORTS.map((_, n) =>
      new Uart16550(`com${n + 1}`, { state: this.state.uarts[n]!, out2GatesIrq: false, irq: this.irq(COM_IRQS[n]!), ...(n === 0 && options.serial ? { output: options.serial } : {}) }),
    );
  }

  /** ISA interrupt `irq` (0-15), wired to the PIC input and its IOAPIC pin. */
  irq(irq: number): IrqLine {
    const line = this.irqs[irq];
    if (line === undefined) throw new RangeError(`pc: no ISA IRQ ${irq} (0-15)`);
    return line;
  }

  /** Makes this vCPU's local APIC the CPU's interrupt source and MSRs, with its APIC ID in CPUID. */
  connect(cpu: Cpu): void {
    cpu.interrupts = this.lapic;
    cpu.msrs = this.lapic;
    cpu.apicId = this.lapic.apicId;
    cpu.extraFeaturesEcx |= CPUID_TSC_DEADLINE;
  }

  /** Registers every device at its standard ports and physical addresses. */
  attach(ports: IoBus, mmio: IoBus): void {
    mmio.register(LAPIC_BASE, LAPIC_SIZE, this.lapic);
    mmio.register(IOAPIC_BASE, IOAPIC_SIZE, this.ioapic);
    ports.register(PIC_MASTER_PORT, PIC_PORT_COUNT, this.pic.masterPorts);
    ports.register(PIC_SLAVE_PORT, PIC_PORT_COUNT, this.pic.slavePorts);
    ports.register(ELCR_PORT, ELCR_PORT_COUNT, this.pic.elcrPorts);
    ports.register(PIT_PORT, PIT_PORT_COUNT, this.pit.ports);
    ports.register(PORT_61, PORT_61_COUNT, this.pit.port61);
    ports.register(CMOS_INDEX_PORT, CMOS_PORT_COUNT, this.rtc.ports);
    ports.register(PORT_92, 1, this.port92);
    COM_PORTS.forEach((port, n) => ports.register(port, UART_PORT_COUNT, this.uarts[n]!));
    ports.register(I8042_DATA, 1, this.i8042.dataPort);
    ports.register(I8042_COMMAND, 1, this.i8042.commandPort);
  }

  /** The earliest guest time a timer needs the run loop, or undefined when none will. */
  nextEventNs(): number | undefined {
    let next: number | undefined;
    for (const at of [this.pit.nextEventNs(), this.rtc.nextEventNs(), this.lapic.nextEventNs()]) if (at !== undefined && (next === undefined || at < next)) next = at;
    return next;
  }

  /**
   * HLT with IF set on this vCPU. Until an interrupt is pending it hands `pass` the guest time to the next
   * timer event (Infinity when none is armed and only `othersCanRaise` sources could wake it); `pass`
   * sleeps or skips that long and returns false to give up (a stop request). `arm` runs before each look
   * at the interrupts: a sleeper reads its wake word there, so a wake-up between the look and the sleep
   * is not lost. False when no interrupt can ever come.
   */
  haltUntilInterrupt(now: () => number, pass: (waitNs: number) => boolean, othersCanRaise: boolean, arm?: () => void): boolean {
    for (;;) {
      arm?.();
      this.update();
      if (this.lapic.pending()) return true;
      const next = this.nextEventNs();
      if (next === undefined && !othersCanRaise) return false;
      if (!pass(next === undefined ? Infinity : Math.max(next - now(), 0))) return true;
    }
  }

  /** Brings the timers' interrupt lines up to the current guest time. */
  update(): void {
    this.pit.update();
    this.rtc.update();
    this.lapic.update();
  }
}
