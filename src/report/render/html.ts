// SPDX-License-Identifier: GPL-2.0-only
/*
 * HTML text helpers for the report renderer: escaping, number and size formatting that is
 * the same on every run, page sections, tables and <pre> blocks, and the JSON island that
 * carries the model inside the page.
 *
 * Kernel: none (kmem's report).
 *
 * Every string that comes from the model goes through escapeHtml() before it reaches the
 * page; the renderers build HTML by concatenating the results of these helpers, never by
 * interpolating raw model text.
 */

import type { TableModel } from '../model.js';
import { hex } from '../../base/units.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escape text for HTML element content and for quoted attribute values.
 *
 * @param text - any string from the model.
 * @returns the text with `& < > " '` replaced by entities; '' stays ''.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * Serialise a value as JSON that is safe inside a `<script type="application/json">`.
 *
 * `<` becomes `\u003c`, so no `</script>` or `<!--` can end or confuse the island, and the
 * line separators U+2028/U+2029 are escaped too; JSON.parse gives the value back unchanged.
 *
 * @returns the JSON text.
 */
export function jsonIsland(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Format a coordinate for SVG: at most two decimals, no exponent, `-0` printed as `0`.
 *
 * @returns a decimal string such as `12.5`.
 */
export function num(x: number): string {
  const r = Math.round(x * 100) / 100;
  return r === 0 ? '0' : String(r);
}

/** Start of the kernel half of the 48-bit address space (bit 47 set). */
const KERNEL_HALF = 2 ** 47;
/** End of the 48-bit address space. */
const VA_SPACE = 2 ** 48;

/**
 * Print an address as the kernel does: a kernel-half address (bit 47 set) sign-extended to
 * 64 bits (`0xffffc90000000000`), any other number as plain hex (`0x5c000000`).
 *
 * @returns the address text; -1 as `0xffffffffffffffff`.
 */
export function addrText(addr: number): string {
  if (addr >= KERNEL_HALF && addr < VA_SPACE) return `0xffff${addr.toString(16).padStart(12, '0')}`;
  return hex(addr);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Format a byte count for people — the one byte formatter of kmem (the report, and the
 * CLI's tables through cli/format.ts): `N B` below 1 KiB, else the largest binary unit
 * (KiB, MiB, GiB, TiB, PiB) with one decimal unless the value is whole: `512 B`, `4 KiB`,
 * `1.5 MiB`, `6.0 MiB` (6.04), `32 TiB`. A value that rounds up to 1024 of a unit is
 * shown in the next one.
 *
 * @returns the text; a non-finite number as String(n).
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${v} B`;
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (!Number.isInteger(v) && Number(v.toFixed(1)) >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${Number.isInteger(v) ? v : v.toFixed(1)} ${BYTE_UNITS[u]}`;
}

/**
 * Format a plain count compactly for axis labels: `950`, `12.5k`, `3M`.
 *
 * @returns the count as short text.
 */
export function formatCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${Number((n / 1e9).toFixed(2))}G`;
  if (a >= 1e6) return `${Number((n / 1e6).toFixed(2))}M`;
  if (a >= 1e4) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(Number(n.toFixed(2)));
}

/**
 * Format a fraction 0..1 as a percentage with one decimal (`37.5%`).
 *
 * @returns the percentage text.
 */
export function formatPercent(f: number): string {
  return `${(f * 100).toFixed(1)}%`;
}

/**
 * Wrap a page section: an `<section id>` with an `<h2>` heading.
 *
 * @param id - the section's id (also its anchor in the contents list); not escaped, so it
 *   must be a literal from the renderer.
 * @param title - the heading text (escaped).
 * @param body - HTML already built by the renderer.
 * @returns the section's HTML.
 */
export function section(id: string, title: string, body: string): string {
  return `<section id="${id}" class="kmem-section">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>\n`;
}

/**
 * Render one summary table with its title as caption.
 *
 * Cells that look numeric (digits, hex, sizes, percentages) are right-aligned.
 *
 * @returns a `<table class="kmem-table">`.
 */
export function renderTable(t: TableModel): string {
  const head = t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${isNumeric(c) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return (
    `<table class="kmem-table">\n<caption>${escapeHtml(t.title)}</caption>\n` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>\n`
  );
}

function isNumeric(cell: string): boolean {
  return /^\s*[-+]?(0x[0-9a-f]+|[\d.,]+\s*(%|[KMGTP]?i?B)?)\s*$/i.test(cell);
}

/**
 * Render text in a `<pre>` block (escaped), or the word "none" when it is empty.
 *
 * @param cls - a CSS class literal for the block.
 * @returns the `<pre>` element, or `<p class="kmem-none">none</p>`.
 */
export function preBlock(cls: string, text: string): string {
  if (text === '') return '<p class="kmem-none">none</p>';
  return `<pre class="${cls}">${escapeHtml(text)}</pre>`;
}

/**
 * Render a `<figure>` around a picture with a caption.
 *
 * @param svg - the picture's markup (already built).
 * @param caption - caption HTML (already escaped by the caller).
 * @param captionFirst - put the caption above the picture (plots: title and legend first).
 * @returns the figure's HTML.
 */
export function figure(svg: string, caption: string, captionFirst = false): string {
  const cap = `<figcaption>${caption}</figcaption>\n`;
  const pic = `<div class="kmem-scroll">${svg}</div>\n`;
  return `<figure class="kmem-figure">\n${captionFirst ? cap + pic : pic + cap}</figure>\n`;
}
