import type { Cpu } from '../x86/cpu.js';
import type { Outcome, VcpuContext } from './context.js';
import { consoleRead, consoleWrite } from './console.js';
import { debugLog } from './debug.js';
import { decodeArgs, NUMBER_REGISTER, STATUS_REGISTER, VALUE_REGISTERS, VALUE_WORDS, type HypercallArgs } from './generated/i386.js';
import { hypercallByNumber, Status, Structs, type HypercallInfo, type HypercallName } from './generated/interface.js';
import { featureQuery, interfaceVersion } from './interface.js';
import { shutdown } from './machine.js';
import { clockRead } from './time.js';

type Handler<K extends HypercallName> = (args: HypercallArgs[K], vcpu: VcpuContext) => Outcome;

/**
 * The handlers pvrt implements so far, by name. Calls without one answer ENOSYS: the vCPU, timer, IPI
 * and block groups arrive with the vCPU workers (issue 4).
 */
const HANDLERS: { [K in HypercallName]?: Handler<K> } = {
  interface_version: interfaceVersion,
  feature_query: featureQuery,
  console_write: consoleWrite,
  console_read: consoleRead,
  clock_read: clockRead,
  shutdown,
  debug_log: debugLog,
};

/**
 * Checks every guest-physical range a call reaches, as the spec describes it, before any handler runs:
 * the whole range in guest RAM (EFAULT), lengths within the call's maximum (E2BIG), pages aligned (EINVAL).
 */
function checkTargets(info: HypercallInfo, args: Record<string, number>, vcpu: VcpuContext): number {
  for (const arg of info.args) {
    const target = arg.target;
    if (target === null) continue;
    const address = args[arg.name]!;
    let length: number;
    if (target.kind === 'bytes') {
      length = args[target.lengthArg]!;
      if (length > target.maxLength) return Status.E2BIG;
    } else if (target.kind === 'struct') {
      length = Structs[target.struct].size;
    } else {
      if (address % target.size !== 0) return Status.EINVAL;
      length = target.size;
    }
    if (!vcpu.memory.contains(address, length)) return Status.EFAULT;
  }
  return Status.OK;
}

/**
 * Serves the hypercall the CPU exited with (VMCALL): decodes the number and arguments from the i386
 * registers with the generated tables, validates them, runs the handler, and writes the status and
 * value back. Nothing a guest passes can make this throw.
 */
export function dispatchHypercall(cpu: Cpu, vcpu: VcpuContext): void {
  const regs = cpu.regs;
  const info = hypercallByNumber[regs[NUMBER_REGISTER]! >>> 0];
  const handler = info ? (HANDLERS[info.name] as Handler<HypercallName> | undefined) : undefined;
  if (info === undefined || handler === undefined) {
    regs[STATUS_REGISTER] = Status.ENOSYS;
    return;
  }
  const args = decodeArgs[info.name](regs) as unknown as Record<string, number>;
  const checked = checkTargets(info, args, vcpu);
  const outcome: Outcome = checked === Status.OK ? handler(args as never, vcpu) : { status: checked };
  regs[STATUS_REGISTER] = outcome.status;
  if (outcome.status === Status.OK && outcome.value !== undefined) {
    const words = VALUE_WORDS[info.name];
    const value = outcome.value;
    regs[VALUE_REGISTERS[0]!] = value % 4294967296 | 0;
    if (words === 2) regs[VALUE_REGISTERS[1]!] = Math.floor(value / 4294967296) | 0;
  }
}
