/** `pvrt compare`'s outputs: the rows of the side-by-side table, the text table, the JSON and the HTML report. */
import { flatten, isCounter, ratio, summarizeRuns, type RunFigures, type Summary } from './figures.js';

/** The paravirtual BSP and the fully emulated one; ratios are emulated / paravirtual. */
export const PARAVIRT = 'i386virt';
export const EMULATED = 'pc386';
export const BSPS = [PARAVIRT, EMULATED] as const;
export type BspName = (typeof BSPS)[number];
export const ROLES: Record<BspName, string> = { i386virt: 'paravirtual', pc386: 'full emulation' };

export interface BspResults {
  image: string;
  runs: RunFigures[];
}

export interface Row {
  /** The flat figure key ("instructions", "portIo.com1", "bench.latency.p99", "idle.hostCpuFraction"). */
  key: string;
  label: string;
  /** "", "ms", "%" (a fraction shown as a percentage) or the BENCH unit. */
  unit: string;
  /** A breakdown of the row above it (devices, hypercall names). */
  detail: boolean;
  i386virt: Summary | null;
  pc386: Summary | null;
  /** pc386 median / i386virt median; null when either is missing or the divisor is zero. */
  ratio: number | null;
}

export interface CompareReport {
  /** The JSON format's version. */
  pvrtCompare: 1;
  example: { name: string; dir: string };
  runs: number;
  clock: 'real' | 'virtual';
  date: string;
  host: { platform: string; arch: string; node: string; cpus: number };
  bsps: Record<BspName, { role: string; image: string; runs: (RunFigures & { figures: Record<string, number> })[]; summary: Record<string, Summary | null> }>;
  rows: Row[];
}

/** How many devices the table shows under port I/O and MMIO (the JSON has them all). */
const TOP_DEVICES = 5;

/** The table's rows, in its order, from both BSPs' runs. */
export function buildRows(results: Record<BspName, BspResults>): { rows: Row[]; summaries: Record<BspName, Record<string, Summary | null>> } {
  const flats = { i386virt: results.i386virt.runs.map(flatten), pc386: results.pc386.runs.map(flatten) };
  const keys = new Set<string>();
  for (const b of BSPS) for (const f of flats[b]) for (const k of Object.keys(f)) keys.add(k);
  const summaries = { i386virt: summarizeRuns(flats.i386virt, keys), pc386: summarizeRuns(flats.pc386, keys) };
  const rows: Row[] = [];
  const row = (key: string, label: string, unit = '', detail = false) => {
    if (!keys.has(key) && !isCounter(key)) return;
    const zero = { median: 0, min: 0, max: 0, runs: 0 };
    const a = summaries.i386virt[key] ?? (isCounter(key) ? { ...zero, runs: flats.i386virt.length } : null);
    const b = summaries.pc386[key] ?? (isCounter(key) ? { ...zero, runs: flats.pc386.length } : null);
    rows.push({ key, label, unit, detail, i386virt: a, pc386: b, ratio: ratio(b, a) });
  };
  const busiest = (prefix: string, limit: number) =>
    [...keys]
      .filter((k) => k.startsWith(prefix))
      .map((k) => [k, Math.max(summaries.i386virt[k]?.median ?? 0, summaries.pc386[k]?.median ?? 0)] as const)
      .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
      .slice(0, limit)
      .map(([k]) => k);

  row('instructions', 'guest instructions');
  row('hostCpuMs', 'host CPU time', 'ms');
  row('wallMs', 'wall time', 'ms');
  row('portIo', 'port I/O exits');
  for (const k of busiest('portIo.', TOP_DEVICES)) row(k, k.slice('portIo.'.length), '', true);
  row('mmio', 'MMIO exits');
  for (const k of busiest('mmio.', TOP_DEVICES)) row(k, k.slice('mmio.'.length), '', true);
  row('halts', 'HLT exits');
  row('hypercalls', 'hypercalls');
  for (const k of busiest('hypercalls.', Infinity)) row(k, k.slice('hypercalls.'.length), '', true);
  row('interrupts', 'interrupts injected');
  row('upcalls', 'upcalls');
  row('waitMs', 'vCPU time asleep', 'ms');
  for (const name of benchNames(results)) {
    const unit = benchUnit(results, name);
    for (const q of ['p50', 'p99', 'max'] as const) row(`bench.${name}.${q}`, `${name} ${q}`, unit);
  }
  row('idle.hostCpuFraction', 'host CPU while idle', '%');
  row('idle.wallMs', 'idle period', 'ms');
  return { rows, summaries };
}

/** BENCH names in the order the guests printed them (the paravirtual run's first). */
export function benchNames(results: Record<BspName, BspResults>): string[] {
  const names: string[] = [];
  for (const b of BSPS) for (const run of results[b].runs) for (const line of run.bench) if (!names.includes(line.name)) names.push(line.name);
  return names;
}

function benchUnit(results: Record<BspName, BspResults>, name: string): string {
  for (const b of BSPS) for (const run of results[b].runs) for (const line of run.bench) if (line.name === name) return line.unit;
  return '';
}

