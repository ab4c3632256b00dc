import type { Outcome, VcpuContext } from './context.js';
import type { ClockReadArgs, TimerCancelArgs, TimerSetArgs } from './generated/i386.js';
import { Status } from './generated/interface.js';

export function clockRead(_args: ClockReadArgs, vcpu: VcpuContext): Outcome {
  return { status: Status.OK, value: vcpu.now() };
}

export function timerSet(args: TimerSetArgs, vcpu: VcpuContext): Outcome {
  vcpu.setTimer(args.deadline);
  return { status: Status.OK };
}

export function timerCancel(_args: TimerCancelArgs, vcpu: VcpuContext): Outcome {
  vcpu.cancelTimer();
  return { status: Status.OK };
}
