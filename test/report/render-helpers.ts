// SPDX-License-Identifier: GPL-2.0-only
/*
 * Small readers of the renderer's output for the report tests: find SVG blocks by class,
 * list elements with their attributes, read the JSON island back. Regex based: the
 * renderer writes one element per tag with double-quoted attributes, which these rely on.
 *
 * Kernel: none (kmem's report).
 */

/** Count the matches of a global regex in a text. */
export function count(text: string, re: RegExp): number {
  return (text.match(re) ?? []).length;
}

/** Return every `<svg …>…</svg>` block whose class attribute is exactly `cls`. */
export function svgBlocks(html: string, cls: string): string[] {
  const out: string[] = [];
  const re = /<svg\b[^>]*\bclass="([^"]*)"[^>]*>[\s\S]*?<\/svg>/g;
  for (let m = re.exec(html); m !== null; m = re.exec(html)) if (m[1] === cls) out.push(m[0]);
  return out;
}

/** An element found in markup: its tag and its attributes (values still escaped). */
export interface Element {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string>>;
}

/** Return the `tag` elements whose class list contains `cls`, in document order. */
export function elements(markup: string, tag: string, cls: string): Element[] {
  const out: Element[] = [];
  const re = new RegExp(`<${tag}\\b([^>]*?)/?>`, 'g');
  for (let m = re.exec(markup); m !== null; m = re.exec(markup)) {
    const attrs: Record<string, string> = {};
    const ar = /([\w:-]+)="([^"]*)"/g;
    for (let a = ar.exec(m[1]!); a !== null; a = ar.exec(m[1]!)) attrs[a[1]!] = a[2]!;
    if ((attrs['class'] ?? '').split(' ').includes(cls)) out.push({ tag, attrs });
  }
  return out;
}

/** Read a numeric attribute. */
export function numAttr(e: Element, name: string): number {
  const v = e.attrs[name];
  if (v === undefined) throw new Error(`<${e.tag}> has no ${name}`);
  return Number(v);
}

/** Parse the page's `<script type="application/json" id="kmem-data">` back. */
export function dataIsland(html: string): unknown {
  const m = /<script type="application\/json" id="kmem-data">([\s\S]*?)<\/script>/.exec(html);
  if (m === null) throw new Error('no kmem-data island');
  return JSON.parse(m[1]!);
}
