// SPDX-License-Identifier: GPL-2.0-only
/*
 * The HTML report of `kmem replay`: its default file name. The path is checked before the
 * replay and written after it by ../report-out.ts, as `kmem run` does.
 *
 * Kernel: none (kmem's report).
 */

/** Where the report goes when --out is not given (relative to the working directory). */
export const DEFAULT_REPORT = 'kmem-replay.html';
