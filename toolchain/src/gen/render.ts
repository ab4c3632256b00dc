import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { templatesRoot } from '../paths.js';
import type { FileSet } from './output.js';

/** Handlebars with pvrt's helpers. Templates only arrange text: the view models computed in TypeScript hold the logic. */
function environment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('join', (list: unknown[], sep: unknown) => list.join(typeof sep === 'string' ? sep : ', '));
  hb.registerHelper('upper', (s: string) => s.toUpperCase());
  hb.registerHelper('json', (v: unknown) => JSON.stringify(v));
  hb.registerHelper('pad', (s: unknown, width: number) => String(s).padEnd(width));
  return hb;
}

function listTemplates(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.hbs'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Renders every `*.hbs` under templates/<kind>/ to the same relative path without `.hbs`,
 * skipping subfolders listed in `exclude` (rendered separately, like per-architecture partials).
 */
export function renderKind(kind: string, view: object, exclude: readonly string[] = []): FileSet {
  const root = join(templatesRoot(), kind);
  const hb = environment();
  const files: FileSet = new Map();
  for (const path of listTemplates(root)) {
    const rel = relative(root, path);
    if (exclude.some((x) => rel.startsWith(x + '/'))) continue;
    files.set(rel.slice(0, -'.hbs'.length), renderText(hb, path, view));
  }
  return files;
}

export function renderFile(kind: string, rel: string, view: object): string | undefined {
  const path = join(templatesRoot(), kind, rel);
  return existsSync(path) ? renderText(environment(), path, view) : undefined;
}

function renderText(hb: typeof Handlebars, path: string, view: object): string {
  const template = hb.compile(readFileSync(path, 'utf8'), { noEscape: true, strict: true });
  return template(view);
}
