// SPDX-License-Identifier: GPL-2.0-only
/*
 * A parser for /proc/vmallocinfo as a real Linux machine prints it, for `kmem replay
 * --vmallocinfo`: one entry per line, with its range, size, caller, page count, physical
 * address, the flag words, the per-node page counts, and what kind of area it is.
 *
 * Kernel: mm/vmalloc.c vmalloc_info_show, show_numa_info, show_purge_info (the format of
 * KERNEL-SPEC §3.13; src/vmalloc/vmallocinfo.ts prints the same format for kmem's machine).
 *
 * Line format ("%pK" prints 16 hex digits after 0x, sign-extended on x86-64):
 *
 *   0xffffc90000000000-0xffffc90000005000   20480 start_kernel+0x1a/0x40 pages=4 vmalloc N0=4
 *   <start>           -<end>               <size> [caller [\[module\]]] [pages=N] [phys=0x..]
 *                                                 [ioremap] [sparse] [vmalloc] [vmap] [user]
 *                                                 [dma-coherent] [vpages] [N<node>=<pages>]...
 *   0x...-0x...  4194304 vm_map_ram          a vm_map_ram area or vmap block (no vm_struct)
 *   0x...-0x...    8192 unpurged vm_area     a lazily freed area awaiting purge
 *
 * Addresses are parsed to kmem's 48-bit numbers (machine/layout.ts parseKaddr): the 16
 * sign-extension bits are dropped, and an address that is not in the kernel half
 * (>= 2^47) — a hashed or zeroed %pK of an unprivileged reader — is an error.
 *
 * Invariants of an accepted entry:
 *   P1: start < end, both multiples of PAGE_SIZE (vmap areas are page-granular);
 *   P2: size == end - start (the file's size column includes the guard page).
 */

import { PAGE_SIZE } from '../../base/units.js';
import { parseKaddr } from '../../machine/layout.js';
import type { VmAreaKind } from '../../report/model.js';
import { InputError } from './trace.js';

/** One line of /proc/vmallocinfo. */
export interface VmInfoEntry {
  readonly line: number;
  /** [start, end) as 48-bit numbers. */
  readonly start: number;
  readonly end: number;
  readonly size: number;
  /** A lazily freed area ("unpurged vm_area"). */
  readonly unpurged: boolean;
  readonly kind: VmAreaKind;
  /** The caller as printed (symbol+off/len, a module suffix kept), '' when none. */
  readonly caller: string;
  /** pages=, 0 when absent. */
  readonly pages: number;
  /** phys= as a number, -1 when absent. */
  readonly phys: number;
  /** The flag words in file order (ioremap, vmalloc, vmap, user, ...). */
  readonly flags: readonly string[];
  /** N<node>=<pages>: pages per NUMA node. */
  readonly nodes: readonly { readonly node: number; readonly pages: number }[];
  /** True when the last page is a guard page, as far as the line tells (see guessGuard). */
  readonly guard: boolean;
}

/** The flag words vmalloc_info_show prints. */
export const VMINFO_FLAGS: readonly string[] = [
  'ioremap',
  'sparse',
  'vmalloc',
  'vmap',
  'user',
  'dma-coherent',
  'vpages',
];

const RANGE = /^0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\s+(\d+)(?:\s+(.*))?$/;

/**
 * Tell whether `text` looks like /proc/vmallocinfo: its first line that is not blank is
 * an address range followed by a size.
 * @returns true for a snapshot, false otherwise (a trace, an empty file).
 */
export function looksLikeVmallocinfo(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    return RANGE.test(line);
  }
  return false;
}

function address(text: string, line: number): number {
  const a = parseKaddr(`0x${text}`);
  if (Number.isNaN(a)) {
    throw new InputError(
      line,
      `0x${text}: not a 48-bit kernel address (the 16 top bits must all be 0 or 1; 5-level paging is not modelled)`,
    );
  }
  if (a < 2 ** 47) {
    throw new InputError(
      line,
      `0x${text} is not a kernel address: the file was read without privilege (kptr_restrict hides or hashes %pK); read it as root`,
    );
  }
  return a;
}

/** The kind of a vm_struct area, from its flags and caller. */
function kindOf(flags: readonly string[], caller: string): VmAreaKind {
  if (flags.includes('ioremap')) return 'ioremap';
  if (caller.startsWith('pcpu_get_vm_areas') || caller.startsWith('pcpu_')) return 'percpu';
  if (flags.includes('vmalloc')) return 'vmalloc';
  if (flags.includes('vmap')) return 'vmap';
  return 'other';
}

