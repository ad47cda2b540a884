// SPDX-License-Identifier: GPL-2.0-only
/*
 * The character-level scanner of the device-tree source (DTS) parser, and its error class.
 *
 * Kernel: scripts/dtc/dtc-lexer.l (the token shapes: names, labels, integer literals with
 * C suffixes, string escapes, byte strings, `/keyword/` directives, C and C++ comments).
 *
 * dtc's lexer switches start conditions (property values, cell lists, byte strings) as the
 * grammar goes. Here the parser drives the scanner instead: it asks for the token shape it
 * expects at each point (a name, an integer, a string, a byte string), so one character
 * class serves for names and the same `-` can be a name character in `#address-cells` and
 * an operator inside `(1 - 2)`. The scanner keeps only `pos`, an index into the source;
 * line and column are computed from a table of line starts when an error needs them.
 *
 * DEVIATION: an unknown escape (`"\q"`) and a raw newline inside a string are errors here;
 * dtc passes the character through. Preprocessor lines (`#include`, `#define`, ...) and
 * `/include/` are rejected with a clear error: there is no file system under the machine.
 */

/** A DTS error, with the message `file:line:column: reason` (line and column are 1-based). */
export class DtsSyntaxError extends Error {
  readonly code = 'DTS_SYNTAX';
  /** The file name given to the parser. */
  readonly fileName: string;
  /** The 1-based line of the offending text. */
  readonly line: number;
  /** The 1-based column (in UTF-16 code units) of the offending text. */
  readonly column: number;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(fileName: string, line: number, column: number, reason: string) {
    super(`${fileName}:${line}:${column}: ${reason}`);
    this.name = 'DtsSyntaxError';
    this.fileName = fileName;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** Characters of node names, property names and labels (each kind is checked afterwards). */
const NAME_CHAR = /[A-Za-z0-9,._+*#?@-]/;
const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DIRECTIVES =
  /^#\s*(include|define|undef|ifdef|ifndef|if|elif|else|endif|pragma|error)(?=[\s"<]|$)/;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 10,
  t: 9,
  r: 13,
  a: 7,
  b: 8,
  f: 12,
  v: 11,
  '\\': 92,
  '"': 34,
  "'": 39,
};
const utf8 = new TextEncoder();

/** Return true when `s` is a valid DTS label (`[A-Za-z_][A-Za-z0-9_]*`). */
export function isLabel(s: string): boolean {
  return LABEL.test(s);
}

/** Return the text of a character for a message: `'x'`, or `end of input`. */
export function describeChar(c: string): string {
  return c === '' ? 'end of input' : `'${c}'`;
}

/**
 * A cursor over DTS source text. Every `read*` method expects the caller to have skipped
 * trivia (whitespace and comments) with {@link DtsScanner.skipTrivia} first.
 */
export class DtsScanner {
  /** The source text. */
  readonly src: string;
  /** The file name used in error messages. */
  readonly fileName: string;
  /** Index of the next unread character. */
  pos = 0;
  readonly #lineStarts: number[] = [0];

  constructor(src: string, fileName: string) {
    this.src = src;
    this.fileName = fileName;
    for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
  }

  /** Build (not throw) a {@link DtsSyntaxError} located at source index `at`. */
  error(reason: string, at: number = this.pos): DtsSyntaxError {
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (starts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return new DtsSyntaxError(this.fileName, lo + 1, at - starts[lo]! + 1, reason);
  }

  /** Return `line:column` of source index `at`, for messages that point elsewhere. */
  where(at: number): string {
    const e = this.error('', at);
    return `${e.line}:${e.column}`;
  }

  /** Return the character `offset` places ahead, or '' at the end of the input. */
  peek(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  /** Return true when only trivia remains before the end of the input. */
  atEnd(): boolean {
    this.skipTrivia();
    return this.pos >= this.src.length;
  }

  /** Skip whitespace and comments; reject preprocessor lines. */
  skipTrivia(): void {
    const src = this.src;
    for (;;) {
      const c = src.charAt(this.pos);
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '/' && src.charAt(this.pos + 1) === '/') {
        const nl = src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? src.length : nl + 1;
      } else if (c === '/' && src.charAt(this.pos + 1) === '*') {
        const close = src.indexOf('*/', this.pos + 2);
        if (close < 0) throw this.error("unterminated comment: '/*' is never closed");
        this.pos = close + 2;
      } else if (c === '#' && this.#atLineStart()) {
        const m = DIRECTIVES.exec(src.slice(this.pos, this.pos + 16));
        if (m === null) return;
        if (m[1] === 'include') {
          throw this.error('#include is not supported: pass the included text inline');
        }
        throw this.error(`preprocessor directive '#${m[1]!}' is not supported`);
      } else {
        return;
      }
    }
  }

  #atLineStart(): boolean {
    for (let i = this.pos - 1; i >= 0; i--) {
      const c = this.src.charAt(i);
      if (c === '\n') return true;
      if (c !== ' ' && c !== '\t') return false;
    }
    return true;
  }

  /** Consume `s` if the input continues with it (no trivia skipped); return whether it did. */
  eat(s: string): boolean {
    if (!this.src.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  /** Skip trivia, then consume `s` or throw `expected '<s>' <context>`. */
  expect(s: string, context: string): void {
    this.skipTrivia();
    if (!this.eat(s)) throw this.error(`expected '${s}' ${context}`);
  }

  /** Read a run of name characters (node, property or label name); '' when there is none. */
  readWord(): string {
    const start = this.pos;
    while (this.pos < this.src.length && NAME_CHAR.test(this.src.charAt(this.pos))) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** Read a run of label characters (`[A-Za-z0-9_]`, as after `&`); '' when there is none. */
  readLabel(): string {
    const start = this.pos;
    while (this.pos < this.src.length && /[A-Za-z0-9_]/.test(this.src.charAt(this.pos))) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /**
   * Read a `/keyword/` directive (`/dts-v1/`, `/delete-node/`, ...) if one starts here.
   * @returns the keyword with its slashes, or null (nothing consumed) when none starts here.
   */
  readKeyword(): string | null {
    const m = /^\/[a-z][a-z0-9-]*\//.exec(this.src.slice(this.pos, this.pos + 24));
    if (m === null) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /**
   * Read an integer literal: decimal, `0x` hex or `0` octal, with an optional C suffix
   * (`U`, `L`, `UL`, `LL`, `ULL`).
   * @returns its value, a safe integer.
   * @throws {DtsSyntaxError} for a malformed literal or one above 2^53 - 1.
   */
  readInteger(): number {
    const start = this.pos;
    while (this.pos < this.src.length && /[0-9A-Za-z_]/.test(this.src.charAt(this.pos))) this.pos++;
    const text = this.src.slice(start, this.pos);
    const digits = text.replace(/(?:[uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)$/, '');
    let value: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(digits)) value = Number.parseInt(digits.slice(2), 16);
    else if (/^0[0-7]*$/.test(digits)) value = digits.length === 1 ? 0 : Number.parseInt(digits, 8);
    else if (/^[1-9][0-9]*$/.test(digits)) value = Number.parseInt(digits, 10);
    else throw this.error(`invalid integer literal '${text}'`, start);
    if (!Number.isSafeInteger(value)) {
      throw this.error(`integer literal '${text}' is too large (above 2^53 - 1)`, start);
    }
    return value;
  }

  /**
   * Read a double-quoted string (the opening quote is at `pos`) with its escapes
   * (`\" \\ \n \t \r \a \b \f \v \xNN \ooo`).
   * @returns its bytes, UTF-8 for non-ASCII text, without the terminating NUL.
   * @throws {DtsSyntaxError} for an unterminated string or an unknown escape.
   */
  readString(): number[] {
    const src = this.src;
    const open = this.pos++;
    const out: number[] = [];
    for (;;) {
      if (this.pos >= src.length || src.charAt(this.pos) === '\n') {
        throw this.error("unterminated string: missing closing '\"'", open);
      }
      const code = src.charCodeAt(this.pos);
      if (code === 34) break;
      if (code === 92) this.#readEscape(out);
      else if (code < 0x80) {
        out.push(code);
        this.pos++;
      } else {
        const cp = src.codePointAt(this.pos)!;
        const len = cp > 0xffff ? 2 : 1;
        const bytes = utf8.encode(src.slice(this.pos, this.pos + len));
        for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
        this.pos += len;
      }
    }
    this.pos++;
    return out;
  }

  #readEscape(out: number[]): void {
    const at = this.pos++;
    const c = this.src.charAt(this.pos);
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      out.push(simple);
      this.pos++;
      return;
    }
    const m =
      c === 'x'
        ? /^x([0-9a-fA-F]{1,2})/.exec(this.src.slice(this.pos, this.pos + 3))
        : /^([0-7]{1,3})/.exec(this.src.slice(this.pos, this.pos + 3));
    if (m === null) throw this.error(`unknown escape sequence '\\${c}' in string`, at);
    const value = Number.parseInt(m[1]!, c === 'x' ? 16 : 8);
    if (value > 0xff) throw this.error(`octal escape '\\${m[1]!}' is above 0xff`, at);
    out.push(value);
    this.pos += m[0].length;
  }

  /**
   * Read a byte string `[00 11 2233]` (the `[` is at `pos`): pairs of hex digits, with
   * optional trivia between pairs.
   * @throws {DtsSyntaxError} for an odd digit, a non-hex character or a missing `]`.
   */
  readByteString(): number[] {
    const open = this.pos++;
    const out: number[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.pos >= this.src.length) {
        throw this.error("unterminated byte string: '[' is never closed", open);
      }
      if (this.eat(']')) return out;
      const pair = this.src.slice(this.pos, this.pos + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
        throw this.error(`expected two hex digits or ']' in byte string, found '${pair}'`);
      }
      out.push(Number.parseInt(pair, 16));
      this.pos += 2;
    }
  }
}
