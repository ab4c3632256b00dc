/**
 * `npm run bench:hypervisor`: what the paravirtual core costs and saves, each figure beside a peer run in
 * the same invocation.
 *
 * 1. Hypercall round trip: a no-op hypercall against an empty call and against a port write to an
 *    unassigned port (the exit full emulation takes), timed by the guest with the TSC (guest ns).
 * 2. Wake-up latency on the real clock: from a one-shot timer's deadline to the guest's upcall entry, p50
 *    and p99 in the guest, beside the host's own floor: how late Atomics.wait wakes for the same timeout.
 *    And an IPI round trip between two sleeping vCPUs beside two host threads bouncing Atomics.wait/notify.
 * 3. Host CPU used by an idle 4-vCPU guest over 5 s, beside the same guest polling instead of waiting.
 * 4. Scaling: the same CPU-bound work on 1 and on 2 vCPUs; the ratio of work done per wall second.
 *
 * Every guest runs on the real clock with vCPU worker threads (dist/vcpu-worker.js).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createVm, type VmConfig } from '../hypervisor/vm/vm.js';
import { guestToolchainProblem } from '../test/support/guest-build.js';
import { buildParavirtGuest, type ParavirtBuild } from '../test/support/paravirt.js';
import { packageRoot } from '../toolchain/src/paths.js';

const BENCH_DIR = join(packageRoot(), 'bench', 'paravirt');
const IDLE_SECONDS = Number(process.env.PVRT_BENCH_IDLE_SECONDS ?? 5);
const RUNS = Number(process.env.PVRT_BENCH_RUNS ?? 3);

interface Run {
  console: string;
  wallMs: number;
  cpuMs: number;
  figures: Record<string, number>;
}

/** Runs a guest to its shutdown; returns its console, the numbers it printed ("label N" lines), and host CPU and wall time. */
async function run(image: string, config: VmConfig, mark?: string): Promise<Run> {
  const vm = createVm({ memory: '16M', clock: 'real', ...config });
  let console = '';
  let cpu = process.cpuUsage();
  let start = performance.now();
  vm.on('console', (bytes) => {
    console += Buffer.from(bytes).toString('latin1');
    // Measure from the line the guest prints when the part of interest begins, when there is one.
    if (mark !== undefined && console.endsWith(mark + '\n')) {
      cpu = process.cpuUsage();
      start = performance.now();
    }
  });
  vm.load(image);
  vm.start();
  const result = await vm.wait({ timeoutMs: 120_000 });
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (result.kind !== 'shutdown' || result.code !== 0) throw new Error(`${image}: ${JSON.stringify(result)}\n${console}`);
  const figures: Record<string, number> = {};
  for (const [, label, value] of console.matchAll(/^(.*?) (-?\d+)$/gm)) figures[label!] = Number(value);
  return { console, wallMs, cpuMs: (used.user + used.system) / 1000, figures };
}

/** Benchmark guests live in bench/paravirt; the idle guest is the test ladder's own. */
const guest = (name: string, options: ParavirtBuild = {}) => buildParavirtGuest(name, name === 'idle' ? options : { ...options, dir: BENCH_DIR });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function hypercallRoundTrip(): Promise<void> {
  const r = await run(guest('hypercall'), {});
  const loops = r.figures.loops!;
  const empty = r.figures['empty ns']! / loops;
  const hypercall = r.figures['hypercall ns']! / loops;
  const port = r.figures['port ns']! / loops;
  console.log('1. no-op hypercall round trip (interface_version), guest-timed over %d calls', loops);
  console.log(`   empty call            ${empty.toFixed(0).padStart(7)} ns`);
  console.log(`   hypercall             ${hypercall.toFixed(0).padStart(7)} ns   (${(hypercall - empty).toFixed(0)} ns over the empty call)`);
  console.log(`   port write (peer)     ${port.toFixed(0).padStart(7)} ns   hypercall / port exit = ${(hypercall / port).toFixed(2)}`);
}

/** The host's floor: how late Atomics.wait returns after a 200 us timeout, on this thread. */
function hostWaitLateness(samples: number): number[] {
  const word = new Int32Array(new SharedArrayBuffer(4));
  const late: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    Atomics.wait(word, 0, 0, 0.2);
    late.push((performance.now() - start - 0.2) * 1e6);
  }
  return late.sort((a, b) => a - b);
}

async function wakeupLatency(): Promise<void> {
  const r = await run(guest('wakeup'), {});
  const host = hostWaitLateness(r.figures.samples!);
  const p50 = r.figures['p50 ns']!;
  const p99 = r.figures['p99 ns']!;
  console.log(`2. wake-up latency, real clock, timer deadline to upcall entry (${r.figures.samples} samples, 200 us period)`);
  console.log(`   guest                 p50 ${(p50 / 1000).toFixed(1).padStart(7)} us   p99 ${(p99 / 1000).toFixed(1).padStart(7)} us   max ${(r.figures['max ns']! / 1000).toFixed(1)} us`);
  console.log(`   host Atomics.wait     p50 ${(percentile(host, 50) / 1000).toFixed(1).padStart(7)} us   p99 ${(percentile(host, 99) / 1000).toFixed(1).padStart(7)} us   (peer: the floor)`);
  console.log(`   guest / host          p50 ${(p50 / percentile(host, 50)).toFixed(2).padStart(7)}      p99 ${(p99 / percentile(host, 99)).toFixed(2).padStart(7)}`);
}

