#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `kmem` executable (package.json "bin"): run the command line on this process's
 * arguments and set its exit code. The work is in run.ts, which tests can call in-process.
 *
 * Kernel: none (kmem's command line).
 */

import process from 'node:process';
import { processOutput } from './out.js';
import { run } from './run.js';

const out = processOutput();
const tty = process.stderr.isTTY === true;
process.exitCode = run(process.argv.slice(2), out, {
  out,
  stderrIsTTY: tty,
  writeProgress: tty ? (text) => void process.stderr.write(`\r\x1b[2K${text}`) : null,
  cwd: process.cwd(),
});
