import type { Outcome, VcpuContext } from './context.js';
import type { ConsoleReadArgs, ConsoleWriteArgs } from './generated/i386.js';
import { Status } from './generated/interface.js';

/** The dispatcher has checked that the buffer lies in RAM and the length is within the maximum. */
export function consoleWrite(args: ConsoleWriteArgs, vcpu: VcpuContext): Outcome {
  vcpu.consoleWrite(vcpu.memory.readBytes(args.buffer, args.length));
  return { status: Status.OK, value: args.length };
}

export function consoleRead(args: ConsoleReadArgs, vcpu: VcpuContext): Outcome {
  const bytes = vcpu.consoleRead(args.length);
  vcpu.memory.writeBytes(args.buffer, bytes);
  return { status: Status.OK, value: bytes.length };
}
