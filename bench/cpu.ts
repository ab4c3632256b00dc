/**
 * `npm run bench:cpu`: the CPU benchmark. Builds a CPU-bound guest (integer, memory and branch heavy,
 * some floating point), runs it under pvrt's CPU (interpreter and translator) and, when installed, under qemu-system-i386
 * (TCG), in the same invocation, and prints guest instructions per host second and the ratio of run times.
 * Each side runs RUNS times; the best time counts. QEMU's start-up, measured with a guest that exits at
 * once, is subtracted for the second ratio.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../hypervisor/vm/machine.js';
import { Fpu } from '../hypervisor/x86/fpu.js';
import { buildImage, guestToolchainProblem } from '../test/support/guest-build.js';
import { qemuProblem, runUnderQemu } from '../test/support/qemu.js';
import { packageRoot } from '../toolchain/src/paths.js';

const RUNS = Number(process.env.PVRT_BENCH_RUNS ?? 3);

function runPvrt(image: string): { seconds: number; instructions: number; blocks: number; serial: string } {
  const bytes: number[] = [];
  const machine = new Machine({ memoryBytes: 64 << 20, serial: (b) => bytes.push(b), fpu: (host) => new Fpu(host) });
  machine.bootMultiboot({ name: image, bytes: readFileSync(image) });
  const start = performance.now();
  const stop = machine.run(20_000_000_000);
  const seconds = (performance.now() - start) / 1000;
  if (stop.kind !== 'exit') throw new Error(`the benchmark guest did not exit under pvrt: ${JSON.stringify(stop)}`);
  return { seconds, instructions: machine.cpu.instructions, blocks: machine.cpu.blocksCompiled, serial: Buffer.from(bytes).toString('latin1') };
}

async function runQemu(image: string): Promise<{ seconds: number; serial: string }> {
  const start = performance.now();
  const r = await runUnderQemu(image, { timeoutMs: 600_000, memoryMiB: 64 });
  const seconds = (performance.now() - start) / 1000;
  if (r.timedOut) throw new Error('QEMU timed out on the benchmark guest');
  return { seconds, serial: r.serial };
}

async function main(): Promise<void> {
  const toolchain = guestToolchainProblem();
  if (toolchain) throw new Error(`cannot build the benchmark guest: ${toolchain}`);
  const dir = join(packageRoot(), 'bench', 'cpu');
  const image = buildImage({ name: 'bench-cpu', sources: [join(dir, 'main.c')], runtime: true });
  const empty = buildImage({ name: 'bench-empty', sources: [join(dir, 'empty.c')], runtime: true });

  let best = runPvrt(image);
  for (let i = 1; i < RUNS; i++) {
    const r = runPvrt(image);
    if (r.seconds < best.seconds) best = r;
  }
  const mips = best.instructions / best.seconds / 1e6;
  console.log(`pvrt (interpreter + translator, ${best.blocks} blocks compiled): ${best.instructions} guest instructions in ${best.seconds.toFixed(3)} s (best of ${RUNS}) = ${mips.toFixed(1)} M instructions/s`);
  console.log(`guest output: ${best.serial.trim()}`);

  const qemu = qemuProblem();
  if (qemu) {
    console.log(`QEMU comparison SKIPPED: ${qemu}`);
    return;
  }
  let qemuBest = Infinity;
  let qemuSerial = '';
  let startup = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const r = await runQemu(image);
    if (r.seconds < qemuBest) qemuBest = r.seconds;
    qemuSerial = r.serial;
    startup = Math.min(startup, (await runQemu(empty)).seconds);
  }
  if (qemuSerial !== best.serial) throw new Error(`QEMU printed something else:\n${qemuSerial}\nversus pvrt:\n${best.serial}`);
  const qemuCompute = Math.max(qemuBest - startup, 0.001);
  console.log(`qemu-system-i386 (TCG): ${qemuBest.toFixed(3)} s wall (best of ${RUNS}), of which ${startup.toFixed(3)} s is start-up and shutdown`);
  console.log(`ratio pvrt / QEMU: ${(best.seconds / qemuBest).toFixed(1)}x against QEMU's wall time, ${(best.seconds / qemuCompute).toFixed(1)}x against its run time without start-up`);
  console.log(`QEMU equivalent: ${(best.instructions / qemuCompute / 1e6).toFixed(0)} M guest instructions/s (pvrt's instruction count over QEMU's run time)`);
}

main().catch((err: unknown) => {
  console.error(`bench:cpu: ${(err as Error).message}`);
  process.exitCode = 1;
});
