import type { Outcome, VcpuContext } from './context.js';
import type { ClockReadArgs } from './generated/i386.js';
import { Status } from './generated/interface.js';

export function clockRead(_args: ClockReadArgs, vcpu: VcpuContext): Outcome {
  return { status: Status.OK, value: vcpu.now() };
}
