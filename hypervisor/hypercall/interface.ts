import type { Outcome, VcpuContext } from './context.js';
import type { FeatureQueryArgs, InterfaceVersionArgs } from './generated/i386.js';
import { INTERFACE_VERSION, Status } from './generated/interface.js';

export function interfaceVersion(_args: InterfaceVersionArgs): Outcome {
  return { status: Status.OK, value: INTERFACE_VERSION };
}

export function featureQuery(args: FeatureQueryArgs, vcpu: VcpuContext): Outcome {
  const bits = vcpu.features[args.word];
  return bits === undefined ? { status: Status.EINVAL } : { status: Status.OK, value: bits >>> 0 };
}