export function makeReport(args: { name: string; dir: string; runs: number; clock: 'real' | 'virtual'; results: Record<BspName, BspResults>; host: CompareReport['host'] }): CompareReport {
  const { rows, summaries } = buildRows(args.results);
  const bsp = (b: BspName) => ({
    role: ROLES[b],
    image: args.results[b].image,
    runs: args.results[b].runs.map((r) => ({ ...r, figures: flatten(r) })),
    summary: summaries[b],
  });
  return {
    pvrtCompare: 1,
    example: { name: args.name, dir: args.dir },
    runs: args.runs,
    clock: args.clock,
    date: new Date().toISOString(),
    host: args.host,
    bsps: { i386virt: bsp('i386virt'), pc386: bsp('pc386') },
    rows,
  };
}

// ---- formatting -------------------------------------------------------------------------------------

/** A figure for people: integers as they are below 100000, else three significant digits with k/M/G. */
export function formatValue(v: number, unit: string): string {
  if (unit === '%') return `${(v * 100).toFixed(v * 100 >= 10 ? 0 : 1)}%`;
  const abs = Math.abs(v);
  let text: string;
  if (abs >= 1e5) {
    const [d, s] = abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : [1e3, 'k'];
    text = `${trim((v / d).toPrecision(3))}${s}`;
  } else if (Number.isInteger(v)) text = String(v);
  else text = trim(v.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3));
  return unit ? `${text} ${unit}` : text;
}

const trim = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);

export function formatRatio(r: number | null): string {
  if (r === null) return '-';
  return `${trim(r.toFixed(r >= 100 ? 0 : r >= 10 ? 1 : 2))}x`;
}

/** "median [min..max]", or the median alone when every run agreed. */
export function formatCell(s: Summary | null, unit: string): string {
  if (!s) return '-';
  const m = formatValue(s.median, unit);
  if (s.min === s.max) return m;
  const bare = (v: number) => formatValue(v, unit === '%' ? '%' : '');
  return `${m} [${bare(s.min)}..${bare(s.max)}]`;
}

