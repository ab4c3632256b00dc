import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareExample, resolveExample, tail } from '../../toolchain/src/compare/compare.js';
import { flatten, idleMarker, LineSplitter, median, parseBench, parseBenchLine, ratio, summarize, summarizeRuns, type RunFigures } from '../../toolchain/src/compare/figures.js';
import { buildRows, formatCell, formatRatio, formatTable, formatValue, makeReport, renderHtml } from '../../toolchain/src/compare/report.js';
import { packageRoot } from '../../toolchain/src/paths.js';
import { tempDir } from '../helpers.js';
import { guestToolchainProblem } from '../support/guest-build.js';
import { fakeGuestBsp, writeExample } from './fake-guest-bsp.js';

const problem = guestToolchainProblem();
if (problem) console.warn(`SKIPPED: pvrt compare with guests: ${problem}`);

const BIN = join(packageRoot(), 'dist', 'pvrt.js');
function pvrt(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('pvrt compare: the guest protocol', () => {
  it('parses BENCH lines, with decimals, exponents and a serial \\r', () => {
    expect(parseBenchLine('BENCH irq-latency ns n=1000 min=850 p50=1200.5 p99=4e3 max=9000\r')).toEqual({ name: 'irq-latency', unit: 'ns', n: 1000, min: 850, p50: 1200.5, p99: 4000, max: 9000 });
    for (const bad of ['BENCH x ns n=1 min=1 p50=2 p99=3', 'BENCH x ns n=1 min=1 p50=2 p99=3 max=four', 'bench x ns n=1 min=1 p50=2 p99=3 max=4', ' BENCH x ns n=1 min=1 p50=2 p99=3 max=4', 'BENCH x n=1 min=1 p50=2 p99=3 max=4']) {
      expect(parseBenchLine(bad), bad).toBeUndefined();
    }
    const text = 'boot\nBENCH a ns n=1 min=1 p50=1 p99=1 max=1\nnoise BENCH b\nBENCH b us n=2 min=1 p50=2 p99=3 max=4\nBENCH a ns n=3 min=5 p50=6 p99=7 max=8\n';
    expect(parseBench(text).map((b) => [b.name, b.p50])).toEqual([['a', 6], ['b', 2]]); // a name measured twice keeps its last line
  });

  it('recognizes IDLE markers and splits console chunks into lines', () => {
    expect([idleMarker('IDLE begin'), idleMarker('IDLE end '), idleMarker('IDLE'), idleMarker('xIDLE begin')]).toEqual(['begin', 'end', undefined, undefined]);
    const lines: string[] = [];
    const split = new LineSplitter((l) => lines.push(l));
    for (const chunk of ['IDL', 'E begin\r\nBEN', 'CH a', ' ns\n', '\nlast']) split.push(chunk);
    expect(lines).toEqual(['IDLE begin', 'BENCH a ns', '']);
    split.flush();
    expect(lines.at(-1)).toBe('last');
  });
});

/** A run with the given counters; everything else zero. */
function run(over: Partial<Omit<RunFigures, 'exits'>> & { exits?: Partial<RunFigures['exits']> } = {}): RunFigures {
  return {
    exitStatus: 0,
    wallMs: 100,
    hostCpuMs: 100,
    bench: [],
    idle: null,
    ...over,
    exits: { instructions: 1000, portIo: 0, portIoByDevice: {}, mmio: 0, mmioByDevice: {}, halts: 0, hypercalls: 0, hypercallsByName: {}, interrupts: 0, upcalls: 0, waitMs: 0, ...over.exits },
  };
}

describe('pvrt compare: the summary', () => {
  it('takes medians (mean of the middle two for even counts), ranges and ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
    expect(summarize([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9, runs: 3 });
    expect(summarize([])).toBeNull();
    expect(ratio({ median: 30, min: 0, max: 0, runs: 1 }, { median: 10, min: 0, max: 0, runs: 1 })).toBe(3);
    expect(ratio({ median: 30, min: 0, max: 0, runs: 1 }, { median: 0, min: 0, max: 0, runs: 1 })).toBeNull();
    expect(ratio(null, { median: 1, min: 1, max: 1, runs: 1 })).toBeNull();
  });

  it('counts absent counters as zero but never invents guest figures', () => {
    const runs: Record<string, number>[] = [{ instructions: 10, 'portIo.com1': 4, 'bench.a.p50': 7 }, { instructions: 30 }, { instructions: 20, 'portIo.com1': 6 }];
    const s = summarizeRuns(runs, ['instructions', 'portIo.com1', 'bench.a.p50', 'idle.hostCpuFraction']);
    expect(s['instructions']).toEqual({ median: 20, min: 10, max: 30, runs: 3 });
    expect(s['portIo.com1']).toEqual({ median: 4, min: 0, max: 6, runs: 3 });
    expect(s['bench.a.p50']).toEqual({ median: 7, min: 7, max: 7, runs: 1 });
    expect(s['idle.hostCpuFraction']).toBeNull();
  });

  it('lays out the rows: totals, busiest devices, hypercalls by name, BENCH p50/p99/max, idle; ratio pc386 / i386virt', () => {
    const bench = [{ name: 'latency', unit: 'ns', n: 100, min: 1, p50: 10, p99: 40, max: 50 }];
    const virt = [1, 2, 3].map((i) => run({ hostCpuMs: 10 * i, bench, idle: { wallMs: 100, hostCpuMs: 1, hostCpuFraction: 0.01 }, exits: { instructions: 1000 * i, hypercalls: 5, hypercallsByName: { console_write: 4, shutdown: 1 } } }));
    const devices = Object.fromEntries(['com1', 'pic-master', 'pit8254', 'port61', 'rtc', 'pic-slave', 'isa-debug-exit'].map((d, i) => [d, 100 - i]));
    const pc = [1, 2, 3].map((i) => run({ hostCpuMs: 50 * i, bench: [{ ...bench[0]!, p50: 30, p99: 400 }], idle: { wallMs: 100, hostCpuMs: 90, hostCpuFraction: 0.9 }, exits: { instructions: 3000 * i, portIo: 10, portIoByDevice: devices, halts: 7, interrupts: 8 } }));
    const { rows } = buildRows({ i386virt: { image: 'v.elf', runs: virt }, pc386: { image: 'p.elf', runs: pc } });
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(rows.map((r) => r.key)).toEqual([
      'instructions', 'hostCpuMs', 'wallMs',
      'portIo', 'portIo.com1', 'portIo.pic-master', 'portIo.pit8254', 'portIo.port61', 'portIo.rtc', // the five busiest
      'mmio', 'halts', 'hypercalls', 'hypercalls.console_write', 'hypercalls.shutdown', 'interrupts', 'upcalls', 'waitMs',
      'bench.latency.p50', 'bench.latency.p99', 'bench.latency.max', 'idle.hostCpuFraction', 'idle.wallMs',
    ]);
    expect(byKey['instructions']).toMatchObject({ i386virt: { median: 2000, min: 1000, max: 3000 }, pc386: { median: 6000 }, ratio: 3 });
    expect(byKey['hostCpuMs']!.ratio).toBe(5);
    expect(byKey['portIo.com1']).toMatchObject({ detail: true, label: 'com1', i386virt: { median: 0 }, pc386: { median: 100 }, ratio: null });
    expect(byKey['hypercalls.console_write']).toMatchObject({ i386virt: { median: 4 }, pc386: { median: 0 }, ratio: 0 });
    expect(byKey['bench.latency.p99']).toMatchObject({ unit: 'ns', ratio: 10 });
    expect(byKey['idle.hostCpuFraction']).toMatchObject({ unit: '%', ratio: 90 });
    expect(flatten(virt[0]!)).toMatchObject({ 'bench.latency.n': 100, 'hypercalls.shutdown': 1, 'idle.hostCpuMs': 1 });
  });

  it('formats figures for people', () => {
    expect([formatValue(42, ''), formatValue(123456, ''), formatValue(2.5e6, ''), formatValue(3.21e9, ''), formatValue(12.345, 'ms'), formatValue(0.0123, '%'), formatValue(0.5, '%')]).toEqual(['42', '123k', '2.5M', '3.21G', '12.3 ms', '1.2%', '50%']);
    expect(formatCell({ median: 2, min: 1, max: 3, runs: 3 }, 'ns')).toBe('2 ns [1..3]');
    expect(formatCell({ median: 2, min: 2, max: 2, runs: 3 }, 'ns')).toBe('2 ns');
    expect(formatCell(null, '')).toBe('-');
    expect([formatRatio(3), formatRatio(12.34), formatRatio(250.4), formatRatio(null)]).toEqual(['3x', '12.3x', '250x', '-']);
  });

  it('renders a self-contained HTML report that escapes what it shows', () => {
    const bench = [{ name: '<script>', unit: 'ns', n: 1, min: 1, p50: 2, p99: 3, max: 4 }];
    const report = makeReport({
      name: 'a&b',
      dir: '/x',
      runs: 1,
      clock: 'virtual',
      results: { i386virt: { image: 'v', runs: [run({ bench })] }, pc386: { image: 'p', runs: [run({ bench })] } },
      host: { platform: 'linux', arch: 'x64', node: '20', cpus: 2 },
    });
    const html = renderHtml(report);
    expect(html).toContain('<svg');
    expect(html).toContain('pvrt compare: a&amp;b');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/https?:\/\//);
    expect(formatTable(report)).toMatch(/^pvrt compare a&b: 1 run\(s\) each, virtual clock/);
  });
});

describe('pvrt compare: bad input', () => {
  it('names the examples there are when the example is missing', () => {
    expect(() => resolveExample('nope', join(packageRoot(), 'examples'))).toThrow(/no example "nope": not a folder, and not one of .*examples: .*hello/);
    const r = pvrt(['compare', 'no-such-example']);
    expect(r).toMatchObject({ code: 1, err: expect.stringContaining('compare: no example "no-such-example"') });
    expect(pvrt(['compare'])).toMatchObject({ code: 1, err: expect.stringContaining('compare: which example?') });
    expect(pvrt(['compare', 'hello', '--runs', 'x'])).toMatchObject({ code: 1, err: expect.stringContaining('--runs: "x" is not a number') });
    expect(pvrt(['compare', tempDir('empty-example')])).toMatchObject({ code: 1, err: expect.stringContaining('the example has no .c or .S sources') });
  });

  it('keeps the tail of long output', () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    expect(tail(text, 3)).toBe('... (27 earlier lines)\n  | line 27\n  | line 28\n  | line 29');
  });
});

