// SPDX-License-Identifier: GPL-2.0-only
/*
 * Colours of the report: a stable colour per owner name (the same owner has the same colour
 * in every picture of a report, and in every report with the same owners), fixed colours
 * for vmalloc area kinds and the states of memory (free, lazy, dirty, failure), a palette
 * for plot series, and the legend.
 *
 * Kernel: none (kmem's report).
 *
 * Owner colours: a report gives its owners distinct colours from the Tableau 20 palette
 * (less its greys), each at the slot its name hashes to or the next free one
 * (assignOwnerColours). Past the palette's 18 colours an owner gets its fallback colour: a 32-bit FNV-1a hash of
 * the name mixed by murmur3's finaliser, the hue being the hash mod 360; such colours may
 * come near each other, and the legend and hover texts name the owners. The hashes are
 * pure arithmetic on UTF-16 code units, so they are the same everywhere.
 */

import type { ReportModel, VmAreaKind } from '../model.js';
import { escapeHtml } from './html.js';

/** Colour of free space. */
export const FREE_COLOUR = '#e9edf1';
/** Outline of the largest free run. */
export const LARGEST_FREE_COLOUR = '#0a7d32';
/** Colour of failures (replay ticks, failure counts). */
export const FAILURE_COLOUR = '#d11a2a';
/** Colour of lazily freed areas awaiting purge. */
export const LAZY_COLOUR = '#b8a06a';
/** Colour of a guard page. */
export const GUARD_COLOUR = '#34383d';
/** Colour of a vmap block's dirty range. */
export const DIRTY_COLOUR = '#e2703a';
/** Colour of owner '' (unknown). */
export const UNKNOWN_OWNER_COLOUR = '#8e959c';

/**
 * Hash a string with 32-bit FNV-1a over its UTF-16 code units.
 *
 * @returns an unsigned 32-bit integer.
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Return the hashed colour of an owner: the same for a name everywhere, but two names may
 * get near hues; pictures use {@link assignOwnerColours}, which avoids that.
 *
 * @param owner - the owner's name; '' (unknown) is grey.
 * @returns a CSS colour (`hsl(h, s%, l%)` or a hex value).
 */
export function ownerColour(owner: string): string {
  if (owner === '') return UNKNOWN_OWNER_COLOUR;
  let h = fnv1a(owner);
  // murmur3's fmix32: spreads names that differ in one letter across the hues
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  const hue = h % 360;
  const sat = 55 + ((h >>> 9) % 3) * 10;
  const light = 42 + ((h >>> 11) % 3) * 8;
  return `hsl(${hue}, ${sat}%, ${light}%)`;
}

/** The Tableau 20 colours less its two greys (grey is the unknown owner), for owners. */
const OWNER_PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#dbdb8d',
  '#9edae5',
] as const;

/** How many owners of one report get distinct palette colours. */
export const OWNER_PALETTE_SIZE = OWNER_PALETTE.length;

/** The colour of each owner of a report. */
export type OwnerColours = (owner: string) => string;

/**
 * Give each owner of a report its colour: owner '' is grey; the others, in name order,
 * take the palette slot their name hashes to, or the next free one (so no two owners of
 * one report share a colour while the palette lasts); past the palette, or for a name not
 * in `owners`, the hashed colour of {@link ownerColour}.
 *
 * The result depends only on the set of names: the same owner has the same colour in every
 * picture of a report, and in every report with the same owners.
 *
 * @returns a function from owner name to CSS colour.
 */
export function assignOwnerColours(owners: Iterable<string>): OwnerColours {
  const names = [...new Set(owners)].filter((o) => o !== '').sort();
  const taken = new Array<boolean>(OWNER_PALETTE.length).fill(false);
  const byName = new Map<string, string>();
  for (const name of names) {
    if (byName.size >= OWNER_PALETTE.length) break;
    let slot = fnv1a(name) % OWNER_PALETTE.length;
    while (taken[slot]) slot = (slot + 1) % OWNER_PALETTE.length;
    taken[slot] = true;
    byName.set(name, OWNER_PALETTE[slot]!);
  }
  return (owner) => byName.get(owner) ?? ownerColour(owner);
}

/**
 * Give the owners of a report their colours: every owner named by the genpools' runs and
 * the replays' lives, through {@link assignOwnerColours}.
 *
 * @returns a function from owner name to CSS colour.
 */
export function reportOwnerColours(m: ReportModel): OwnerColours {
  const owners = new Set<string>();
  for (const p of m.genpools) for (const c of p.chunks) for (const r of c.runs) owners.add(r.owner);
  for (const p of m.replay) for (const l of p.lives) owners.add(l.owner);
  return assignOwnerColours(owners);
}

const KIND_COLOURS: Readonly<Record<VmAreaKind, string>> = {
  vmalloc: '#3b7dd8',
  vmap: '#7b52c7',
  ioremap: '#c2410c',
  vm_map_ram: '#65a30d',
  vmap_block: '#14b8a6',
  percpu: '#a16207',
  early: '#6b7280',
  other: '#db2777',
};

/** Areas kept in a vmap node's size-class pool (freed, reusable by the same size class). */
export const POOLED_COLOUR = '#9db4cc';

/** Every vmalloc area kind, in legend order. */
export const VM_AREA_KINDS: readonly VmAreaKind[] = [
  'vmalloc',
  'vmap',
  'ioremap',
  'vm_map_ram',
  'vmap_block',
  'percpu',
  'early',
  'other',
];

/**
 * Return the colour of a vmalloc area kind.
 *
 * @returns a CSS colour; an unknown kind gets the colour of `other`.
 */
export function kindColour(kind: VmAreaKind): string {
  return KIND_COLOURS[kind] ?? KIND_COLOURS.other;
}

const SERIES_PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
] as const;

/**
 * Return the colour of the i-th series of a plot.
 *
 * @returns a CSS colour; the palette repeats after eight series.
 */
export function seriesColour(i: number): string {
  return SERIES_PALETTE[i % SERIES_PALETTE.length]!;
}

/** One legend entry: a swatch colour, a label, and an optional CSS class for the swatch. */
export interface LegendItem {
  readonly colour: string;
  readonly label: string;
  /** Extra class for the swatch (`hatch` draws it striped). */
  readonly swatch?: string;
}

/**
 * Render a legend as an HTML list of colour swatches.
 *
 * @returns a `<ul class="kmem-legend">`, or '' for no items.
 */
export function renderLegend(items: readonly LegendItem[], cls = ''): string {
  if (items.length === 0) return '';
  const lis = items.map(
    (it) =>
      `<li><span class="kmem-swatch${it.swatch !== undefined ? ` ${it.swatch}` : ''}" style="background:${it.colour}"></span>${escapeHtml(it.label)}</li>`,
  );
  return `<ul class="kmem-legend${cls === '' ? '' : ` ${cls}`}">${lis.join('')}</ul>\n`;
}

/**
 * Build the legend of owners: one entry per distinct owner, sorted by name ('' as unknown),
 * in the report's owner colours.
 *
 * @returns the legend items.
 */
export function ownerLegend(owners: Iterable<string>, colours: OwnerColours): LegendItem[] {
  const names = [...new Set(owners)].sort();
  return names.map((o) => ({ colour: colours(o), label: o === '' ? '(unknown owner)' : o }));
}
