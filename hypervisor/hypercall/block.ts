import type { Outcome } from './context.js';
import type { BlockInfoArgs, BlockReadArgs, BlockWriteArgs } from './generated/i386.js';
import { Status } from './generated/interface.js';

// Block devices backed by host files arrive with their own work; until then a VM has no drives
// (createVm refuses them), so every device index names a device that does not exist.

export function blockInfo(_args: BlockInfoArgs): Outcome {
  return { status: Status.ENODEV };
}

export function blockRead(_args: BlockReadArgs): Outcome {
  return { status: Status.ENODEV };
}

export function blockWrite(_args: BlockWriteArgs): Outcome {
  return { status: Status.ENODEV };
}
