import type { Outcome, VcpuContext } from './context.js';
import type { DebugLogArgs } from './generated/i386.js';
import { LogLevel, Status } from './generated/interface.js';

const LEVELS = new Set<number>(Object.values(LogLevel));

export function debugLog(args: DebugLogArgs, vcpu: VcpuContext): Outcome {
  if (!LEVELS.has(args.level)) return { status: Status.EINVAL };
  vcpu.log(args.level, Buffer.from(vcpu.memory.readBytes(args.message, args.length)).toString('latin1'));
  return { status: Status.OK };
}
