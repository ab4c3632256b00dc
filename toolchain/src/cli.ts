import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApplication } from './build/app.js';
import { ccOf } from './build/cc.js';
import { compileBsp, compilersFor } from './build/compilers.js';
import { compareExample } from './compare/compare.js';
import { formatTable } from './compare/report.js';
import { linkGuest } from './build/guest.js';
import { PvrtError } from './errors.js';
import { startArch } from './gen/arch.js';
import { generateBsp } from './gen/bsp.js';
import { generateDocs } from './gen/docs.js';
import { generateHypervisor, HYPERVISOR_OUT } from './gen/hypervisor.js';
import { writeFileAtomic, writeTree } from './gen/output.js';
import { defaultSpecRoot, packageRoot } from './paths.js';
import { allHypercalls } from './spec/model.js';
import { archOf, loadSpec } from './spec/load.js';
import { runImage } from './run.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The guest console's output (default: written through `out` as text). */
  console?(bytes: Uint8Array): void;
  /** Host input for the guest console; the returned function disconnects it. */
  input?(feed: (bytes: Uint8Array) => void): () => void;
}

const USAGE = `pvrt: paravirtualization for real-time guests

Usage:
  pvrt check [--spec DIR]                          validate the hypercall spec and every architecture file
  pvrt gen bsp --arch ARCH --out DIR [--spec DIR]  generate the ARCHvirt BSP into DIR
  pvrt gen hypervisor [--out DIR] [--spec DIR]     generate the hypervisor's dispatch tables
  pvrt gen docs [--out FILE] [--spec DIR]          generate the interface reference (REFERENCE.md)
  pvrt gen arch --like ARCH --name NEW [--spec DIR]  start hypercall-spec/arch/NEW.json from ARCH
  pvrt gen all [--spec DIR]                        regenerate every committed generated file
  pvrt demo [--out DIR]                            what npm start shows: examples/ticker on the paravirtual
                                                   BSP, then rtos-bench compared on both BSPs (report in DIR)
  pvrt demo bsp [--arch ARCH] [--out DIR]          generate a BSP, compile it with every compiler found, and
                                                   (i386) boot examples/hello on it
  pvrt run IMAGE [options]                         boot a paravirtual (or multiboot) i386 image
      -m, --memory SIZE     guest RAM (default 64M)
      --smp N               vCPUs, 1 to 32 (default 1)
      --clock real|virtual  guest time from the host clock or from instructions retired (default real)
      --drive FILE[,ro]     a block device backed by FILE (repeat for more; ,ro makes it read-only)
      --append CMDLINE      the multiboot command line
      --module FILE[,STR]   a multiboot module, with its string (repeat for more)
      --timeout S           stop the guest after S seconds (exit code 124)
      --stats               print per-vCPU figures at exit (instructions, hypercalls, upcalls, waits)
    The exit code is the guest's shutdown code.
  pvrt build --bsp BSP SOURCES... -o IMAGE [options]
                                                   compile and link an RTEMS-style application with the
                                                   executive and a BSP (i386virt: paravirtual, pc386: PC)
      --bsp BSP             a folder of guest-bsp/ with a bsp.json (required)
      -o, --out IMAGE       the image to write (required; appears whole or not at all)
      --cc gcc|clang        the compiler (default gcc)
      -I DIR                an extra include folder (repeat for more)
      -D NAME[=VALUE]       a preprocessor definition (repeat for more)
      --bsp-root DIR        the guest-bsp folder (default the one shipped with pvrt)
  pvrt compare EXAMPLE [options]                   build EXAMPLE (a folder of C sources, or a name under
                                                   examples/) for i386virt and pc386, run each N times and
                                                   print their figures side by side (medians, ratio pc386/i386virt)
      --runs N              runs per BSP (default 3)
      --clock real|virtual  guest time source (default real)
      --json FILE           write every figure, per run and summarized, as JSON
      --html FILE           write a self-contained HTML report with charts
      --timeout S           seconds each run may take (default 60)
      -m, --memory SIZE     guest RAM (default 64M)
      --cc gcc|clang, --bsp-root DIR   as for build
    Guests report their own figures on the console: "BENCH name unit n=N min=V p50=V p99=V max=V"
    lines, and "IDLE begin" / "IDLE end" around a stretch of idling (host CPU is measured in between).

--spec defaults to the hypercall-spec folder shipped with pvrt.`;

