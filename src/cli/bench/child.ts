// SPDX-License-Identifier: GPL-2.0-only
/*
 * The child process of `kmem bench`: `node --expose-gc child.js --child '<case>' [--quick]`
 * runs one kmem or kernel-scan case (cases.ts) and prints its JSON lines (runner.ts).
 *
 * Kernel: none (kmem's benchmarks).
 */

import process from 'node:process';
import { processOutput } from '../out.js';
import { runBenchCase } from './cases.js';
import { childMain } from './runner.js';

process.exitCode = childMain(process.argv.slice(2), processOutput(), runBenchCase);
