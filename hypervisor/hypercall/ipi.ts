import type { Outcome, VcpuContext } from './context.js';
import type { IpiSendArgs } from './generated/i386.js';
import { EventNumber, Status } from './generated/interface.js';

export function ipiSend(args: IpiSendArgs, vcpu: VcpuContext): Outcome {
  const targets = args.targets >>> 0;
  // Every bit must name a vCPU of this VM, else nothing is delivered.
  if (vcpu.vcpuCount < 32 && targets >>> vcpu.vcpuCount !== 0) return { status: Status.ENODEV };
  for (let v = 0; v < vcpu.vcpuCount; v++) if (targets & (1 << v)) vcpu.raiseEvent(v, EventNumber.IPI);
  return { status: Status.OK };
}
