// A vCPU worker for the atomicity test: runs the bundled CPU over the shared guest RAM it is given.
import { parentPort, workerData } from 'node:worker_threads';
import { Cpu, GuestMemory } from '../../dist/hypervisor.js';

const { buffer, entry } = workerData;
const memory = new GuestMemory(buffer);
const cpu = new Cpu(memory);
// Flat 32-bit protected mode without descriptor tables: the hidden segment parts are set directly.
cpu.setCr0(cpu.cr0 | 1);
for (let seg = 0; seg < 6; seg++) {
  cpu.segSelector[seg] = seg === 1 ? 8 : 16;
  cpu.segBase[seg] = 0;
  cpu.segLimit[seg] = -1;
  cpu.segFlags[seg] = 1 | 8 | 16 | (seg === 1 ? 2 : 4);
  cpu.updateFlat(seg);
}
cpu.eip = entry;
cpu.regs[4] = workerData.stack;
let exit;
do exit = cpu.run(1_000_000);
while (exit === 0);
parentPort.postMessage({ exit, instructions: cpu.instructions });
