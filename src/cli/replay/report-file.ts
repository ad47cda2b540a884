// SPDX-License-Identifier: GPL-2.0-only
/*
 * The HTML report of `kmem replay`: render the ReportModel (output.ts) with the report
 * layer's renderHtml and write it to a file.
 *
 * Kernel: none (kmem's report).
 */

import { writeFileSync } from 'node:fs';
import { renderHtml, type ReportModel } from '../../report/index.js';

/** Where the report goes when --out is not given (relative to the working directory). */
export const DEFAULT_REPORT = 'kmem-replay.html';

/**
 * Render the report and write it to `path`.
 * @returns nothing; the file holds one self-contained HTML page.
 * @throws {Error} when the file cannot be written (the message names the path and errno).
 */
export function writeReport(path: string, model: ReportModel): void {
  const html = renderHtml(model);
  try {
    writeFileSync(path, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot write the report to '${path}': ${code ?? (err instanceof Error ? err.message : String(err))}`,
    );
  }
}
