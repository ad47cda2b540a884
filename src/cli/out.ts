// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CLI's only way to print: line writers for stdout and stderr. Commands receive an
 * Output and never touch the process, so tests can run them in-process and read what they
 * printed (captureOutput), and the process writers stay in one place (processOutput).
 *
 * Kernel: none (kmem's command line).
 */

import process from 'node:process';

/** Where a command prints: one call per line, without the trailing newline. */
export interface Output {
  /** Print a line on standard output. */
  print(line: string): void;
  /** Print a line on standard error. */
  error(line: string): void;
}

/** An Output that keeps the lines, for tests. */
export interface CapturedOutput extends Output {
  readonly stdout: string[];
  readonly stderr: string[];
}

/**
 * An Output that collects lines in memory.
 * @returns a new CapturedOutput with empty stdout and stderr (never fails).
 */
export function captureOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    print: (line) => void stdout.push(line),
    error: (line) => void stderr.push(line),
  };
}

/**
 * The Output of this process. A closed pipe on stdout (`kmem | head`) ends the process
 * quietly instead of with an unhandled EPIPE error.
 * @returns the Output writing to process.stdout and process.stderr (never fails).
 */
export function processOutput(): Output {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    print: (line) => void process.stdout.write(`${line}\n`),
    error: (line) => void process.stderr.write(`${line}\n`),
  };
}
