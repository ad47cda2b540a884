// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `kmem run` and `kmem cat` share: reading --seed, loading the named or built-in
 * scenario, running it under a progress bar, and turning its errors into one line and an
 * exit status (2 for a malformed or invalid scenario file, 1 when the simulator refuses
 * it or a kernel BUG stops the workload).
 *
 * Kernel: none (kmem's command line).
 */

import { EXIT_ERROR, errorLine, usageError } from '../args.js';
import type { CliContext } from '../command.js';
import { printable } from '../input-file.js';
import type { Output } from '../out.js';
import { Progress } from '../progress.js';
import { ScenarioError, SimulationError } from './errors.js';
import { defaultScenarioPath, loadScenario } from './load.js';
import { runScenario, type RunResult } from './run-scenario.js';
import { MAX_SEED } from './schema.js';

/**
 * Parse a --seed value: a decimal or 0x-hex integer in 1..2^32-1.
 * @returns the seed, or null when the text is not one.
 */
export function parseSeed(text: string): number | null {
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t)
    ? Number.parseInt(t.slice(2), 16)
    : /^\d+$/.test(t)
      ? Number(t)
      : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_SEED ? n : null;
}

/**
 * Read the --seed option of `command`: absent is null (the scenario's own seed); a bad
 * value is a usage error, printed.
 * @returns `{ seed }`, or `{ code }` with the exit status (2) after printing the problem.
 */
export function seedOption(
  text: string | undefined,
  out: Output,
  usage: string,
  command: string,
): { readonly seed: number | null } | { readonly code: number } {
  if (text === undefined) return { seed: null };
  const seed = parseSeed(text);
  if (seed !== null) return { seed };
  return {
    code: usageError(out, usage, `--seed '${text}' is not an integer in 1..${MAX_SEED}`, command),
  };
}

/**
 * Print the one line of a failed scenario.
 * @returns its exit status: 2 for ScenarioError, 1 otherwise.
 */
export function scenarioFailure(out: Output, err: unknown): number {
  if (err instanceof ScenarioError || err instanceof SimulationError) {
    out.error(`kmem: ${printable(err.message)}`);
    return err.exitCode;
  }
  out.error(errorLine(err));
  return EXIT_ERROR;
}

/** What to run. */
export interface ScenarioRequest {
  /** The scenario file, or null for the built-in one. */
  readonly file: string | null;
  readonly seed: number | null;
  readonly quiet: boolean;
  /** The command line, for the report. */
  readonly command: string;
}

/**
 * Load and run a scenario, with a progress bar on a terminal.
 * @returns the run. @throws {ScenarioError} or {SimulationError} (see scenarioFailure).
 */
export function runRequested(ctx: CliContext, req: ScenarioRequest): RunResult {
  const scenario = loadScenario(req.file ?? defaultScenarioPath(), ctx.cwd);
  const w = scenario.workload;
  const total = w.kind === 'script' ? w.ops.length : w.mix.steps;
  const bar = new Progress(ctx, `kmem: ${scenario.name}`, total, req.quiet);
  try {
    return runScenario(scenario, {
      command: req.command,
      ...(req.seed === null ? {} : { seed: req.seed }),
      progress: (done) => bar.update(done),
    });
  } finally {
    bar.end();
  }
}