/**
 * Whether a vm_struct area ends in a guard page. The file does not print VM_NO_GUARD, so:
 * with pages=N, a guard exists when size > N pages; without pages=, percpu areas
 * (pcpu_get_vm_areas, no guard) have none and every other vm_struct area has one.
 */
function guessGuard(kind: VmAreaKind, size: number, pages: number): boolean {
  if (pages > 0) return size > pages * PAGE_SIZE;
  return kind !== 'percpu';
}

/** Split the words after the size into caller, pages, phys, flags and nodes. */
function parseTail(
  words: readonly string[],
  line: number,
): {
  caller: string;
  pages: number;
  phys: number;
  flags: string[];
  nodes: { node: number; pages: number }[];
} {
  let i = 0;
  let caller = '';
  const isField = (w: string): boolean =>
    VMINFO_FLAGS.includes(w) || /^(pages|phys)=/.test(w) || /^N\d+=/.test(w);
  if (words.length > 0 && !isField(words[0]!)) {
    caller = words[0]!;
    i = 1;
    if (i < words.length && /^\[.*\]$/.test(words[i]!)) caller += ` ${words[i++]!}`;
  }
  let pages = 0;
  let phys = -1;
  const flags: string[] = [];
  const nodes: { node: number; pages: number }[] = [];
  for (; i < words.length; i++) {
    const w = words[i]!;
    let m: RegExpExecArray | null;
    if (VMINFO_FLAGS.includes(w)) flags.push(w);
    else if ((m = /^pages=(\d+)$/.exec(w)) !== null) pages = Number(m[1]);
    else if ((m = /^phys=(?:0x)?([0-9a-fA-F]{1,16})$/.exec(w)) !== null)
      phys = physValue(m[1]!, line);
    else if ((m = /^N(\d+)=(\d+)$/.exec(w)) !== null)
      nodes.push({ node: Number(m[1]), pages: Number(m[2]) });
    else
      throw new InputError(
        line,
        `unexpected '${w}' (expected pages=, phys=, N<node>=, or one of ${VMINFO_FLAGS.join(', ')})`,
      );
  }
  return { caller, pages, phys, flags, nodes };
}

function physValue(digits: string, line: number): number {
  const v = Number.parseInt(digits, 16);
  if (!Number.isSafeInteger(v)) throw new InputError(line, `phys=0x${digits} is past 2^53`);
  return v;
}

/** Parse one non-blank line. */
function parseLine(text: string, line: number): VmInfoEntry {
  const m = RANGE.exec(text);
  if (m === null)
    throw new InputError(
      line,
      `not a vmallocinfo line (expected 0x<start>-0x<end> <size> ...): '${text.slice(0, 60)}'`,
    );
  const start = address(m[1]!, line);
  const end = address(m[2]!, line);
  const size = Number(m[3]);
  if (!(end > start)) throw new InputError(line, `empty or reversed range (end <= start)`);
  if (start % PAGE_SIZE !== 0 || end % PAGE_SIZE !== 0)
    throw new InputError(
      line,
      `range is not page-aligned (vmap areas are whole ${PAGE_SIZE}-byte pages)`,
    );
  if (size !== end - start)
    throw new InputError(line, `size ${size} does not match the range (${end - start} bytes)`);
  const tail = (m[4] ?? '').trim();
  const base = { line, start, end, size, pages: 0, phys: -1, flags: [], nodes: [] };
  if (tail === 'unpurged vm_area')
    return { ...base, unpurged: true, kind: 'other', caller: '', guard: false };
  if (tail === 'vm_map_ram')
    return { ...base, unpurged: false, kind: 'vm_map_ram', caller: '', guard: false };
  const t = parseTail(tail === '' ? [] : tail.split(/\s+/), line);
  if (t.pages * PAGE_SIZE > size) {
    throw new InputError(
      line,
      `pages=${t.pages} is more than the area holds (${size / PAGE_SIZE} pages of ${PAGE_SIZE} bytes)`,
    );
  }
  const kind = kindOf(t.flags, t.caller);
  return {
    line,
    start,
    end,
    size,
    unpurged: false,
    kind,
    ...t,
    guard: guessGuard(kind, size, t.pages),
  };
}

/**
 * Parse the text of a /proc/vmallocinfo snapshot.
 *
 * @returns the entries in file order (the kernel groups them by vmap node, so they need
 *   not be sorted by address).
 * @throws {InputError} at the first malformed line, with its line number (P1, P2, an
 *   unknown word, a hidden address), or for a file with no line at all.
 */
export function parseVmallocinfo(text: string): VmInfoEntry[] {
  const out: VmInfoEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === '') continue;
    out.push(parseLine(t, i + 1));
  }
  if (out.length === 0)
    throw new InputError(0, 'no area in the file (an empty /proc/vmallocinfo?)');
  return out;
}
