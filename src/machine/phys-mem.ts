// SPDX-License-Identifier: GPL-2.0-only
/*
 * Physical memory: the bytes behind every physical address of the machine, RAM and device
 * memory alike, stored sparsely. Memory is kept in 64 KiB blocks that get an ArrayBuffer
 * only when first written; an untouched block reads as zeros, so a machine may have many
 * GiB of RAM and pay only for what it writes.
 *
 * Kernel: there is no kernel counterpart: this is the hardware. The direct map (layout.ts,
 * page-table.ts) is how the kernel reaches it.
 *
 * Hot paths (dmapool's in-memory free list) use words()/readU64/writeU64, which index a
 * flat array of blocks with one division; everything else copies through read()/write().
 * Blocks past the flat range (device memory high above RAM) live in a Map.
 */

import { TWO_POW_32 } from '../base/units.js';

/** Bytes per storage block (16 pages). */
export const BLOCK_SIZE = 65536;
const BLOCK_WORDS = BLOCK_SIZE / 4;

/** Sparse physical memory. */
export class PhysMem {
  /** Blocks of the flat range [0, flatLimit), indexed by phys / BLOCK_SIZE. */
  readonly #flat: (Uint32Array | undefined)[];
  readonly #flatBlocks: number;
  readonly #far = new Map<number, Uint32Array>();
  #blocksInUse = 0;

  /** Physical memory whose flat (fast) range covers [0, flatLimit). */
  constructor(flatLimit: number) {
    this.#flatBlocks = Math.ceil(flatLimit / BLOCK_SIZE);
    // control-plane: one array sized once, filled so that V8 keeps it packed
    this.#flat = new Array<Uint32Array | undefined>(this.#flatBlocks).fill(undefined);
  }

  /** Number of 64 KiB blocks that hold bytes (for memory accounting in reports). */
  get blocksInUse(): number {
    return this.#blocksInUse;
  }

  /**
   * Return the words of the block holding `phys`, creating it (zero-filled) when `create`;
   * undefined for an untouched block when not creating. Index with
   * `(phys % BLOCK_SIZE) >>> 2`.
   */
  words(phys: number, create: boolean): Uint32Array | undefined {
    const b = Math.floor(phys / BLOCK_SIZE);
    let w = b < this.#flatBlocks ? this.#flat[b] : this.#far.get(b);
    if (w === undefined && create) {
      w = new Uint32Array(BLOCK_WORDS);
      if (b < this.#flatBlocks) this.#flat[b] = w;
      else this.#far.set(b, w);
      this.#blocksInUse++;
    }
    return w;
  }

  /**
   * The words of storage block `b` (covering [b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)),
   * created zero-filled when absent. The hot-path form of {@link words}: callers compute
   * `b = Math.floor(phys / BLOCK_SIZE)` and index with `(phys - b * BLOCK_SIZE) >>> 2`,
   * which avoids a floating-point `%` (a runtime call in V8 above 2^31).
   */
  block(b: number): Uint32Array {
    const w = b < this.#flatBlocks ? this.#flat[b] : undefined;
    return w !== undefined ? w : this.words(b * BLOCK_SIZE, true)!;
  }

  /** Read the little-endian 64-bit value at 8-byte-aligned `phys` (exact below 2^53). */
  readU64(phys: number): number {
    const w = this.words(phys, false);
    if (w === undefined) return 0;
    const i = (phys % BLOCK_SIZE) >>> 2;
    return w[i]! + w[i + 1]! * TWO_POW_32;
  }

  /** Write `value` (a non-negative safe integer, or -1 for all ones) at 8-byte-aligned `phys`. */
  writeU64(phys: number, value: number): void {
    const w = this.words(phys, true)!;
    const i = (phys % BLOCK_SIZE) >>> 2;
    if (value === -1) {
      w[i] = 0xffffffff;
      w[i + 1] = 0xffffffff;
      return;
    }
    w[i] = value % TWO_POW_32;
    w[i + 1] = Math.floor(value / TWO_POW_32);
  }

  /** Read the little-endian 64-bit value at any `phys`, aligned or not (exact below 2^53). */
  readU64Unaligned(phys: number): number {
    if (phys % 4 === 0 && (phys % BLOCK_SIZE) + 8 <= BLOCK_SIZE) return this.readU64(phys);
    let v = 0;
    for (let i = 7; i >= 0; i--) v = v * 256 + this.readU8(phys + i);
    return v;
  }

  /** Write a 64-bit value (a non-negative safe integer) at any `phys`, aligned or not. */
  writeU64Unaligned(phys: number, value: number): void {
    if (phys % 4 === 0 && (phys % BLOCK_SIZE) + 8 <= BLOCK_SIZE) {
      this.writeU64(phys, value);
      return;
    }
    const bytes = new Uint8Array(8);
    let v = value;
    for (let i = 0; i < 8; i++) {
      bytes[i] = v % 256;
      v = Math.floor(v / 256);
    }
    this.write(phys, bytes);
  }

  /** Read one byte. */
  readU8(phys: number): number {
    const w = this.words(phys, false);
    if (w === undefined) return 0;
    const o = phys % BLOCK_SIZE;
    return (w[o >>> 2]! >>> ((o & 3) * 8)) & 0xff;
  }

  /** Copy `len` bytes at `phys` into `dst` at `dstOffset`. */
  readInto(phys: number, dst: Uint8Array, dstOffset: number, len: number): void {
    let done = 0;
    while (done < len) {
      const p = phys + done;
      const o = p % BLOCK_SIZE;
      const n = Math.min(len - done, BLOCK_SIZE - o);
      const w = this.words(p, false);
      if (w === undefined) dst.fill(0, dstOffset + done, dstOffset + done + n);
      else dst.set(new Uint8Array(w.buffer, o, n), dstOffset + done);
      done += n;
    }
  }

  /** Return a copy of the `len` bytes at `phys`. */
  read(phys: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(phys, out, 0, len);
    return out;
  }

  /** Copy `src[srcOffset, srcOffset + len)` to `phys`. */
  write(phys: number, src: Uint8Array, srcOffset = 0, len = src.length - srcOffset): void {
    let done = 0;
    while (done < len) {
      const p = phys + done;
      const o = p % BLOCK_SIZE;
      const n = Math.min(len - done, BLOCK_SIZE - o);
      const w = this.words(p, true)!;
      new Uint8Array(w.buffer, o, n).set(src.subarray(srcOffset + done, srcOffset + done + n));
      done += n;
    }
  }

  /** Fill `len` bytes at `phys` with the byte `c` (zeroing untouched blocks costs nothing). */
  fill(phys: number, c: number, len: number): void {
    const byte = c & 0xff;
    let done = 0;
    while (done < len) {
      const p = phys + done;
      const o = p - Math.floor(p / BLOCK_SIZE) * BLOCK_SIZE; // no float % above 2^31
      const n = Math.min(len - done, BLOCK_SIZE - o);
      const w = this.words(p, byte !== 0);
      if (w !== undefined) {
        // whole words: fill the Uint32Array itself (no temporary view per call)
        if ((o & 3) === 0 && (n & 3) === 0) w.fill(byte * 0x01010101, o >>> 2, (o + n) >>> 2);
        else new Uint8Array(w.buffer, o, n).fill(byte);
      }
      done += n;
    }
  }
}
