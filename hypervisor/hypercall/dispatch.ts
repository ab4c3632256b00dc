import type { Cpu } from '../x86/cpu.js';
import type { Outcome, VcpuContext } from './context.js';
import { consoleRead, consoleWrite } from './console.js';
import { debugLog } from './debug.js';
import { decodeArgs, NUMBER_REGISTER, STATUS_REGISTER, VALUE_REGISTERS, VALUE_WORDS, type HypercallArgs } from './generated/i386.js';
import { hypercallByNumber, Status, Structs, type HypercallInfo, type HypercallName } from './generated/interface.js';
import { featureQuery, interfaceVersion } from './interface.js';
import { shutdown } from './machine.js';
import { blockInfo, blockRead, blockWrite } from './block.js';
import { ipiSend } from './ipi.js';
import { clockRead, timerCancel, timerSet } from './time.js';
import { eventsDeliver, sharedPageRegister, vcpuStart, waitForEvent, yieldHost } from './vcpu.js';

type Handler<K extends HypercallName> = (args: HypercallArgs[K], vcpu: VcpuContext) => Outcome;

/** One handler per hypercall of the spec: the type makes a missing one a compile error. */
const HANDLERS: { [K in HypercallName]: Handler<K> } = {
  interface_version: interfaceVersion,
  feature_query: featureQuery,
  console_write: consoleWrite,
  console_read: consoleRead,
  shared_page_register: sharedPageRegister,
  wait_for_event: waitForEvent,
  events_deliver: eventsDeliver,
  yield: yieldHost,
  vcpu_start: vcpuStart,
  clock_read: clockRead,
  timer_set: timerSet,
  timer_cancel: timerCancel,
  ipi_send: ipiSend,
  shutdown,
  block_info: blockInfo,
  block_read: blockRead,
  block_write: blockWrite,
  debug_log: debugLog,
};

type ArgInfo = HypercallInfo['args'][number];

/** Everything dispatch needs for one hypercall number, looked up once: the decoder, the checks, the handler. */
interface Route {
  readonly decode: (regs: ArrayLike<number>) => Record<string, number>;
  /** The arguments that name guest memory, checked before the handler runs. */
  readonly targets: readonly ArgInfo[];
  readonly handler: Handler<HypercallName>;
  readonly valueWords: number;
}

/** By hypercall number, so a call costs array loads rather than lookups by name. */
const ROUTES: readonly (Route | undefined)[] = hypercallByNumber.map((info) =>
  info === undefined
    ? undefined
    : {
        decode: decodeArgs[info.name] as unknown as Route['decode'],
        targets: info.args.filter((arg) => arg.target !== null),
        handler: HANDLERS[info.name] as Handler<HypercallName>,
        valueWords: VALUE_WORDS[info.name],
      },
);

/**
 * Checks every guest-physical range a call reaches, as the spec describes it, before any handler runs:
 * the whole range in guest RAM (EFAULT), lengths within the call's maximum (E2BIG), pages aligned (EINVAL).
 */
function checkTargets(targets: readonly ArgInfo[], args: Record<string, number>, vcpu: VcpuContext): number {
  for (const arg of targets) {
    const target = arg.target!;
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
 * Serves a hypercall (VMCALL): decodes the number and arguments from the i386 registers with the
 * generated tables, validates them, runs the handler, and writes the status and value back. Nothing a
 * guest passes can make this throw.
 */
export function dispatchHypercall(cpu: Cpu, vcpu: VcpuContext): void {
  const regs = cpu.regs;
  const route = ROUTES[regs[NUMBER_REGISTER]! >>> 0];
  if (route === undefined) {
    regs[STATUS_REGISTER] = Status.ENOSYS;
    return;
  }
  const args = route.decode(regs);
  const checked = route.targets.length === 0 ? Status.OK : checkTargets(route.targets, args, vcpu);
  const outcome: Outcome = checked === Status.OK ? route.handler(args as never, vcpu) : { status: checked };
  regs[STATUS_REGISTER] = outcome.status;
  if (outcome.status === Status.OK && outcome.value !== undefined) {
    const value = outcome.value;
    regs[VALUE_REGISTERS[0]!] = value % 4294967296 | 0;
    if (route.valueWords === 2) regs[VALUE_REGISTERS[1]!] = Math.floor(value / 4294967296) | 0;
  }
}
