// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text formatting for the CLI: sizes (the report's one byte formatter), ratios and aligned
 * tables.
 *
 * Kernel: none (kmem's command line).
 *
 * Addresses are printed with base/units hex() — the same 48-bit form as the numbers in code
 * and in kmem's kernel messages.
 */

/**
 * Format a byte count: kmem's one byte formatter (the report's formatBytes), `N B` below
 * 1 KiB, else KiB, MiB, GiB, TiB or PiB with one decimal unless exact.
 * @returns the text; a non-finite number as String(n).
 */
export { formatBytes } from '../report/render/html.js';

/**
 * Format a ratio in [0, 1] as a percentage with one decimal (`37.5%`).
 * @returns the text (never fails; NaN gives `NaN%`).
 */
export function formatPercent(x: number): string {
  return `${(Math.round(x * 1000) / 10).toFixed(1)}%`;
}

/** Column alignment of {@link formatTable}. */
export type Align = 'left' | 'right';

/**
 * Lay out rows under a header in columns separated by two spaces.
 * @returns the lines, header first, without trailing spaces.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[],
): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) =>
        align[c] === 'right' ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
