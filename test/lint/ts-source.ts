// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small TypeScript source scanner for the lint tests (architecture, hot-path syntax): it
 * separates code from comments, string, template and regular-expression literals, so that
 * rules written as regular expressions only ever see code.
 *
 * It is not a parser. It knows just enough of the lexical grammar — line and block
 * comments, '…' and "…" strings, `…${…}…` templates (nested), /…/ regex literals told from
 * division by the token before them, a leading #! line — and keeps every offset and line
 * number of the original text, so that a match in `code` or `bare` points at the same place
 * in the file.
 *
 *   text:  const s = 'a // b'; // note
 *   code:  const s = 'a // b';
 *   bare:  const s = '      ';
 */

/** One comment of a source file. */
export interface SourceComment {
  /** 1-based line of the comment's first character. */
  readonly line: number;
  /** Offset of `//` or `/*` in the text. */
  readonly start: number;
  /** The comment's text without its delimiters. */
  readonly body: string;
  readonly kind: 'line' | 'block';
}

/** The views of one source file. */
export interface ScannedSource {
  readonly text: string;
  /** The text with every comment blanked (newlines kept). */
  readonly code: string;
  /** `code` with the contents of string, template and regex literals blanked (delimiters kept). */
  readonly bare: string;
  readonly comments: readonly SourceComment[];
  /** Offset of the first character of each line. */
  readonly lineStarts: readonly number[];
}

const REGEX_AFTER_CHARS = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/** Scan `text` into its code, bare and comment views. */
export function scanSource(text: string): ScannedSource {
  const code = text.split('');
  const bare = text.split('');
  const comments: SourceComment[] = [];
  const n = text.length;
  const blank = (arr: string[], from: number, to: number): void => {
    for (let j = from; j < to; j++) if (arr[j] !== '\n' && arr[j] !== '\r') arr[j] = ' ';
  };
  const lineAt = (offset: number): number => {
    let line = 1;
    for (let j = 0; j < offset; j++) if (text[j] === '\n') line++;
    return line;
  };

  /** Brace depth at which each open template `${` resumes its template. */
  const templates: number[] = [];
  let braces = 0;
  let i = 0;
  if (text.startsWith('#!')) {
    const eol = text.indexOf('\n');
    i = eol < 0 ? n : eol;
    comments.push({ line: 1, start: 0, body: text.slice(2, i), kind: 'line' });
    blank(code, 0, i);
    blank(bare, 0, i);
  }

  /** Scan template text from i (just after ` or }) to its end or to the next `${`. */
  const templateText = (): void => {
    const from = i;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '`') {
        blank(bare, from, i);
        i++;
        return;
      }
      if (c === '$' && text[i + 1] === '{') {
        blank(bare, from, i);
        i += 2;
        templates.push(braces);
        braces++;
        return;
      }
      i++;
    }
    blank(bare, from, n);
  };

  while (i < n) {
    const c = text[i]!;
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      const eol = text.indexOf('\n', i);
      const end = eol < 0 ? n : eol;
      comments.push({ line: lineAt(i), start: i, body: text.slice(i + 2, end), kind: 'line' });
      blank(code, i, end);
      blank(bare, i, end);
      i = end;
      continue;
    }
    if (c === '/' && d === '*') {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      comments.push({ line: lineAt(i), start: i, body: text.slice(i + 2, end - 2), kind: 'block' });
      blank(code, i, end);
      blank(bare, i, end);
      i = end;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      blank(bare, i + 1, Math.min(j, n));
      i = j + 1;
      continue;
    }
    if (c === '`') {
      i++;
      templateText();
      continue;
    }
    if (c === '{') {
      braces++;
      i++;
      continue;
    }
    if (c === '}') {
      braces--;
      i++;
      if (templates.length > 0 && braces === templates[templates.length - 1]) {
        templates.pop();
        templateText();
      }
      continue;
    }
    if (c === '/' && startsRegex(code, i)) {
      const end = regexEnd(text, i);
      if (end > 0) {
        blank(bare, i + 1, end - 1);
        i = end;
        continue;
      }
    }
    i++;
  }

  const lineStarts = [0];
  for (let j = 0; j < n; j++) if (text[j] === '\n') lineStarts.push(j + 1);
  return { text, code: code.join(''), bare: bare.join(''), comments, lineStarts };
}