/** The side-by-side table `pvrt compare` prints. */
export function formatTable(report: CompareReport): string {
  const header = ['figure', `${PARAVIRT} (${ROLES.i386virt})`, `${EMULATED} (${ROLES.pc386})`, `${EMULATED}/${PARAVIRT}`];
  const body = report.rows.map((r) => [`${r.detail ? '  ' : ''}${r.label}`, formatCell(r.i386virt, r.unit), formatCell(r.pc386, r.unit), formatRatio(r.ratio)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    `pvrt compare ${report.example.name}: ${report.runs} run(s) each, ${report.clock} clock; medians [min..max]`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n');
}

export const toJson = (report: CompareReport): string => `${JSON.stringify(report, null, 2)}\n`;

// ---- HTML --------------------------------------------------------------------------------------------

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLORS: Record<BspName, string> = { i386virt: '#2b7bb9', pc386: '#d9822b' };

const px = (v: number): string => String(Math.round(v * 10) / 10);

/** The min-max range across runs, as a line with end ticks over the bar; nothing when every run agreed. */
function whisker(s: Summary, scale: (v: number) => number, left: number, y: number): string {
  if (s.min === s.max) return '';
  const [a, b] = [px(left + scale(s.min)), px(left + scale(s.max))];
  return `<path d="M${a} ${y - 5}v10M${a} ${y}H${b}M${b} ${y - 5}v10" class="w"/>`;
}

/** Two horizontal bars (one per BSP) with a min-max whisker each, for one row. */
function rowChart(row: Row): string {
  const width = 360;
  const left = 70;
  const barArea = width - left - 90;
  const top = Math.max(...BSPS.map((b) => row[b]?.max ?? 0));
  const scale = (v: number) => (top > 0 ? (Math.max(0, v) / top) * barArea : 0);
  const bars = BSPS.map((b, i) => {
    const s = row[b];
    const y = 8 + i * 26;
    if (!s) return `<text x="${left}" y="${y + 13}" class="v">no figure</text><text x="4" y="${y + 13}" class="l">${b}</text>`;
    const w = scale(s.median);
    return (
      `<text x="4" y="${y + 13}" class="l">${b}</text>` +
      `<rect x="${left}" y="${y}" width="${px(w)}" height="18" fill="${COLORS[b]}"><title>${escapeHtml(`${b}: ${formatCell(s, row.unit)}`)}</title></rect>${whisker(s, scale, left, y + 9)}` +
      `<text x="${px(left + Math.max(w, scale(s.max)) + 4)}" y="${y + 13}" class="v">${escapeHtml(formatValue(s.median, row.unit))}</text>`
    );
  }).join('');
  return `<svg width="${width}" height="62" viewBox="0 0 ${width} 62" role="img" aria-label="${escapeHtml(row.label)}">${bars}</svg>`;
}

/** p50 and p99 of one BENCH line, grouped by BSP. */
function benchChart(name: string, rows: Row[]): string {
  const get = (q: string) => rows.find((r) => r.key === `bench.${name}.${q}`);
  const p50 = get('p50');
  const p99 = get('p99');
  const unit = p50?.unit ?? '';
  const bars: { label: string; bsp: BspName; s: Summary | null; light: boolean }[] = [];
  for (const b of BSPS) {
    bars.push({ label: `${b} p50`, bsp: b, s: p50?.[b] ?? null, light: false });
    bars.push({ label: `${b} p99`, bsp: b, s: p99?.[b] ?? null, light: true });
  }
  const width = 420;
  const left = 100;
  const barArea = width - left - 100;
  const top = Math.max(...bars.map((b) => b.s?.max ?? 0));
  const scale = (v: number) => (top > 0 ? (Math.max(0, v) / top) * barArea : 0);
  const body = bars
    .map((bar, i) => {
      const y = 6 + i * 22;
      const label = `<text x="4" y="${y + 12}" class="l">${escapeHtml(bar.label)}</text>`;
      if (!bar.s) return `${label}<text x="${left}" y="${y + 12}" class="v">no figure</text>`;
      const w = scale(bar.s.median);
      return (
        `${label}<rect x="${left}" y="${y}" width="${px(w)}" height="16" fill="${COLORS[bar.bsp]}"${bar.light ? ' fill-opacity="0.55"' : ''}><title>${escapeHtml(`${bar.label}: ${formatCell(bar.s, unit)}`)}</title></rect>` +
        whisker(bar.s, scale, left, y + 8) +
        `<text x="${px(left + Math.max(w, scale(bar.s.max)) + 4)}" y="${y + 12}" class="v">${escapeHtml(formatValue(bar.s.median, unit))}</text>`
      );
    })
    .join('');
  return `<svg width="${width}" height="${8 + bars.length * 22}" viewBox="0 0 ${width} ${8 + bars.length * 22}" role="img" aria-label="${escapeHtml(name)}">${body}</svg>`;
}

const CSS = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
tr.detail td:first-child { padding-left: 2em; color: #555; }
.key { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em; margin: 0 0.3em 0 1em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 1em; }
figure { margin: 0; padding: 0.5em; border: 1px solid #e4e4e4; border-radius: 4px; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
svg text { font: 12px system-ui, sans-serif; fill: #222; }
svg text.l { fill: #555; }
svg .w { stroke: #222; stroke-width: 1.5; fill: none; }
.muted { color: #666; }
`;

/** A self-contained report: inline CSS and SVG, nothing fetched. */
export function renderHtml(report: CompareReport): string {
  const legend = BSPS.map((b) => `<span class="key" style="background:${COLORS[b]}"></span>${b} (${ROLES[b]})`).join('');
  const table = [
    `<table><thead><tr><th>figure</th><th>${PARAVIRT}</th><th>${EMULATED}</th><th>${EMULATED} / ${PARAVIRT}</th></tr></thead><tbody>`,
    ...report.rows.map(
      (r) => `<tr${r.detail ? ' class="detail"' : ''}><td>${escapeHtml(r.label)}</td><td>${escapeHtml(formatCell(r.i386virt, r.unit)).replace('..', '&ndash;')}</td><td>${escapeHtml(formatCell(r.pc386, r.unit)).replace('..', '&ndash;')}</td><td>${escapeHtml(formatRatio(r.ratio)).replace(/x$/, '&times;')}</td></tr>`,
    ),
    '</tbody></table>',
  ].join('\n');
  const charted = report.rows.filter((r) => !r.key.startsWith('bench.') && BSPS.some((b) => (r[b]?.max ?? 0) > 0));
  const figures = charted.map((r) => `<figure><figcaption>${escapeHtml(r.label)}${r.unit && r.unit !== '%' ? ` (${escapeHtml(r.unit)})` : ''}</figcaption>${rowChart(r)}</figure>`).join('\n');
  const benchNamesSeen = [...new Set(report.rows.filter((r) => r.key.startsWith('bench.')).map((r) => r.key.slice(6, r.key.lastIndexOf('.'))))];
  const bench = benchNamesSeen.map((n) => `<figure><figcaption>${escapeHtml(n)}: p50 and p99</figcaption>${benchChart(n, report.rows)}</figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pvrt compare: ${escapeHtml(report.example.name)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>pvrt compare: ${escapeHtml(report.example.name)}</h1>
<p class="muted">${escapeHtml(report.example.dir)} &middot; ${report.runs} run(s) per BSP &middot; ${report.clock} clock &middot; ${escapeHtml(report.date)} &middot; ${escapeHtml(`${report.host.platform}/${report.host.arch}, Node ${report.host.node}, ${report.host.cpus} CPUs`)}</p>
<p>${legend}</p>
<p class="muted">Medians across runs, with the range (min&ndash;max) when runs differ. The ratio is ${EMULATED} (full emulation of a PC) over ${PARAVIRT} (paravirtual), on the same hypervisor.</p>
<h2>Side by side</h2>
${table}
<h2>Figures</h2>
<div class="grid">
${figures}
</div>
${bench ? `<h2>Guest latency (BENCH lines)</h2>\n<div class="grid">\n${bench}\n</div>` : ''}
</body>
</html>
`;
}
