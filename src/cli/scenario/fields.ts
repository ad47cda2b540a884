// SPDX-License-Identifier: GPL-2.0-only
/*
 * Typed reads of a parsed scenario's fields, each failing with a ScenarioError that names
 * the file, the line of the field and its path: `default.json:42: pools[1].size: expected
 * a size (bytes or "64K"), got true`. Unknown fields are errors too, so a misspelt key
 * is found rather than silently ignored.
 *
 * Kernel: none (kmem's command line).
 */

import { parseSize } from '../../base/units.js';
import { ScenarioError } from './errors.js';
import { childPath, type JsonDocument, positionOf } from './json-source.js';

/** Where errors point: the file name and the document's positions. */
export interface FieldContext {
  readonly file: string;
  readonly doc: JsonDocument;
}

/** @returns `file:line` of `path` (line 1 when the document has no position for it). */
export function whereOf(ctx: FieldContext, path: string): string {
  return `${ctx.file}:${positionOf(ctx.doc, path).line}`;
}

/** @returns a ScenarioError for the value at `path`, naming file, line and path. */
export function fieldError(ctx: FieldContext, path: string, problem: string): ScenarioError {
  return new ScenarioError(`${whereOf(ctx, path)}: ${path === '' ? '' : `${path}: `}${problem}`);
}

/** A short rendering of a bad value for an error message. */
function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * The fields of one JSON object at `path`, read with checks: every read returns the value
 * (or its default) or throws a ScenarioError naming the file, the line and the field.
 */
export class Fields {
  readonly ctx: FieldContext;
  readonly path: string;
  readonly #obj: Record<string, unknown>;

  /** @throws {ScenarioError} when `value` is not an object. */
  constructor(ctx: FieldContext, path: string, value: unknown) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw fieldError(ctx, path, `expected an object, got ${shown(value)}`);
    }
    this.ctx = ctx;
    this.path = path;
    this.#obj = value as Record<string, unknown>;
  }

  /** True when the field is present. */
  has(key: string): boolean {
    return Object.hasOwn(this.#obj, key);
  }

  /** The raw value of a field (undefined when absent). */
  raw(key: string): unknown {
    return this.has(key) ? this.#obj[key] : undefined;
  }

  /** The path of a field. */
  at(key: string): string {
    return childPath(this.path, key);
  }

  /** A ScenarioError about field `key` (or the object itself when it is absent). */
  error(key: string, problem: string): ScenarioError {
    return fieldError(this.ctx, this.has(key) ? this.at(key) : this.path, problem);
  }

  /** @throws {ScenarioError} naming the first field not in `allowed`. */
  allowFields(allowed: readonly string[]): void {
    for (const key of Object.keys(this.#obj)) {
      if (!allowed.includes(key)) {
        throw fieldError(
          this.ctx,
          this.at(key),
          `unknown field (expected one of: ${allowed.join(', ')})`,
        );
      }
    }
  }

  /** @throws {ScenarioError} when `key` is missing. */
  require(key: string): void {
    if (!this.has(key)) throw fieldError(this.ctx, this.path, `missing field '${key}'`);
  }

  /** A string field; `def` when absent (undefined: required). */
  str(key: string, def?: string): string {
    if (!this.has(key) && def !== undefined) return def;
    this.require(key);
    const v = this.#obj[key];
    if (typeof v !== 'string') throw this.error(key, `expected a string, got ${shown(v)}`);
    return v;
  }

  /** A non-empty identifier-like string. */
  name(key: string, def?: string): string {
    const v = this.str(key, def);
    if (!/^[A-Za-z0-9_.,:@+-]{1,64}$/.test(v)) {
      throw this.error(key, `'${v}' is not a name (1-64 letters, digits or _.,:@+-)`);
    }
    return v;
  }

  /** An integer field in [min, max]. */
  int(key: string, min: number, max: number, def?: number): number {
    if (!this.has(key) && def !== undefined) return def;
    this.require(key);
    const v = this.#obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw this.error(key, `expected an integer, got ${shown(v)}`);
    }
    if (v < min || v > max) throw this.error(key, `${v} is outside ${min}..${max}`);
    return v;
  }

  /** A number field in [min, max]. */
  num(key: string, min: number, max: number, def?: number): number {
    if (!this.has(key) && def !== undefined) return def;
    this.require(key);
    const v = this.#obj[key];
    if (typeof v !== 'number') throw this.error(key, `expected a number, got ${shown(v)}`);
    if (v < min || v > max) throw this.error(key, `${v} is outside ${min}..${max}`);
    return v;
  }

  /** A size: a non-negative integer of bytes or a string such as "64K" or "0x1000". */
  size(key: string, def?: number): number {
    if (!this.has(key) && def !== undefined) return def;
    this.require(key);
    return sizeValue(this.ctx, this.at(key), this.#obj[key]);
  }

  /** A boolean field. */
  bool(key: string, def: boolean): boolean {
    if (!this.has(key)) return def;
    const v = this.#obj[key];
    if (typeof v !== 'boolean') throw this.error(key, `expected true or false, got ${shown(v)}`);
    return v;
  }

  /** One of `choices`. */
  oneOf<T extends string>(key: string, choices: readonly T[], def?: T): T {
    const v = this.str(key, def);
    if (!(choices as readonly string[]).includes(v)) {
      throw this.error(key, `'${v}' is not one of: ${choices.join(', ')}`);
    }
    return v as T;
  }

  /** An array field (of any elements). */
  array(key: string, def?: readonly unknown[]): readonly unknown[] {
    if (!this.has(key) && def !== undefined) return def;
    this.require(key);
    const v = this.#obj[key];
    if (!Array.isArray(v)) throw this.error(key, `expected an array, got ${shown(v)}`);
    return v;
  }

  /** A nested object field. */
  object(key: string): Fields {
    this.require(key);
    return new Fields(this.ctx, this.at(key), this.#obj[key]);
  }
}

/**
 * A size value: an integer number of bytes, or a string of decimal bytes with an optional
 * K/M/G/T suffix, or 0x-hex.
 * @returns the bytes.
 * @throws {ScenarioError} for anything else.
 */
export function sizeValue(ctx: FieldContext, path: string, v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    if (/^0x[0-9a-f]+$/i.test(v.trim())) {
      const n = Number.parseInt(v.trim().slice(2), 16);
      if (Number.isSafeInteger(n)) return n;
    }
    try {
      return parseSize(v);
    } catch {
      // fall through to the message below
    }
  }
  throw fieldError(ctx, path, `expected a size (bytes, "64K", "2M" or "0x1000"), got ${shown(v)}`);
}