type Options = {
  spec?: string;
  arch?: string;
  out?: string;
  like?: string;
  name?: string;
  help?: boolean;
  memory?: string;
  smp?: string;
  clock?: string;
  drive?: string[];
  module?: string[];
  append?: string;
  timeout?: string;
  stats?: boolean;
  bsp?: string;
  cc?: string;
  include?: string[];
  define?: string[];
  'bsp-root'?: string;
  runs?: string;
  json?: string;
  html?: string;
};

function parse(args: string[]): { positionals: string[]; values: Options } {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        spec: { type: 'string' },
        arch: { type: 'string' },
        out: { type: 'string', short: 'o' },
        like: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        memory: { type: 'string', short: 'm' },
        smp: { type: 'string' },
        clock: { type: 'string' },
        drive: { type: 'string', multiple: true },
        module: { type: 'string', multiple: true },
        append: { type: 'string' },
        timeout: { type: 'string' },
        stats: { type: 'boolean' },
        bsp: { type: 'string' },
        cc: { type: 'string' },
        include: { type: 'string', short: 'I', multiple: true },
        define: { type: 'string', short: 'D', multiple: true },
        'bsp-root': { type: 'string' },
        runs: { type: 'string' },
        json: { type: 'string' },
        html: { type: 'string' },
      },
    }) as { positionals: string[]; values: Options };
  } catch (err) {
    throw new PvrtError({ message: `${(err as Error).message}\n\n${USAGE}` });
  }
}

function required(values: Options, name: keyof Options, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new PvrtError({ message: `${command}: --${name} is required\n\n${USAGE}` });
  return v;
}

