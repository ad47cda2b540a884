// SPDX-License-Identifier: GPL-2.0-only
/*
 * The list of kmem's subcommands, in the order `kmem --help` shows them, and the one that
 * runs when no command is named.
 *
 * Kernel: none (kmem's command line).
 */

import type { Command } from '../command.js';
import { genpoolCommand } from './genpool.js';
import { runCommand } from './run.js';
import { catCommand } from './cat.js';
import { replayCommand } from './replay.js';
import { benchCommand } from './bench.js';
import { testVmallocCommand } from './test-vmalloc.js';
import { dmapoolTestCommand } from './dmapool-test.js';

/** Every subcommand. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  catCommand,
  genpoolCommand,
  benchCommand,
  testVmallocCommand,
  dmapoolTestCommand,
  replayCommand,
];

/** The command `kmem` runs with no command word. */
export const DEFAULT_COMMAND: Command = runCommand;
