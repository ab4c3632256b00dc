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

export function vcpuStart(args: VcpuStartArgs, vcpu: VcpuContext): Outcome {
  return { status: vcpu.startVcpu(args.vcpu, args.entry, args.stack, args.argument) };
}
