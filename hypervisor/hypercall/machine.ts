import type { Outcome, VcpuContext } from './context.js';
import type { ShutdownArgs } from './generated/i386.js';
import { ShutdownReason, Status } from './generated/interface.js';

const REASONS = new Set<number>(Object.values(ShutdownReason));

export function shutdown(args: ShutdownArgs, vcpu: VcpuContext): Outcome {
  if (!REASONS.has(args.reason)) return { status: Status.EINVAL };
  vcpu.shutdown(args.reason, args.code);
  return { status: Status.OK };
}
