// SPDX-License-Identifier: GPL-2.0-only
/*
 * A JSON reader that remembers where every value came from: the same values JSON.parse
 * returns, plus the line and column of each object member's key and each array element,
 * so a scenario's errors can name `file:line`. JSON.parse's own messages carry a position
 * only sometimes (and never a line), so syntax errors are found here too, each with its
 * line and column.
 *
 * Kernel: none (kmem's command line).
 *
 * Paths name a value the way the errors print it: `pools[2].size`, `workload.mix.users[0]`;
 * the root is ''. Strings and numbers are decoded by JSON.parse on their own token text,
 * so every value is exactly what JSON.parse would give. Objects are plain objects; the key
 * `__proto__` is refused (a scenario has no use for it, and it would not become an own
 * property), and so is a key given twice (JSON.parse keeps the last one silently).
 */

/** A position in the source text: 1-based line and column. */
export interface SourcePos {
  readonly line: number;
  readonly col: number;
}

/** Malformed JSON: the reason and where. */
export class JsonSyntaxError extends Error {
  readonly line: number;
  readonly col: number;
  readonly reason: string;
  constructor(line: number, col: number, reason: string) {
    super(`${line}:${col}: ${reason}`);
    this.name = 'JsonSyntaxError';
    this.line = line;
    this.col = col;
    this.reason = reason;
  }
}

/** A parsed document: the value and the position of every path in it. */
export interface JsonDocument {
  readonly value: unknown;
  /** Position of the value at `path` (of its key, for an object member). */
  readonly positions: ReadonlyMap<string, SourcePos>;
}

/** Append a key or index to a path as the errors print it. @returns the child's path. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The nearest recorded position of `path` or of one of its parents.
 * @returns the position; line 1, column 1 when nothing on the way was recorded.
 */
export function positionOf(doc: JsonDocument, path: string): SourcePos {
  let p = path;
  for (;;) {
    const pos = doc.positions.get(p);
    if (pos !== undefined) return pos;
    if (p === '') return { line: 1, col: 1 };
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut < 0 ? '' : p.slice(0, cut);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const MAX_DEPTH = 512;

/** The recursive-descent reader over one text. */
class Reader {
  readonly #text: string;
  #i = 0;
  readonly positions = new Map<string, SourcePos>();
  readonly #lineStarts: number[] = [0];

  constructor(text: string) {
    this.#text = text;
    for (let i = 0; i < text.length; i++)
      if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
  }

  pos(index: number): SourcePos {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: index - this.#lineStarts[lo]! + 1 };
  }

  fail(reason: string, index = this.#i): never {
    const p = this.pos(index);
    throw new JsonSyntaxError(p.line, p.col, reason);
  }

  #skip(): void {
    const t = this.#text;
    while (this.#i < t.length) {
      const c = t.charCodeAt(this.#i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.#i++;
    }
  }

  #what(): string {
    if (this.#i >= this.#text.length) return 'the end of the file';
    return `'${this.#text[this.#i]!}'`;
  }

  document(): unknown {
    this.#skip();
    if (this.#i >= this.#text.length) this.fail('the file is empty (expected a JSON object)');
    const value = this.value('', 0);
    this.#skip();
    if (this.#i < this.#text.length) this.fail(`unexpected ${this.#what()} after the JSON value`);
    return value;
  }

  value(path: string, depth: number): unknown {
    this.#skip();
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    if (!this.positions.has(path)) this.positions.set(path, this.pos(this.#i));
    const c = this.#text[this.#i];
    if (c === '{') return this.#object(path, depth);
    if (c === '[') return this.#array(path, depth);
    if (c === '"') return this.#string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.#text.startsWith(word, this.#i)) {
        this.#i += word.length;
        return v;
      }
    }
    return this.fail(`unexpected ${this.#what()} (expected a value)`);
  }

  #string(): string {
    STRING.lastIndex = this.#i;
    const m = STRING.exec(this.#text);
    if (m === null) {
      const end = this.#text.indexOf('"', this.#i + 1);
      return this.fail(
        end < 0 ? 'unterminated string' : 'bad string (a control character or a bad escape)',
      );
    }
    this.#i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  #number(): number {
    NUMBER.lastIndex = this.#i;
    const m = NUMBER.exec(this.#text);
    if (m === null) return this.fail(`bad number`);
    const n = JSON.parse(m[0]) as number;
    if (!Number.isFinite(n)) return this.fail(`number ${m[0]} is too large (beyond 1.8e308)`);
    this.#i += m[0].length;
    return n;
  }

  #object(path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#i++;
    this.#skip();
    if (this.#text[this.#i] === '}') {
      this.#i++;
      return out;
    }
    for (;;) {
      this.#skip();
      if (this.#text[this.#i] !== '"') this.fail(`expected a property name, found ${this.#what()}`);
      const at = this.#i;
      const key = this.#string();
      if (key === '__proto__') this.fail("the key '__proto__' is not allowed", at);
      if (Object.hasOwn(out, key)) this.fail(`duplicate key '${key}'`, at);
      const child = childPath(path, key);
      this.positions.set(child, this.pos(at));
      this.#skip();
      if (this.#text[this.#i] !== ':')
        this.fail(`expected ':' after '${key}', found ${this.#what()}`);
      this.#i++;
      out[key] = this.value(child, depth + 1);
      this.#skip();
      const c = this.#text[this.#i];
      this.#i++;
      if (c === '}') return out;
      if (c !== ',')
        this.fail(`expected ',' or '}', found ${this.#whatAt(this.#i - 1)}`, this.#i - 1);
    }
  }

  #array(path: string, depth: number): unknown[] {
    const out: unknown[] = [];
    this.#i++;
    this.#skip();
    if (this.#text[this.#i] === ']') {
      this.#i++;
      return out;
    }
    for (;;) {
      out.push(this.value(childPath(path, out.length), depth + 1));
      this.#skip();
      const c = this.#text[this.#i];
      this.#i++;
      if (c === ']') return out;
      if (c !== ',')
        this.fail(`expected ',' or ']', found ${this.#whatAt(this.#i - 1)}`, this.#i - 1);
    }
  }

  #whatAt(index: number): string {
    return index >= this.#text.length ? 'the end of the file' : `'${this.#text[index]!}'`;
  }
}

/**
 * Parse JSON text, recording the position of every value.
 * @returns the document. @throws {JsonSyntaxError} with the line and column of the first
 *   problem (never returns a partial document).
 */
export function parseJsonDocument(text: string): JsonDocument {
  const body = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text; // a BOM keeps its column
  const r = new Reader(body);
  const value = r.document();
  return { value, positions: r.positions };
}
