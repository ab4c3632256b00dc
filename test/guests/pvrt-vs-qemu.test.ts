import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLockRanks } from '../../hypervisor/base/lock.js';
import { Machine } from '../../hypervisor/vm/machine.js';
import { createVm } from '../../hypervisor/vm/vm.js';
import type { X87Factory } from '../../hypervisor/x86/x87.js';
import { GUEST_CPUS, guestImages, guestToolchainProblem } from '../support/guest-build.js';
import { qemuProblem, runUnderQemu } from '../support/qemu.js';

/** The x87 unit, when hypervisor/x86/fpu.ts provides one. */
async function fpuFactory(): Promise<X87Factory | undefined> {
  try {
    const mod = (await import('../../hypervisor/x86/fpu.js')) as unknown as { Fpu?: new (host: never) => never };
    return mod.Fpu ? (host) => new mod.Fpu!(host as never) : undefined;
  } catch {
    return undefined;
  }
}

function runUnderPvrt(path: string, fpu: X87Factory | undefined) {
  // Lock ranks are checked here as in every test VM's workers (PVRT_CHECK_LOCKS): a violation throws.
  checkLockRanks(true);
  try {
    return runMachine(path, fpu);
  } finally {
    checkLockRanks(false);
  }
}

function runMachine(path: string, fpu: X87Factory | undefined) {
  const bytes: number[] = [];
  // A PC, as QEMU's: the PIC, PIT and RTC are there for every guest (the pit guest drives them).
  const machine = new Machine({ memoryBytes: 32 << 20, serial: (b) => bytes.push(b), pc: {}, ...(fpu ? { fpu } : {}) });
  machine.bootMultiboot({ name: path, bytes: readFileSync(path) });
  const stop = machine.run(200_000_000);
  return { serial: Buffer.from(bytes).toString('latin1'), stop, instructions: machine.cpu.instructions };
}

const toolchain = guestToolchainProblem();
const qemu = qemuProblem();
const skip = toolchain ?? qemu;
if (skip) console.warn(`SKIPPED: pvrt against QEMU: ${skip}`);

describe.skipIf(skip !== null)('guests under pvrt print what they print under QEMU', async () => {
  const fpu = await fpuFactory();
  for (const { name, path } of skip === null ? guestImages() : []) {
    for (const cpus of GUEST_CPUS[name] ?? [1]) {
      const where = cpus === 1 ? 'in-process and on a worker vCPU' : `on ${cpus} worker vCPUs (-smp ${cpus})`;
      it(`${name}: same serial output and exit code, ${where}`, async () => {
        const reference = await runUnderQemu(path, { timeoutMs: 20_000, smp: cpus });
        if (cpus === 1) {
          const ours = runUnderPvrt(path, fpu);
          const exitCode = ours.stop.kind === 'exit' ? ours.stop.code : undefined;
          console.log(`${name}: ${ours.instructions} instructions under pvrt, stop ${JSON.stringify(ours.stop)}`);
          expect(ours.serial).toBe(reference.serial);
          expect(exitCode).toBe(reference.exitCode);
        }
        // The same image on the VM's worker vCPUs, as `pvrt run --smp` boots it.
        const vm = createVm({ memory: '32M', vcpus: cpus });
        let serial = '';
        vm.on('console', (bytes) => (serial += Buffer.from(bytes).toString('latin1')));
        vm.load(path);
        vm.start();
        const result = await vm.wait({ timeoutMs: 30_000 });
        expect(serial).toBe(reference.serial);
        expect(result.exitCode).toBe(reference.exitCode);
      });
    }
  }
});
