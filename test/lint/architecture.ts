// SPDX-License-Identifier: GPL-2.0-only
/*
 * The layering rules of DESIGN.md "Layers" and HOUSE-STYLE §3.2, as a checker over a list
 * of source files (the real src/ tree, or a synthetic list in the checker's self-test).
 *
 *   cli ─► report ─► kmods ─► linux ─► drivers ─► { genalloc, dmapool, vmalloc } ─► machine ─► bitmap ─► base
 *
 * Rules:
 *   L1  imports only point down (a folder may import itself and any folder below it);
 *   L2  genalloc, dmapool and vmalloc never import each other;
 *   L3  genalloc's core does not import machine/ (only src/genalloc/devm.ts may);
 *   L4  only src/cli imports node:fs, node:process, node:child_process, and src/ imports no
 *       package at all (zero runtime dependencies);
 *   L5  only src/cli uses `process.` or `console.`; base/debug.ts may read process.env
 *       through globalThis, as it is written;
 *   L6  every src file lives in a known layer; src/index.ts (the package entry) may import
 *       anything and is imported by nobody but src/cli.
 *
 * `import type` counts: a type-only arrow the wrong way is still a wrong-way dependency.
 */

import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { moduleReferences, positionOf, scanSource, type ScannedSource } from './ts-source.js';

/** A source file: its path relative to the project root ('src/genalloc/gen-pool.ts'). */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** One broken rule. */
export interface Violation {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** A VS Code style message: `file:line:col - error Ax: …`. */
  readonly message: string;
}

/** Layer rank: higher may import lower. genalloc, dmapool and vmalloc share a rank. */
export const LAYERS: Readonly<Record<string, number>> = {
  base: 0,
  bitmap: 1,
  machine: 2,
  genalloc: 3,
  dmapool: 3,
  vmalloc: 3,
  drivers: 4,
  linux: 5,
  kmods: 6,
  report: 7,
  cli: 8,
};

const ENTRY = 'src/index.ts';
const GENALLOC_MACHINE_USERS = new Set(['src/genalloc/devm.ts']);
const PROCESS_MODULES = new Set(['fs', 'fs/promises', 'process', 'child_process']);
const BUILTINS = new Set(builtinModules);
/** Files allowed to reach `process` through globalThis, and the only form allowed there. */
const GLOBAL_PROCESS_READERS: ReadonlyMap<string, RegExp> = new Map([
  ['src/base/debug.ts', /\.\s*process\s*\?\.\s*env\b/],
]);

/** Return the layer of a src path ('src/genalloc/x.ts' → 'genalloc'), 'entry', or null. */
export function layerOf(path: string): string | null {
  if (path === ENTRY) return 'entry';
  const m = /^src\/([^/]+)\//.exec(path);
  if (m === null) return null;
  const folder = m[1]!;
  return Object.hasOwn(LAYERS, folder) ? folder : null;
}

/** Return the layers `path` may import, as a sorted list (for messages). */
export function allowedLayers(path: string): string[] {
  const from = layerOf(path);
  if (from === null) return [];
  if (from === 'entry') return Object.keys(LAYERS);
  const rank = LAYERS[from]!;
  const out: string[] = [];
  for (const [name, r] of Object.entries(LAYERS)) {
    if (name === from || r < rank) out.push(name);
  }
  if (from === 'genalloc' && !GENALLOC_MACHINE_USERS.has(path)) {
    return out.filter((l) => l !== 'machine');
  }
  if (from === 'cli') out.push('entry');
  return out.sort((a, b) => LAYERS[a]! - LAYERS[b]! || a.localeCompare(b));
}

/** Check every file; return the violations, in file order. */
export function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const src = scanSource(file.text);
    const from = layerOf(file.path);
    if (from === null) {
      out.push(
        violation(
          'L6',
          file.path,
          1,
          1,
          `${describe(file.path)} is not in a layer; put it in one of src/{${Object.keys(LAYERS).join(',')}}/`,
        ),
      );
      continue;
    }
    checkImports(file, src, from, out);
    checkProcessUse(file, src, from, out);
  }
  return out;
}

