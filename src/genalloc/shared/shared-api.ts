// SPDX-License-Identifier: GPL-2.0-only
/*
 * The public types of the shared genpool (options, hooks, visitors) and the small pure
 * helpers of shared-pool.ts: the kernel's scan as the fallback search, the busy-chunk scan
 * of destroy, and the messages of gen_pool_free's BUGs.
 *
 * Kernel: lib/genalloc.c gen_pool_free_owner() (its BUG_ONs, with the values named) and
 * lib/bitmap.c bitmap_find_next_zero_area() (through bitmap/zero-area.ts).
 *
 * Data structure: none (types and functions of the values passed in).
 *
 * Invariants: none of its own. DEVIATION: none.
 */

import type { KernelLog } from '../../base/log.js';
import { hex } from '../../base/units.js';
import { bitmapFindNextZeroArea } from '../../bitmap/zero-area.js';
import type { SharedLayoutOptions } from './shared-admin.js';
import type { SharedGenPoolChunk } from './shared-chunk.js';
import type { SharedGenPoolCore } from './shared-core.js';

/** Hook points of {@link SharedGenPoolCore.setTestHook}. */
export const HOOK_WORD_CLAIMED = 1;
/** A claim has set all its bits; the index and avail are not yet updated. */
export const HOOK_CLAIMED = 2;
/** A free has cleared its bits; the index and avail are not yet updated. */
export const HOOK_RELEASED = 3;

/**
 * A test hook: called at `point` (HOOK_*) with the chunk index and a bit (the end of the
 * claimed part for HOOK_WORD_CLAIMED, the first bit otherwise). It may run other
 * operations (an interleaving) or throw (a crash: the operation stops there).
 */
export type SharedPoolHook = (point: number, chunk: number, bit: number) => void;

/** Options of {@link SharedGenPoolCore.create}. */
export interface SharedGenPoolOptions extends SharedLayoutOptions, AttachOptions {}

/** Options of {@link SharedGenPoolCore.attach}: what is local to one attached copy. */
export interface AttachOptions {
  /** @defaultValue null */
  readonly name?: string | null;
  /** Where this copy logs WARNs and BUGs. @defaultValue a new KernelLog */
  readonly log?: KernelLog;
}

/** Options of {@link SharedGenPoolCore.addMemory}. */
export interface SharedAddMemoryOptions {
  /** @defaultValue the next multiple of 2^32 not yet used by an addMemory chunk */
  readonly virt?: number;
  /** @defaultValue the chunk's byte offset in the pool's memory buffer */
  readonly phys?: number;
  /** @defaultValue null */
  readonly owner?: number | null;
  /** @defaultValue -1 */
  readonly nid?: number;
}

/** Called for each chunk by {@link SharedGenPoolCore.forEachChunk}. */
export type SharedChunkVisitor<D> = (
  pool: SharedGenPoolCore,
  chunk: SharedGenPoolChunk,
  data: D,
) => void;

/**
 * The kernel's first-fit scan of a chunk's shared bitmap from bit `from`.
 * @returns the start bit, or -1 when no run of nbits free bits starts at or after `from`.
 */
export function scanFrom(chunk: SharedGenPoolChunk, from: number, nbits: number): number {
  const i = bitmapFindNextZeroArea(chunk.bits, chunk.nbits, from, nbits, 0);
  return i + nbits <= chunk.nbits ? i : -1;
}

/**
 * Find the first allocated granule of a chunk (SC loads).
 * @returns its index, or -1 when the chunk is free.
 */
export function scanUsed(chunk: SharedGenPoolChunk): number {
  const words = chunk.words;
  for (let w = 0; w < words.length; w++) {
    const x = Atomics.load(words, w);
    if (x !== 0) return w * 32 + 31 - Math.clz32(x & -x);
  }
  return -1;
}

/** True for a non-negative safe integer. */
export function isByteCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** The BUG message of freeing an address that no chunk holds. */
export function notInPoolMessage(addr: number, size: number, destroyed: boolean): string {
  const gone = destroyed ? ' (destroyed)' : '';
  return `address ${hex(addr)} (size ${size}) is not in any chunk of the pool${gone}`;
}

/** The BUG message of freeing a range that runs past its chunk's end. */
export function pastEndMessage(addr: number, size: number, chunk: SharedGenPoolChunk): string {
  return `range ${hex(addr)}+${size} runs past the end ${hex(chunk.lastAddr)} of chunk ${hex(chunk.startAddr)}`;
}

/** The BUG message of freeing granules that are not all allocated. */
export function notAllocatedMessage(
  addr: number,
  size: number,
  chunk: SharedGenPoolChunk,
  start: number,
  nbits: number,
): string {
  return `freeing ${hex(addr)}+${size}: granules ${start}..${start + nbits - 1} of chunk ${hex(chunk.startAddr)} are not all allocated (double free?)`;
}
