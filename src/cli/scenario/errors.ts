// SPDX-License-Identifier: GPL-2.0-only
/*
 * The two ways a scenario can go wrong before its workload runs, each a one-line message
 * that names the file and line: the file is malformed or invalid (ScenarioError, exit 2),
 * or the simulator refuses what it asks for — an impossible machine, a pool the kernel
 * would not create (SimulationError, exit 1, with the simulator's own message).
 *
 * Kernel: none (kmem's command line).
 */

import { EXIT_ERROR, EXIT_USAGE } from '../args.js';

/** A malformed or invalid scenario file: `file:line: problem`. Exit status 2. */
export class ScenarioError extends Error {
  readonly exitCode = EXIT_USAGE;
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** The simulator refused the scenario (its message, after `file:line:`). Exit status 1. */
export class SimulationError extends Error {
  readonly exitCode = EXIT_ERROR;
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}
