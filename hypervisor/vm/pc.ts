import type { IoBus } from '../bus/io-bus.js';
import { ELCR_PORT, ELCR_PORT_COUNT, PIC_MASTER_PORT, PIC_PORT_COUNT, PIC_SLAVE_PORT, PicPair } from '../devices/pic8259.js';
import { Pit8254, PIT_IRQ, PIT_PORT, PIT_PORT_COUNT, PORT_61, PORT_61_COUNT } from '../devices/pit8254.js';
import { CMOS_INDEX_PORT, CMOS_PORT_COUNT, CmosRtc, RTC_IRQ } from '../devices/rtc-cmos.js';
import { I8042, I8042_COMMAND, I8042_DATA, Port92, PORT_92 } from '../devices/system-control.js';

/** Guest time for the platform's timers, in ns since the machine started. */
export interface GuestClock {
  now(): number;
}

/** The shared memory behind the platform's devices: every vCPU of a VM builds its devices over the same. */
export interface PcState {
  pic: Int32Array;
  pit: Int32Array;
  rtc: Int32Array;
}

export interface PcOptions {
  memoryBytes: number;
  clock: GuestClock;
  /** Unix time (s) at guest time 0, for the RTC; default the host's time now. */
  epochSeconds?: number;
  /** A guest-requested reset (port 0x92, i8042). */
  onReset: () => void;
  /** The devices' shared state; a fresh one when absent. */
  state?: PcState;
}

export const COM1_IRQ = 4;

/**
 * The PC around the CPU for unmodified guests: the 8259A pair, the 8254 and port 0x61, the RTC/CMOS,
 * port 0x92 and the i8042, at their standard ports. The timers have no host callbacks: the run loop calls
 * `update()` at its boundaries and, when the guest halts, sleeps until `nextEventNs()`.
 */
export class PcPlatform {
  static createState(): PcState {
    return { pic: PicPair.createState(), pit: Pit8254.createState(), rtc: CmosRtc.createState() };
  }

  readonly state: PcState;
  readonly pic: PicPair;
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly port92: Port92;
  readonly i8042: I8042;

  constructor(options: PcOptions) {
    this.state = options.state ?? PcPlatform.createState();
    this.pic = new PicPair(this.state.pic);
    this.pit = new Pit8254(this.state.pit, options.clock, this.pic.line(PIT_IRQ));
    this.rtc = new CmosRtc(this.state.rtc, options.clock, this.pic.line(RTC_IRQ), {
      epochSeconds: options.epochSeconds ?? Math.floor(Date.now() / 1000),
      memoryBytes: options.memoryBytes,
    });
    this.port92 = new Port92(options.onReset);
    this.i8042 = new I8042(options.onReset);
  }

  /** Registers every device at its standard ports. */
  attach(ports: IoBus): void {
    ports.register(PIC_MASTER_PORT, PIC_PORT_COUNT, this.pic.masterPorts);
    ports.register(PIC_SLAVE_PORT, PIC_PORT_COUNT, this.pic.slavePorts);
    ports.register(ELCR_PORT, ELCR_PORT_COUNT, this.pic.elcrPorts);
    ports.register(PIT_PORT, PIT_PORT_COUNT, this.pit.ports);
    ports.register(PORT_61, PORT_61_COUNT, this.pit.port61);
    ports.register(CMOS_INDEX_PORT, CMOS_PORT_COUNT, this.rtc.ports);
    ports.register(PORT_92, 1, this.port92);
    ports.register(I8042_DATA, 1, this.i8042.dataPort);
    ports.register(I8042_COMMAND, 1, this.i8042.commandPort);
  }

  /** The earliest guest time a timer needs the run loop, or undefined when none will. */
  nextEventNs(): number | undefined {
    const pit = this.pit.nextEventNs();
    const rtc = this.rtc.nextEventNs();
    if (pit === undefined) return rtc;
    return rtc === undefined ? pit : Math.min(pit, rtc);
  }

  /**
   * HLT with IF set on the CPU this PIC interrupts. Until an interrupt is pending it hands `pass` the guest
   * time to the next timer event (Infinity when none is armed and only `othersCanRaise` lines could wake
   * it); `pass` sleeps or skips that long and returns false to give up (a stop request). False when no
   * interrupt can ever come.
   */
  haltUntilInterrupt(now: () => number, pass: (waitNs: number) => boolean, othersCanRaise: boolean): boolean {
    for (;;) {
      this.update();
      if (this.pic.pending()) return true;
      const next = this.nextEventNs();
      if (next === undefined && !othersCanRaise) return false;
      if (!pass(next === undefined ? Infinity : Math.max(next - now(), 0))) return true;
    }
  }

  /** Brings the timers' interrupt lines up to the current guest time. */
  update(): void {
    this.pit.update();
    this.rtc.update();
  }
}
