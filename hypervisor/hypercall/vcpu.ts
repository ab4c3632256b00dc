import type { Outcome, VcpuContext } from './context.js';
import type { EventsDeliverArgs, SharedPageRegisterArgs, VcpuStartArgs, WaitForEventArgs, YieldArgs } from './generated/i386.js';
import { Status } from './generated/interface.js';

/** The dispatcher has checked that the page lies in RAM and is page aligned. */
export function sharedPageRegister(args: SharedPageRegisterArgs, vcpu: VcpuContext): Outcome {
  vcpu.registerSharedPage(args.page, args.upcall_entry);
  return { status: Status.OK };
}

export function waitForEvent(_args: WaitForEventArgs, vcpu: VcpuContext): Outcome {
  if (!vcpu.hasSharedPage) return { status: Status.ENOTREADY };
  vcpu.waitForEvent();
  return { status: Status.OK };
}

/** The upcall itself happens on the way back to the guest, at the next instruction boundary. */
export function eventsDeliver(_args: EventsDeliverArgs, vcpu: VcpuContext): Outcome {
  return { status: vcpu.hasSharedPage ? Status.OK : Status.ENOTREADY };
}

export function yieldHost(_args: YieldArgs, vcpu: VcpuContext): Outcome {
  vcpu.yieldHost();
  return { status: Status.OK };
}

/** Secondary vCPUs arrive with SMP; until then every index names a vCPU this VM does not have. */
export function vcpuStart(args: VcpuStartArgs, vcpu: VcpuContext): Outcome {
  if (args.vcpu === vcpu.vcpuId) return { status: Status.EALREADY };
  return { status: args.vcpu < vcpu.vcpuCount ? Status.EALREADY : Status.ENODEV };
}
