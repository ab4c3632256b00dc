import type { Outcome, VcpuContext } from './context.js';
import type { BlockInfoArgs, BlockReadArgs, BlockWriteArgs } from './generated/i386.js';
import { BlockFlags, Status, Structs } from './generated/interface.js';

export const SECTOR_SIZE = 512;
/** Largest request: 128 KiB. */
export const MAX_SECTORS = 256;
/** Requests one drive accepts at once, over all vCPUs; more get EBUSY. */
export const QUEUE_DEPTH = 16;

const INFO = Structs.block_info.offset;
const REQUEST = Structs.block_request.offset;

/** The dispatcher has checked that the block_info lies in RAM. */
export function blockInfo(args: BlockInfoArgs, vcpu: VcpuContext): Outcome {
  const drive = vcpu.drives[args.device];
  if (drive === undefined) return { status: Status.ENODEV };
  const m = vcpu.memory;
  m.write32(args.info + INFO.sector_count, drive.sectorCount % 4294967296);
  m.write32(args.info + INFO.sector_count + 4, Math.floor(drive.sectorCount / 4294967296));
  m.write32(args.info + INFO.sector_size, SECTOR_SIZE);
  m.write32(args.info + INFO.flags, drive.readOnly ? BlockFlags.READ_ONLY : 0);
  m.write32(args.info + INFO.max_sectors, MAX_SECTORS);
  m.write32(args.info + INFO.queue_depth, QUEUE_DEPTH);
  return { status: Status.OK };
}

export function blockRead(args: BlockReadArgs, vcpu: VcpuContext): Outcome {
  return submit(args.request, false, vcpu);
}

export function blockWrite(args: BlockWriteArgs, vcpu: VcpuContext): Outcome {
  return submit(args.request, true, vcpu);
}

const u64 = (vcpu: VcpuContext, address: number): number =>
  (vcpu.memory.read32(address) >>> 0) + (vcpu.memory.read32(address + 4) >>> 0) * 4294967296;

/**
 * Validates the descriptor (the dispatcher has checked that it lies in RAM) and hands the request to the
 * I/O thread. The descriptor is read once, here: a guest that changes it afterwards changes nothing.
 */
function submit(descriptor: number, write: boolean, vcpu: VcpuContext): Outcome {
  const m = vcpu.memory;
  const device = m.read32(descriptor + REQUEST.device) >>> 0;
  const drive = vcpu.drives[device];
  if (drive === undefined) return { status: Status.ENODEV };
  const sectorCount = m.read32(descriptor + REQUEST.sector_count) >>> 0;
  if (sectorCount === 0 || sectorCount > MAX_SECTORS) return { status: Status.EINVAL };
  const buffer = u64(vcpu, descriptor + REQUEST.buffer);
  if (!m.contains(buffer, sectorCount * SECTOR_SIZE)) return { status: Status.EFAULT };
  const sector = u64(vcpu, descriptor + REQUEST.sector);
  if (sector + sectorCount > drive.sectorCount) return { status: Status.ERANGE };
  if (write && drive.readOnly) return { status: Status.EROFS };
  for (;;) {
    const inFlight = Atomics.load(drive.inFlight, 0);
    if (inFlight >= QUEUE_DEPTH) return { status: Status.EBUSY };
    if (Atomics.compareExchange(drive.inFlight, 0, inFlight, inFlight + 1) === inFlight) break;
  }
  vcpu.submitBlock({ device, write, sector, sectorCount, buffer, descriptor });
  return { status: Status.OK };
}