/** The host's floor for a cross-thread wake-up: two workers bouncing a word with Atomics.wait/notify. */
async function hostPingPong(rounds: number): Promise<number> {
  const word = new Int32Array(new SharedArrayBuffer(8));
  const code = `const { workerData, parentPort } = require('node:worker_threads');
    const w = new Int32Array(workerData.buffer);
    for (let i = 0; i < workerData.rounds; i++) {
      while (Atomics.load(w, 0) !== 1) Atomics.wait(w, 0, 0);
      Atomics.store(w, 0, 0); Atomics.notify(w, 0);
    }
    parentPort.postMessage('done');`;
  const pong = new Worker(code, { eval: true, workerData: { buffer: word.buffer, rounds } });
  const pongDone = new Promise((resolve) => pong.once('message', resolve)); // listen now: it may finish first
  const ping = `const { workerData, parentPort } = require('node:worker_threads');
    const w = new Int32Array(workerData.buffer);
    const start = performance.now();
    for (let i = 0; i < workerData.rounds; i++) {
      Atomics.store(w, 0, 1); Atomics.notify(w, 0);
      while (Atomics.load(w, 0) !== 0) Atomics.wait(w, 0, 1);
    }
    parentPort.postMessage((performance.now() - start) / workerData.rounds);`;
  const perRound = await new Promise<number>((resolve) => new Worker(ping, { eval: true, workerData: { buffer: word.buffer, rounds } }).once('message', resolve));
  await pongDone;
  return perRound * 1e6;
}

async function ipiRoundTrip(): Promise<void> {
  const r = await run(buildParavirtGuest('ipi'), { vcpus: 2 });
  const host = await hostPingPong(r.figures['round trips']!);
  const guest = r.figures['ns per round trip']!;
  console.log(`   IPI ping-pong, 2 vCPUs asleep between IPIs: ${(guest / 1000).toFixed(1)} us per round trip; host peer, two threads bouncing Atomics.wait/notify: ${(host / 1000).toFixed(1)} us (ratio ${(guest / host).toFixed(2)})`);
}

async function idleCpu(): Promise<void> {
  const idleNs = `${IDLE_SECONDS * 1e9}ull`;
  const waiting = await run(guest('idle', { defines: { IDLE_NS: idleNs } }), { vcpus: 4 }, 'idle');
  const polling = await run(guest('idle', { defines: { IDLE_NS: '1000000000ull', POLL: '1' } }), { vcpus: 4 }, 'idle');
  const share = (r: Run) => r.cpuMs / r.wallMs;
  console.log(`3. host CPU of an idle 4-vCPU guest, from its \"idle\" line to its exit (process CPU time / wall time; 1.00 = one host core)`);
  console.log(`   wait_for_event, ${IDLE_SECONDS} s   ${waiting.cpuMs.toFixed(0).padStart(6)} ms CPU in ${waiting.wallMs.toFixed(0)} ms   = ${share(waiting).toFixed(3)} cores`);
  console.log(`   polling (peer), 1 s   ${polling.cpuMs.toFixed(0).padStart(6)} ms CPU in ${polling.wallMs.toFixed(0)} ms   = ${share(polling).toFixed(3)} cores`);
  console.log(`   waiting / polling     ${(share(waiting) / share(polling)).toFixed(4)}`);
}

/** The host's own ceiling: the same xorshift loop in plain JavaScript on 1 and on 2 worker threads. */
async function hostScaling(threads: number): Promise<number> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    let x = workerData + 1, y = 0x9e3779b9;
    for (let i = 0; i < 200000000; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; y = (y + x + i) | 0; }
    parentPort.postMessage(x ^ y);`;
  const start = performance.now();
  await Promise.all(Array.from({ length: threads }, (_, i) => new Promise((resolve) => new Worker(code, { eval: true, workerData: i }).once('message', resolve))));
  return performance.now() - start;
}

async function scaling(): Promise<void> {
  const image = guest('spin');
  const best = async (vcpus: number) => Math.min(...(await sequence(RUNS, () => run(image, { vcpus }).then((r) => r.figures['elapsed ns']!))));
  const t1 = await best(1);
  const t2 = await best(2);
  const h1 = Math.min(...(await sequence(RUNS, () => hostScaling(1))));
  const h2 = Math.min(...(await sequence(RUNS, () => hostScaling(2))));
  console.log(`4. scaling, the same CPU-bound work per vCPU, guest-timed, best of ${RUNS}`);
  console.log(`   1 vCPU                ${(t1 / 1e6).toFixed(0).padStart(6)} ms for 1 unit of work`);
  console.log(`   2 vCPUs               ${(t2 / 1e6).toFixed(0).padStart(6)} ms for 2 units`);
  console.log(`   work per wall second, 2 vCPUs / 1 vCPU = ${((2 * t1) / t2).toFixed(2)} (target >= 1.7)`);
  console.log(`   host peer: the same loop in plain JavaScript on 1 and 2 worker threads: ${h1.toFixed(0)} ms, ${h2.toFixed(0)} ms = ${((2 * h1) / h2).toFixed(2)} (the machine's ceiling)`);
}

async function sequence<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

const problem = guestToolchainProblem();
if (problem) {
  console.error(`bench:hypervisor cannot build its guests: ${problem}`);
  process.exit(1);
}
console.log(`pvrt hypervisor benchmark (real clock, vCPU worker threads)\n`);
await hypercallRoundTrip();
await wakeupLatency();
await ipiRoundTrip();
await idleCpu();
await scaling();
