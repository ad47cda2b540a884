// SPDX-License-Identifier: GPL-2.0-only
/*
 * The no-restricted-syntax rules of HOUSE-STYLE §3.1 for the data-plane folders, and the
 * file-header rule of §3.9, as checkers over a list of source files.
 *
 * Restricted in src/{bitmap,genalloc,dmapool,vmalloc,machine} (each allocates, deoptimises
 * or is slow on a hot path, §3.5 and §3.7):
 *   H1  `delete x.y`                        (changes an object's shape)
 *   H2  `for (k in o)`                      (walks the prototype chain, allocates keys)
 *   H3  BigInt: literals `123n`, `BigInt`   (heap numbers)
 *   H4  spread and rest `...`               (allocates an array or object per call)
 *   H5  `.map(` `.filter(` `.reduce(`       (allocate arrays and closures)
 *
 * Control-plane code (construction, checkers, debug dumps) may use them when it says so
 * with a line comment `// control-plane: <reason>` (docs/ARCHITECTURE.md):
 *   - at the end of the offending line: that line;
 *   - on a line of its own: the next line of code and, if that line opens a block (a
 *     function, method, class or statement body: the first `{` at parenthesis depth 0
 *     before a `;`), the whole block; comment lines in between are skipped;
 *   - before the first line of code of the file (after the header): the whole file.
 * A marker without a reason is itself a violation (H0).
 *
 * Headers (every src file): the first line — after a `#!` line, if any — is the SPDX line of
 * package.json's license, and the next non-empty line opens a comment with some text (S1).
 */

import type { SourceFile, Violation } from './architecture.js';
import { positionOf, scanSource, type ScannedSource } from './ts-source.js';

/** The folders whose code is data plane unless marked. */
export const HOT_FOLDERS = ['bitmap', 'genalloc', 'dmapool', 'vmalloc', 'machine'] as const;

const RULES: ReadonlyArray<[rule: string, what: string, pattern: RegExp]> = [
  ['H1', "'delete' changes the object's shape", /(?<![\w$.#])delete\s+(?=[\w$(#[])/g],
  ['H2', "'for…in' walks keys and the prototype chain", /(?<![\w$.#])for\s*\([^;)]*?\sin\s/g],
  [
    'H3',
    'BigInt literals allocate heap numbers (§3.5)',
    /(?<![\w$.])(?:0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*)n(?![\w$])/g,
  ],
  ['H3', 'BigInt allocates heap numbers (§3.5)', /(?<![\w$.#])BigInt(?![\w$])/g],
  ['H4', "spread/rest '...' allocates per call", /\.\.\./g],
  ['H5', 'map/filter/reduce allocate arrays and closures', /\.\s*(?:map|filter|reduce)\s*\(/g],
];

const MARKER = /^\s*control-plane:(.*)$/;

/** Return true when `path` is in one of the hot folders. */
export function isHotPath(path: string): boolean {
  return HOT_FOLDERS.some((f) => path.startsWith(`src/${f}/`));
}

/** The lines (1-based) a file's control-plane markers exempt, or 'file'. */
export function exemptLines(
  src: ScannedSource,
  file: string,
  out: Violation[],
): Set<number> | 'file' {
  const lines = new Set<number>();
  const codeLines = src.code.split('\n');
  const hasCode = (line: number): boolean => (codeLines[line - 1] ?? '').trim() !== '';
  const firstCodeLine = codeLines.findIndex((l) => l.trim() !== '') + 1;
  for (const c of src.comments) {
    const m = c.kind === 'line' ? MARKER.exec(c.body) : null;
    if (m === null) continue;
    if (m[1]!.trim() === '') {
      out.push(mk('H0', file, c.line, 1, "'// control-plane:' needs a reason after the colon"));
      continue;
    }
    if (firstCodeLine === 0 || c.line < firstCodeLine) return 'file';
    lines.add(c.line);
    if (hasCode(c.line)) continue;
    let next = c.line + 1;
    while (next <= codeLines.length && !hasCode(next)) next++;
    const last = blockEndLine(src, next);
    for (let l = next; l <= last; l++) lines.add(l);
  }
  return lines;
}

/** The last line of the block opened by the statement starting on `line`, or `line`. */
function blockEndLine(src: ScannedSource, line: number): number {
  const bare = src.bare;
  let i = src.lineStarts[line - 1] ?? bare.length;
  let parens = 0;
  for (; i < bare.length; i++) {
    const c = bare[i];
    if (c === '(' || c === '[') parens++;
    else if (c === ')' || c === ']') parens--;
    else if (c === ';' && parens === 0) return positionOf(src, i).line;
    else if (c === '{' && parens === 0) break;
  }
  let depth = 0;
  for (; i < bare.length; i++) {
    if (bare[i] === '{') depth++;
    else if (bare[i] === '}' && --depth === 0) return positionOf(src, i).line;
  }
  return line;
}

/** Check the restricted syntax of every hot-path file in `files` (others are skipped). */
export function checkHotPathSyntax(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    if (!isHotPath(file.path)) continue;
    const src = scanSource(file.text);
    const exempt = exemptLines(src, file.path, out);
    if (exempt === 'file') continue;
    const found: Violation[] = [];
    for (const [rule, what, pattern] of RULES) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(src.bare); m !== null; m = pattern.exec(src.bare)) {
        const { line, column } = positionOf(src, m.index);
        if (exempt.has(line)) continue;
        const text = (src.text.split('\n')[line - 1] ?? '').trim();
        found.push(
          mk(
            rule,
            file.path,
            line,
            column,
            `${what} on the data plane: \`${text}\` — rewrite it, or mark control-plane code with '// control-plane: <reason>'`,
          ),
        );
      }
    }
    found.sort((a, b) => a.line - b.line || a.column - b.column);
    out.push(...found);
  }
  return out;
}

/** Check the SPDX line and header comment of every file. */
export function checkHeaders(files: readonly SourceFile[], license: string): Violation[] {
  const out: Violation[] = [];
  const spdx = `// SPDX-License-Identifier: ${license}`;
  for (const file of files) {
    const lines = file.text.split('\n');
    let i = lines[0]?.startsWith('#!') ? 1 : 0;
    if ((lines[i] ?? '').trimEnd() !== spdx) {
      out.push(
        mk(
          'S1',
          file.path,
          i + 1,
          1,
          `the file must start with '${spdx}'${i === 1 ? ' after the #! line' : ''}`,
        ),
      );
      continue;
    }
    const src = scanSource(file.text);
    const headerAt = src.lineStarts[i + 1] ?? file.text.length;
    const header = src.comments.find((c) => c.start >= headerAt);
    const codeBefore = header === undefined ? '' : src.code.slice(headerAt, header.start);
    if (header === undefined || codeBefore.trim() !== '' || !/\w/.test(header.body)) {
      const k = src.code.slice(headerAt).search(/\S/);
      const line =
        header !== undefined && codeBefore.trim() === ''
          ? header.line
          : positionOf(src, k < 0 ? headerAt : headerAt + k).line;
      out.push(
        mk(
          'S1',
          file.path,
          line,
          1,
          'the SPDX line must be followed by a header comment saying what the file implements (§3.9)',
        ),
      );
    }
  }
  return out;
}

function mk(rule: string, file: string, line: number, column: number, text: string): Violation {
  return {
    rule,
    file,
    line,
    column,
    message: `${file}:${line}:${column} - error ${rule}: ${text}`,
  };
}
