// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading a scenario file: the text from disk (a regular file of at most 64 MiB,
 * input-file.ts), JSON with positions (json-source.ts), the
 * checks (schema.ts), and a `dtsFile` relative to the scenario. The built-in scenario is
 * scenarios/default.json at the package root, found from this module's own URL
 * (dist/src/cli/scenario/load.js → ../../../../scenarios/default.json).
 *
 * Kernel: none (kmem's command line).
 */

import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputFileError, readInputFile } from '../input-file.js';
import { ScenarioError } from './errors.js';
import { JsonSyntaxError, parseJsonDocument } from './json-source.js';
import { checkScenario } from './schema.js';
import type { Scenario } from './types.js';

/** @returns the built-in scenario's path (scenarios/default.json of the package). */
export function defaultScenarioPath(): string {
  return fileURLToPath(new URL('../../../../scenarios/default.json', import.meta.url));
}

/** How a path is shown in messages: as given, or relative to `cwd` when inside it. */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

function readText(path: string, shown: string): string {
  try {
    return readInputFile(path);
  } catch (err) {
    if (err instanceof InputFileError) throw new ScenarioError(`${shown}: ${err.message}`);
    throw err;
  }
}

/**
 * Parse and check scenario text.
 * @param shown the file name messages use; `baseDir` resolves a `dtsFile`.
 * @returns the scenario. @throws {ScenarioError} naming `shown`, the line and the problem.
 */
export function parseScenario(
  text: string,
  shown: string,
  baseDir: string,
  cwd = baseDir,
): Scenario {
  let doc;
  try {
    doc = parseJsonDocument(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new ScenarioError(`${shown}:${err.line}:${err.col}: ${err.reason}`);
    }
    throw err;
  }
  return checkScenario(doc, shown, (rel) => {
    const path = resolve(baseDir, rel);
    const fileName = shownPath(path, cwd);
    return { text: readInputFile(path), fileName };
  });
}

/**
 * Read and check the scenario file at `path` (relative to `cwd`).
 * @returns the scenario. @throws {ScenarioError} for a missing, malformed or invalid file.
 */
export function loadScenario(path: string, cwd: string): Scenario {
  const abs = resolve(cwd, path);
  const shown = shownPath(abs, cwd);
  return parseScenario(readText(abs, shown), shown, dirname(abs), cwd);
}