const BENCH_EXAMPLE = {
  'bench.c': `#include <rtems.h>
#include "report.h"
void Init(void)
{
  uint64_t t0 = fake_now_ns();
  volatile uint32_t sum = 0;
  for (uint32_t i = 0; i < 2000; i++) sum += i;
  uint32_t ns = (uint32_t)(fake_now_ns() - t0);
  bench_line("loop", ns);
  printk("IDLE begin\\n");
  fake_bsp_idle(30000000);
  printk("IDLE end\\n");
}
`,
  'report.c': `#include <rtems.h>
#include "report.h"
void bench_line(const char *name, uint32_t v)
{
  printk("BENCH "); printk(name); printk(" ns n=1 min="); print_u32(v); printk(" p50="); print_u32(v);
  printk(" p99="); print_u32(v); printk(" max="); print_u32(v); printk("\\n");
}
`,
  'report.h': 'void bench_line(const char *name, uint32_t v);\n',
};

describe.skipIf(problem !== null)('pvrt compare: end to end on a fake tree', () => {
  it('prints one table and writes the JSON and a self-contained HTML report', () => {
    const root = fakeGuestBsp();
    const example = writeExample('bench', BENCH_EXAMPLE);
    const out = tempDir('compare-out');
    const r = pvrt(['compare', example, '--runs', '2', '--bsp-root', root, '--json', join(out, 'r.json'), '--html', join(out, 'r.html')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/built .*i386virt\.elf \(i386virt, \d+ files\)\nbuilt .*pc386\.elf \(pc386, \d+ files\)\ni386virt run 1\/2: /);
    const table = r.out.split('\n');
    expect(table[0]).toBe('pvrt compare bench: 2 run(s) each, real clock; medians [min..max]');
    expect(table[1]).toMatch(/^figure +i386virt \(paravirtual\) +pc386 \(full emulation\) +pc386\/i386virt$/);
    for (const label of ['guest instructions', 'host CPU time', 'wall time', 'port I/O exits', '  com1', 'HLT exits', 'hypercalls', '  console_write', 'interrupts injected', 'upcalls', 'loop p50', 'loop p99', 'host CPU while idle']) {
      expect(table.some((l) => l.startsWith(label + ' ')), label).toBe(true);
    }
    expect(r.out).toContain(`wrote ${join(out, 'r.json')}`);

    const json = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['pvrtCompare', 'example', 'runs', 'clock', 'date', 'host', 'bsps', 'rows']);
    expect(json).toMatchObject({ pvrtCompare: 1, example: { name: 'bench', dir: example }, runs: 2, clock: 'real' });
    for (const bsp of ['i386virt', 'pc386']) {
      const b = json.bsps[bsp];
      expect(Object.keys(b)).toEqual(['role', 'image', 'runs', 'summary']);
      expect(b.runs).toHaveLength(2);
      expect(Object.keys(b.runs[0])).toEqual(['exitStatus', 'wallMs', 'hostCpuMs', 'exits', 'bench', 'idle', 'figures']);
      expect(b.runs[0].bench[0]).toMatchObject({ name: 'loop', unit: 'ns', n: 1 });
      expect(b.runs[0].idle.wallMs).toBeGreaterThan(0);
      expect(b.summary.instructions.runs).toBe(2);
      expect(existsSync(b.image)).toBe(true);
    }
    expect(json.bsps.i386virt.runs[0].exits.hypercallsByName.console_write).toBeGreaterThan(0);
    expect(json.bsps.pc386.runs[0].exits.portIoByDevice.com1).toBeGreaterThan(0);
    const instructions = json.rows.find((row: { key: string }) => row.key === 'instructions');
    expect(Object.keys(instructions)).toEqual(['key', 'label', 'unit', 'detail', 'i386virt', 'pc386', 'ratio']);
    expect(instructions.ratio).toBeCloseTo(instructions.pc386.median / instructions.i386virt.median);

    const html = readFileSync(join(out, 'r.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain('loop: p50 and p99');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|@import|url\(/);
    expect(readdirSync(out).sort()).toEqual(['r.html', 'r.json']); // written atomically: no temporary files
  });

  it('fails with the guest\'s output tail on a bad exit or a timeout, and on a build failure', async () => {
    const root = fakeGuestBsp();
    const failing = writeExample('failing', { 'fail.c': '#include <rtems.h>\nvoid Init(void) { printk("about to fail\\n"); fake_bsp_exit(3); }\n' });
    const r = pvrt(['compare', failing, '--runs', '1', '--bsp-root', root]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/i386virt\.elf: the guest exited with status 3; its console ended with:\n {2}\| executive up on i386virt[^]*\n {2}\| about to fail/);
    const hanging = writeExample('hanging', { 'hang.c': '#include <rtems.h>\nvoid Init(void) { printk("spinning\\n"); for (;;) {} }\n' });
    await expect(compareExample({ example: hanging, runs: 1, timeout: 0.5, guestBspRoot: root })).rejects.toThrow(/: the guest did not stop within 0\.5 s; its console ended with:\n {2}\| executive up[^]*spinning/);
    const broken = writeExample('broken', { 'broken.c': 'int broken(void) { return nope; }\n' });
    await expect(compareExample({ example: broken, guestBspRoot: root })).rejects.toThrow(/compare: building broken for i386virt failed:[^]*broken\.c:1:/);
  });
});
