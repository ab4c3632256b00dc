import { spawn, spawnSync } from 'node:child_process';

export const QEMU = 'qemu-system-i386';

/**
 * The reference machine: the image booted by QEMU's multiboot loader, COM1 on stdout, isa-debug-exit at
 * 0xf4. `-display none` rather than `-nographic`, because -nographic also points SeaBIOS's serial console
 * at COM1 and its banner would precede the guest's output; `-nic none` skips the iPXE ROM.
 */
export function qemuArgs(image: string, options: { smp?: number; memoryMiB?: number } = {}): string[] {
  return [
    '-kernel', image,
    '-display', 'none',
    '-serial', 'stdio',
    '-monitor', 'none',
    '-no-reboot',
    '-nic', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-m', String(options.memoryMiB ?? 32),
    // One CPU per socket: SeaBIOS's MP table lists only the first CPU of each package, pvrt's lists every vCPU.
    ...(options.smp ? ['-smp', `${options.smp},sockets=${options.smp}`] : []),
  ];
}

let problem: string | null | undefined;

/** Why QEMU cannot run here, or null when it can. */
export function qemuProblem(): string | null {
  if (problem !== undefined) return problem;
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  problem = r.error ? `${QEMU} not found; install Debian package qemu-system-x86` : r.status !== 0 ? `${QEMU} --version failed` : null;
  return problem;
}

export const qemuAvailable = (): boolean => qemuProblem() === null;

export interface QemuRun {
  readonly serial: string;
  /** QEMU's exit status: (v << 1) | 1 for an isa-debug-exit write of v, 0 after a triple fault; null if killed. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stderr: string;
}

/** Boots an image under QEMU and collects its serial output; kills QEMU after timeoutMs. */
export function runUnderQemu(image: string, options: { timeoutMs: number; smp?: number; memoryMiB?: number }): Promise<QemuRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(QEMU, qemuArgs(image, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({
        serial: Buffer.concat(out).toString('latin1'),
        exitCode: timedOut ? null : code,
        timedOut,
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}
