import { readFileSync } from 'node:fs';
import { parseTree, findNodeAtLocation, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { PvrtError, type Problem } from '../errors.js';

/** A parsed JSON file that can say where (line, column) a JSON pointer lies, for error messages. */
export class JsonFile {
  private readonly lineStarts: number[];

  private constructor(
    readonly path: string,
    readonly text: string,
    readonly value: unknown,
    private readonly tree: Node,
  ) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  static read(path: string): JsonFile {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new PvrtError({ file: path, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
    return JsonFile.parse(path, text);
  }

  static parse(path: string, text: string): JsonFile {
    const errors: ParseError[] = [];
    const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
    if (errors.length > 0 || !tree) {
      const probe = new JsonFile(path, text, undefined, { type: 'null', offset: 0, length: 0 } as Node);
      const first = errors[0];
      const at = probe.position(first?.offset ?? 0);
      throw new PvrtError({ file: path, ...at, message: `invalid JSON: ${first ? printParseErrorCode(first.error) : 'empty file'}` });
    }
    // JSON.parse gives plain objects; the tree is kept only for locating pointers.
    return new JsonFile(path, text, JSON.parse(text), tree);
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] ?? 0) + 1 };
  }

  /** The problem, located at the pointer or at its nearest existing ancestor. */
  problem(pointer: string, message: string): Problem {
    const segments = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapePointerSegment);
    for (let n = segments.length; n >= 0; n--) {
      const path = segments.slice(0, n).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const node = findNodeAtLocation(this.tree, path);
      if (node) {
        // For a property value, point at the property's key so the line reads naturally.
        const anchor = node.parent?.type === 'property' ? node.parent : node;
        return { file: this.path, pointer, ...this.position(anchor.offset), message };
      }
    }
    return { file: this.path, pointer, message };
  }
}

function unescapePointerSegment(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function pointerOf(...segments: (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
