import type { ArgType, FixedType, ValueType } from '../spec/model.js';

/** C spellings shared by the BSP generator and its templates. */

export const C_FIXED: Readonly<Record<FixedType, string>> = {
  u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t', u64: 'uint64_t', i8: 'int8_t', i16: 'int16_t', i32: 'int32_t', i64: 'int64_t',
};

export function cType(type: ArgType | ValueType | FixedType): string {
  if (type === 'uword') return 'pvrt_uword_t';
  if (type === 'gpa') return 'pvrt_gpa_t';
  return C_FIXED[type];
}

/** A C string literal for assembler text (newlines and tabs escaped). */
export function cString(text: string): string {
  return JSON.stringify(text);
}

export function registerVariable(register: string): string {
  return 'r_' + register.replace(/[^A-Za-z0-9]/g, '');
}

/** Splits prose into comment lines of at most `width` characters. */
export function wrap(text: string, width = 96): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function constantName(...parts: string[]): string {
  return parts.join('_').toUpperCase();
}