function run(argv: string[], io: Io): number | Promise<number> {
  const { positionals, values } = parse(argv);
  const [command, sub] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const specRoot = resolve(values.spec ?? defaultSpecRoot());
  const noExtra = (n: number) => {
    const rest = positionals.slice(n);
    if (rest.length) throw new PvrtError({ message: `unexpected argument "${rest[0]}"\n\n${USAGE}` });
  };

  switch (command) {
    case 'check': {
      noExtra(1);
      const bundle = loadSpec(specRoot);
      io.out(`${bundle.specFile.path}: valid, interface version ${bundle.spec.version}, ${allHypercalls(bundle.spec).length} hypercalls`);
      io.out(`architectures: ${[...bundle.archs.keys()].join(', ')}`);
      return 0;
    }
    case 'gen': {
      noExtra(2);
      switch (sub) {
        case 'bsp': {
          const arch = required(values, 'arch', 'gen bsp');
          const out = required(values, 'out', 'gen bsp');
          const bundle = loadSpec(specRoot);
          writeTree(out, generateBsp(bundle, arch), `pvrt gen bsp --arch ${arch}`);
          io.out(`wrote ${arch}virt BSP to ${resolve(out)}`);
          return 0;
        }
        case 'hypervisor': {
          const out = resolve(values.out ?? join(packageRoot(), HYPERVISOR_OUT));
          writeTree(out, generateHypervisor(loadSpec(specRoot)), 'pvrt gen hypervisor');
          io.out(`wrote hypervisor tables to ${out}`);
          return 0;
        }
        case 'docs': {
          const out = resolve(values.out ?? join(specRoot, 'REFERENCE.md'));
          writeFileAtomic(out, generateDocs(loadSpec(specRoot)));
          io.out(`wrote ${out}`);
          return 0;
        }
        case 'arch': {
          const like = required(values, 'like', 'gen arch');
          const name = required(values, 'name', 'gen arch');
          const { path, text } = startArch(loadSpec(specRoot), like, name);
          writeFileAtomic(path, text);
          try {
            loadSpec(specRoot);
          } catch (err) {
            rmSync(path, { force: true }); // leave the spec folder as valid as it was
            throw err;
          }
          io.out(`wrote ${path}; edit it, then run: pvrt gen bsp --arch ${name} --out DIR`);
          return 0;
        }
        case 'all': {
          const bundle = loadSpec(specRoot);
          const hv = join(packageRoot(), HYPERVISOR_OUT);
          writeTree(hv, generateHypervisor(bundle), 'pvrt gen hypervisor');
          writeFileAtomic(join(specRoot, 'REFERENCE.md'), generateDocs(bundle));
          io.out(`wrote ${hv} and ${join(specRoot, 'REFERENCE.md')}`);
          return 0;
        }
        default:
          throw new PvrtError({ message: `gen: unknown generator "${sub ?? ''}"; choose bsp, hypervisor, docs, arch or all\n\n${USAGE}` });
      }
    }
    case 'run': {
      if (sub === undefined) throw new PvrtError({ message: `run: which image? pvrt run IMAGE\n\n${USAGE}` });
      noExtra(2);
      const number = (name: string, value: string | undefined): number | undefined => {
        if (value === undefined) return undefined;
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) throw new PvrtError({ message: `--${name}: "${value}" is not a number` });
        return n;
      };
      const timeout = number('timeout', values.timeout);
      return runImage(
        {
          image: sub,
          memory: values.memory ?? '64M',
          smp: number('smp', values.smp) ?? 1,
          clock: (values.clock ?? 'real') as 'real' | 'virtual',
          drives: values.drive ?? [],
          ...(values.append === undefined ? {} : { append: values.append }),
          ...(values.module === undefined ? {} : { modules: values.module }),
          ...(timeout === undefined ? {} : { timeout }),
          stats: values.stats ?? false,
        },
        { console: io.console ?? ((bytes) => io.out(Buffer.from(bytes).toString('latin1'))), err: io.err, ...(io.input ? { input: io.input } : {}) },
      );
    }
    case 'build': {
      const bsp = required(values, 'bsp', 'build');
      const out = required(values, 'out', 'build');
      const sources = positionals.slice(1);
      if (sources.length === 0) throw new PvrtError({ message: `build: which sources? pvrt build --bsp ${bsp} FILE.c... -o ${out}\n\n${USAGE}` });
      return buildApplication({
        bsp,
        sources,
        out,
        cc: ccOf(values.cc),
        includeDirs: values.include ?? [],
        defines: values.define ?? [],
        specRoot,
        ...(values['bsp-root'] === undefined ? {} : { guestBspRoot: values['bsp-root'] }),
      }).then((r) => {
        for (const w of r.warnings) io.err(w);
        io.out(`built ${r.image}: ${r.units} files, ${r.bsp} BSP, ${r.cc}`);
        return 0;
      });
    }
    case 'compare': {
      if (sub === undefined) throw new PvrtError({ message: `compare: which example? pvrt compare EXAMPLE\n\n${USAGE}` });
      noExtra(2);
      const count = (name: string, value: string | undefined): number | undefined => {
        if (value === undefined) return undefined;
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) throw new PvrtError({ message: `--${name}: "${value}" is not a number` });
        return n;
      };
      const runs = count('runs', values.runs);
      const timeout = count('timeout', values.timeout);
      return compareExample({
        example: sub,
        clock: (values.clock ?? 'real') as 'real' | 'virtual',
        cc: ccOf(values.cc),
        specRoot,
        progress: (line) => io.err(line),
        ...(runs === undefined ? {} : { runs }),
        ...(timeout === undefined ? {} : { timeout }),
        ...(values.memory === undefined ? {} : { memory: values.memory }),
        ...(values.json === undefined ? {} : { json: values.json }),
        ...(values.html === undefined ? {} : { html: values.html }),
        ...(values['bsp-root'] === undefined ? {} : { guestBspRoot: values['bsp-root'] }),
      }).then((report) => {
        io.out(formatTable(report));
        if (values.json) io.out(`wrote ${resolve(values.json)}`);
        if (values.html) io.out(`wrote ${resolve(values.html)}`);
        return 0;
      });
    }
    case 'demo': {
      const buildDir = resolve(values.out ?? join(packageRoot(), 'build'));
      if (sub === 'bsp') {
        noExtra(2);
        return demoBsp(specRoot, values.arch ?? 'i386', buildDir, io);
      }
      noExtra(1);
      return demo(specRoot, buildDir, io);
    }
    default:
      throw new PvrtError({ message: `unknown command "${command}"\n\n${USAGE}` });
  }
}

/**
 * What `npm start` shows, within a minute: the ticker example on the paravirtual BSP (i386virt), then
 * rtos-bench built for both BSPs and compared side by side, with the HTML report written beside.
 */
