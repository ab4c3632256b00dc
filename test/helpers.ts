import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { PvrtError, type Problem } from '../toolchain/src/errors.js';
import { defaultSpecRoot } from '../toolchain/src/paths.js';

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `pvrt-${prefix}-`));

/** A private copy of the shipped spec folder, so a test can break it. */
export function specCopy(): string {
  const dir = join(tempDir('spec'), 'hypercall-spec');
  cpSync(defaultSpecRoot(), dir, { recursive: true });
  return dir;
}

/** Rewrites one JSON file of a spec copy through a mutation of its parsed value. */
export function mutateJson(path: string, mutate: (value: any) => void): void {
  const value = JSON.parse(readFileSync(path, 'utf8'));
  mutate(value);
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** Runs fn, expects a PvrtError, and returns its problems. */
export function problemsOf(fn: () => unknown): readonly Problem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PvrtError);
    return (err as PvrtError).problems;
  }
  throw new Error('expected a PvrtError, but the call succeeded');
}

/** The 1-based line of the n-th occurrence of a text in a file. */
export function lineOf(path: string, text: string, occurrence = 1): number {
  const lines = readFileSync(path, 'utf8').split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i]!.includes(text) && ++seen === occurrence) return i + 1;
  throw new Error(`${text} not found in ${path}`);
}

/** A small deterministic generator (xorshift32), so failures reproduce from their seed. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
