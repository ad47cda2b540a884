// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read the project's TypeScript sources for the lint tests. The compiled tests run from
 * dist/test/…, so paths are resolved from this module's URL, not from the working directory.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative, sep } from 'node:path';
import type { SourceFile } from './architecture.js';

/** The project root (dist/test/lint/files.js → ../../..). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Return every `*.ts` file under `dir` (relative to the root), sorted, with its text. */
export function readSources(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const path = join(abs, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        out.push({
          path: relative(ROOT, path).split(sep).join('/'),
          text: readFileSync(path, 'utf8'),
        });
      }
    }
  };
  const start = join(ROOT, dir);
  try {
    statSync(start);
  } catch {
    return out;
  }
  walk(start);
  return out;
}