async function demo(specRoot: string, buildDir: string, io: Io): Promise<number> {
  const bundle = loadSpec(specRoot);
  io.out(`spec: interface version ${bundle.spec.version}, ${allHypercalls(bundle.spec).length} hypercalls, ${bundle.archs.size} architectures, all checks pass`);
  const consoleOut = io.console ?? ((b: Uint8Array) => io.out(Buffer.from(b).toString('latin1')));
  const ticker = join(packageRoot(), 'examples', 'ticker');
  const built = await buildApplication({ bsp: 'i386virt', sources: [join(ticker, 'ticker.c')], out: join(buildDir, 'ticker-i386virt.elf'), specRoot });
  io.out(`\n1. examples/ticker on the paravirtual BSP: pvrt run ${built.image} --stats\n`);
  const code = await runImage({ image: built.image, memory: '16M', smp: 1, clock: 'real', drives: [], timeout: 30, stats: true }, { console: consoleOut, err: io.out });
  if (code !== 0) return code;
  io.out('\n2. examples/rtos-bench on both BSPs, paravirtual (i386virt) against full emulation (pc386): pvrt compare rtos-bench\n');
  const html = join(buildDir, 'rtos-bench.html');
  const report = await compareExample({ example: 'rtos-bench', runs: 3, clock: 'real', specRoot, html, json: join(buildDir, 'rtos-bench.json'), progress: (line) => io.out(line) });
  io.out(formatTable(report));
  io.out(`\nthe same with charts: ${html}\nmore: pvrt compare rtos-bench --runs 9 --clock virtual, pvrt compare ticker, pvrt demo bsp --arch riscv64`);
  return 0;
}

/** `pvrt demo bsp`: the spec checks, a BSP generated and compiled with every compiler found, and (i386) examples/hello booted on it. */
async function demoBsp(specRoot: string, archName: string, buildDir: string, io: Io): Promise<number> {
  const bundle = loadSpec(specRoot);
  const arch = archOf(bundle, archName);
  io.out(`spec: interface version ${bundle.spec.version}, ${allHypercalls(bundle.spec).length} hypercalls, ${bundle.archs.size} architectures, all checks pass`);
  const bspDir = join(buildDir, `${arch.name}virt`);
  const files = generateBsp(bundle, arch.name);
  writeTree(bspDir, files, `pvrt gen bsp --arch ${arch.name}`);
  io.out(`generated ${files.size} files of the ${arch.name}virt BSP in ${bspDir}`);
  let failed = 0;
  let compiled = 0;
  for (const compiler of compilersFor(arch)) {
    if (compiler.unavailable) {
      io.out(`  ${compiler.kind}: SKIPPED, ${compiler.unavailable}`);
      continue;
    }
    const objDir = join(buildDir, `${arch.name}virt-obj-${compiler.kind}`);
    mkdirSync(objDir, { recursive: true });
    const results = compileBsp(bspDir, compiler, objDir);
    const bad = results.filter((r) => !r.ok);
    compiled++;
    failed += bad.length;
    io.out(`  ${compiler.command} ${compiler.flags.join(' ')} -Wall -Wextra -Werror: ${results.length - bad.length}/${results.length} files compile`);
    for (const r of bad) io.err(`    ${r.file}:\n${r.output}`);
  }
  if (compiled === 0) {
    io.err(`no compiler for ${arch.name} is installed here (see above)`);
    return 1;
  }
  io.out(failed === 0 ? 'ok: the generated BSP compiles warning-free, and its static assertions prove the spec\'s struct layout' : `${failed} file(s) failed to compile`);
  if (failed !== 0) return 1;
  if (arch.name !== 'i386') return 0; // the hypervisor runs i386 guests
  return bootExample(bspDir, files, buildDir, io);
}

/** Builds examples/hello against the BSP just generated and boots it on two vCPUs. */
async function bootExample(bspDir: string, files: Map<string, string>, buildDir: string, io: Io): Promise<number> {
  const example = join(packageRoot(), 'examples', 'hello');
  const startup = join(packageRoot(), 'guest-bsp', 'i386virt');
  const image = linkGuest({
    sources: [join(startup, 'start.S'), join(example, 'hello.c'), ...[...files.keys()].filter((f) => f.endsWith('.c')).map((f) => join(bspDir, f))],
    includeDirs: [join(bspDir, 'include')],
    linkerScript: join(startup, 'linker.ld'),
    out: join(buildDir, 'hello.elf'),
  });
  io.out(`built ${image} from examples/hello; booting it: pvrt run ${image} --smp 2 --stats\n`);
  return runImage({ image, memory: '16M', smp: 2, clock: 'real', drives: [], timeout: 30, stats: true }, { console: io.console ?? ((b) => io.out(Buffer.from(b).toString('latin1'))), err: io.out });
}

/** Runs the CLI; resolves with the exit code. Errors in input become messages on stderr and exit code 1. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof PvrtError) {
      io.err(`pvrt: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
