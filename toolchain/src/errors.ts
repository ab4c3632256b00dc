/** Where a problem is: a file, and inside JSON files a pointer and its line and column. */
export interface Location {
  file?: string;
  pointer?: string;
  line?: number;
  column?: number;
}

export interface Problem extends Location {
  message: string;
}

export function formatProblem(p: Problem): string {
  let where = p.file ?? '';
  if (p.file && p.line !== undefined) where += `:${p.line}:${p.column ?? 1}`;
  if (p.pointer !== undefined) where += `${where ? ' ' : ''}at ${p.pointer === '' ? '/' : p.pointer}`;
  return where ? `${where}: ${p.message}` : p.message;
}

/** A user-facing failure: bad input, a missing tool, an unwritable folder. The CLI prints it and exits non-zero. */
export class PvrtError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[], headline?: string) {
    const list = Array.isArray(problems) ? (problems as readonly Problem[]) : [problems as Problem];
    const body = list.map(formatProblem);
    super(headline ? [headline, ...body.map((line) => `  ${line}`)].join('\n') : body.join('\n'));
    this.name = 'PvrtError';
    this.problems = list;
  }
}
