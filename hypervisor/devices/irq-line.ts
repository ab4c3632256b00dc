/**
 * The one thing a device knows about interrupts: a line it can drive. What is behind it (a PIC input,
 * an IOAPIC pin, a test recorder) is the VM's business. Level semantics: a device raises the line while
 * it wants service and lowers it when the condition clears; edge-triggered controllers see the raise.
 */
export interface IrqLine {
  raise(): void;
  lower(): void;
}

/** A line connected to nothing, for devices whose interrupt is not wired. */
export const UNCONNECTED: IrqLine = { raise: () => {}, lower: () => {} };

/** Drives a line to a level. */
export function setLevel(line: IrqLine, high: boolean): void {
  if (high) line.raise();
  else line.lower();
}

/** A line that remembers its level and counts rising edges, for tests and simple wiring. */
export class RecordingIrqLine implements IrqLine {
  high = false;
  risingEdges = 0;
  raise(): void {
    if (!this.high) this.risingEdges++;
    this.high = true;
  }
  lower(): void {
    this.high = false;
  }
}