function checkImports(file: SourceFile, src: ScannedSource, from: string, out: Violation[]): void {
  const allowed = allowedLayers(file.path);
  for (const ref of moduleReferences(src)) {
    const what = `${ref.kind}${ref.typeOnly ? ' type' : ''} '${ref.specifier}'`;
    const at = (rule: string, why: string): void => {
      out.push(violation(rule, file.path, ref.line, ref.column, `${what}: ${why}`));
    };
    if (!ref.specifier.startsWith('.')) {
      const name = ref.specifier.replace(/^node:/, '');
      const builtin = ref.specifier.startsWith('node:') || BUILTINS.has(name);
      if (!builtin) {
        at('L4', 'src/ has no runtime dependencies; only Node built-ins may be imported');
      } else if (PROCESS_MODULES.has(name) && from !== 'cli') {
        at(
          'L4',
          `only src/cli may touch the process or files; ${from} may import ${allowed.join(', ')} and no process modules`,
        );
      }
      continue;
    }
    const target = posix.normalize(posix.join(posix.dirname(file.path), ref.specifier));
    const targetTs = target.replace(/\.js$/, '.ts');
    if (!targetTs.startsWith('src/')) {
      at('L6', `${target} is outside src/; src imports only src`);
      continue;
    }
    const to = layerOf(targetTs) ?? layerOf(`${targetTs}/index.ts`);
    if (to === null) {
      at('L6', `${targetTs} is not in a layer`);
      continue;
    }
    if (to === from || allowed.includes(to)) continue;
    const rule =
      to === 'entry'
        ? 'L6'
        : from === 'genalloc' && to === 'machine'
          ? 'L3'
          : LAYERS[to] === LAYERS[from]
            ? 'L2'
            : 'L1';
    const why =
      rule === 'L3'
        ? 'genalloc core must work without a machine (only src/genalloc/devm.ts may import machine/)'
        : rule === 'L2'
          ? 'genalloc, dmapool and vmalloc never import each other; move what they share lower down'
          : rule === 'L6'
            ? 'the package entry src/index.ts re-exports the layers; only src/cli may import it'
            : `imports only point down (${from} → ${to} points up)`;
    at(rule, `${why}; ${describe(file.path)} may import ${allowed.join(', ')}`);
  }
}

function checkProcessUse(
  file: SourceFile,
  src: ScannedSource,
  from: string,
  out: Violation[],
): void {
  if (from === 'cli') return;
  const free = /(?<![\w$.#])(process|console)\s*(\?\.|\.|\[)/g;
  for (let m = free.exec(src.bare); m !== null; m = free.exec(src.bare)) {
    const { line, column } = positionOf(src, m.index);
    out.push(
      violation(
        'L5',
        file.path,
        line,
        column,
        `'${m[1]}${m[2]}' outside src/cli: only the CLI touches the process or prints (use the machine's KernelLog, or return data)`,
      ),
    );
  }
  const viaGlobal = /(?<![\w$.#])globalThis\b[^;]*?(?<![\w$])(process|console)(?![\w$])/g;
  const allowedForm = GLOBAL_PROCESS_READERS.get(file.path);
  for (let m = viaGlobal.exec(src.bare); m !== null; m = viaGlobal.exec(src.bare)) {
    const text = src.bare.slice(m.index, src.bare.indexOf(';', m.index) + 1 || undefined);
    if (allowedForm !== undefined && m[1] === 'process' && allowedForm.test(text)) continue;
    const { line, column } = positionOf(src, m.index);
    out.push(
      violation(
        'L5',
        file.path,
        line,
        column,
        `'${m[1]}' reached through globalThis outside src/cli${allowedForm === undefined ? '' : ' (this file may only read process?.env)'}`,
      ),
    );
  }
}

function describe(path: string): string {
  const layer = layerOf(path);
  if (layer === 'entry') return 'the package entry';
  if (layer === 'genalloc' && !GENALLOC_MACHINE_USERS.has(path)) return 'genalloc (core)';
  return layer ?? path;
}

function violation(
  rule: string,
  file: string,
  line: number,
  column: number,
  text: string,
): Violation {
  return {
    rule,
    file,
    line,
    column,
    message: `${file}:${line}:${column} - error ${rule}: ${text}`,
  };
}
