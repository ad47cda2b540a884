// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem cat <path>`: run a scenario (the built-in one unless --scenario names a file),
 * then print a simulated file as it reads at the end: /proc/vmallocinfo, /proc/meminfo,
 * /sys/devices/<device>/pools. An unknown path is one line listing the files there are.
 *
 * Kernel: mm/vmalloc.c vmalloc_info_show, fs/proc/meminfo.c, mm/dmapool.c pools_show.
 */

import { FileNotFound } from '../../machine/files.js';
import { knownFiles } from '../../report/collect/files.js';
import { COMMON_OPTIONS, EXIT_ERROR, EXIT_OK, parseCommandArgs, usageError } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { printable } from '../input-file.js';
import { runRequested, scenarioFailure, seedOption } from '../scenario/command-support.js';
import type { RunResult } from '../scenario/run-scenario.js';

const USAGE = 'usage: kmem cat <path> [--scenario FILE] [--seed N] [--json] [--quiet]';

const HELP = `${USAGE}

Run a scenario (the built-in one unless --scenario names a scenario file), then print one
of the simulated machine's files as it reads at the end of the run:
  /proc/vmallocinfo             every vmalloc area, its caller and pages, unpurged areas
  /proc/meminfo                 MemTotal, MemFree, VmallocTotal, VmallocUsed, ...
  /sys/devices/<device>/pools   the dmapools of a device ("poolinfo - 0.1")

Options:
  --scenario F  the scenario to run first (default: the built-in one)
  --seed N      seed of the scenario's random mix
  --json        print { "path", "text" } as JSON
  -q, --quiet   no progress bar
  -h, --help    print this help and exit

Exit status: 0 printed, 1 no such file (the line lists the files there are) or the
simulator refused the scenario, 2 a usage error or a malformed scenario file.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  scenario: { type: 'string' },
  seed: { type: 'string' },
} as const;

interface CatValues {
  help?: boolean;
  json?: boolean;
  quiet?: boolean;
  scenario?: string;
  seed?: string;
}

/**
 * Check the form of a `kmem cat` path before the scenario runs, and normalise it as the
 * kernel's path walk would: `//proc//meminfo` → `/proc/meminfo`, a trailing slash and `.`
 * dropped, `..` taking one directory off (never above `/`).
 * @returns `{ path }` normalised, or `{ problem }` for an empty, relative or unprintable
 *   path.
 */
export function catPath(given: string): { readonly path: string } | { readonly problem: string } {
  if (given === '') return { problem: 'the path is empty (e.g. /proc/vmallocinfo)' };
  if (/[^\x21-\x7e]/.test(given)) {
    return { problem: `'${given}': a simulated file's path has no spaces or control characters` };
  }
  if (!given.startsWith('/')) {
    return { problem: `'${given}' is not an absolute path (e.g. /proc/vmallocinfo)` };
  }
  const parts: string[] = [];
  for (const part of given.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return { path: `/${parts.join('/')}` };
}

/** The `cat` command. */
export const catCommand: Command = {
  name: 'cat',
  summary: 'run a scenario, then print /proc/vmallocinfo or another simulated file',
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<CatValues>(argv, OPTIONS, ctx.out, catCommand, 1);
    if (!parsed.ok) return parsed.code;
    const v = parsed.values;
    const given = parsed.positionals[0];
    if (given === undefined)
      return usageError(ctx.out, USAGE, 'which file? (e.g. /proc/vmallocinfo)', 'cat');
    const form = catPath(given);
    if ('problem' in form) return usageError(ctx.out, USAGE, form.problem, 'cat');
    const path = form.path;
    const seedArg = seedOption(v.seed, ctx.out, USAGE, 'cat');
    if ('code' in seedArg) return seedArg.code;
    const seed = seedArg.seed;
    let r: RunResult;
    try {
      r = runRequested(ctx, {
        file: v.scenario ?? null,
        seed,
        quiet: v.quiet === true,
        command: ['kmem', 'cat', ...argv].join(' '),
      });
    } catch (err) {
      return scenarioFailure(ctx.out, err);
    }
    let text: string;
    try {
      text = r.world.m.readFile(path);
    } catch (err) {
      if (!(err instanceof FileNotFound)) throw err;
      const there = knownFiles(r.world.m).join(', ');
      ctx.out.error(`kmem: ${printable(path)}: no such file (there are: ${there})`);
      return EXIT_ERROR;
    }
    if (v.json === true) ctx.out.print(JSON.stringify({ path, text }, null, 2));
    else for (const line of text.replace(/\n$/, '').split('\n')) ctx.out.print(line);
    return EXIT_OK;
  },
};