/** True when a `/` at `at` begins a regex literal rather than a division. */
function startsRegex(code: string[], at: number): boolean {
  let j = at - 1;
  while (j >= 0 && /\s/.test(code[j]!)) j--;
  if (j < 0) return true;
  const prev = code[j]!;
  if (REGEX_AFTER_CHARS.has(prev)) return true;
  if (!/[\w$]/.test(prev)) return false;
  let k = j;
  while (k >= 0 && /[\w$]/.test(code[k]!)) k--;
  return REGEX_AFTER_WORDS.has(code.slice(k + 1, j + 1).join(''));
}

/** Return the offset just past the regex literal at `at` (flags included), or -1. */
function regexEnd(text: string, at: number): number {
  let inClass = false;
  for (let j = at + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '\n') return -1;
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) {
      let k = j + 1;
      while (k < text.length && /[a-z]/i.test(text[k]!)) k++;
      return k;
    }
  }
  return -1;
}

/** Return the 1-based line and column of `offset`. */
export function positionOf(src: ScannedSource, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = src.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (src.lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - src.lineStarts[lo]! + 1 };
}

/** One module reference of a source file. */
export interface ModuleReference {
  /** The specifier as written ('../base/errno.js', 'node:fs'). */
  readonly specifier: string;
  /** How it was referenced. */
  readonly kind: 'import' | 'export' | 'dynamic import' | 'require' | 'declare module';
  /** True for `import type …` / `export type …`. */
  readonly typeOnly: boolean;
  readonly line: number;
  readonly column: number;
}

/**
 * The statements that name a module, matched on `bare` (so comments and strings never
 * match) up to the opening quote of the specifier. The clause of an import or export is
 * only identifiers, `*`, `,`, braces and white space, so a match cannot run across
 * statements that hold anything else.
 */
const REFERENCE_PATTERNS: ReadonlyArray<[ModuleReference['kind'], RegExp]> = [
  ['import', /(?<![\w$.])import(\s+type(?=[\s{*]))?[\s\w$*,{}]*?(?<=[\s}*])from\s*(['"])/g],
  ['import', /(?<![\w$.])import\s*(['"])/g],
  ['export', /(?<![\w$.])export(\s+type(?=[\s{*]))?\s*[{*][\s\w$*,{}]*?(?<=[\s}*])from\s*(['"])/g],
  ['dynamic import', /(?<![\w$.])import\s*\(\s*(['"])/g],
  ['require', /(?<![\w$.])require\s*\(\s*(['"])/g],
  ['declare module', /(?<![\w$.])declare\s+module\s*(['"])/g],
];

/** Return every module reference of a scanned file, in source order. */
export function moduleReferences(src: ScannedSource): ModuleReference[] {
  const out: Array<ModuleReference & { offset: number }> = [];
  for (const [kind, pattern] of REFERENCE_PATTERNS) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(src.bare); m !== null; m = pattern.exec(src.bare)) {
      const quoteAt = m.index + m[0].length - 1;
      const quote = src.code[quoteAt]!;
      const close = src.code.indexOf(quote, quoteAt + 1);
      const specifier = src.code.slice(quoteAt + 1, close);
      const typeOnly = /^(import|export)\s+type[\s{*]/.test(m[0]);
      const { line, column } = positionOf(src, m.index);
      out.push({ specifier, kind, typeOnly, line, column, offset: m.index });
    }
  }
  out.sort((a, b) => a.offset - b.offset);
  return out.map(({ offset: _offset, ...ref }) => ref);
}
