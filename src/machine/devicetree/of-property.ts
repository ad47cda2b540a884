// SPDX-License-Identifier: GPL-2.0-only
/*
 * Property values and their decoders: the byte-level half of the of_property_read_*
 * family, on one property (or its absence). DeviceNode's readers look the property up by
 * name and call these.
 *
 * Kernel: drivers/of/property.c of_find_property_value_of_size(),
 * of_property_read_u32_index(), of_property_read_u64_index(),
 * of_property_count_elems_of_size(), of_property_read_string(),
 * of_property_read_string_helper(), of_property_match_string(); v6.8.
 *
 * A value holds the bytes of the flattened tree: cells are big-endian 32-bit words, strings
 * are NUL-terminated and a string list is the strings back to back; an empty (boolean)
 * property has a zero-length value. Failures use the kernel's negative errno values, and
 * results go to a caller-owned out-parameter `{ value }` ({@link OfOut}), as DESIGN.md's
 * conventions table does for a C `T *p`; `out.value` is written only on success.
 */

import { EILSEQ, EINVAL, ENODATA, EOVERFLOW, ERANGE } from '../../base/errno.js';
import { be32At } from './of-address.js';

export { ENODATA, EOVERFLOW, EILSEQ } from '../../base/errno.js';

/** A caller-owned out-parameter, the kernel's `T *out_value`. Written only on success. */
export interface OfOut<T> {
  value: T;
}

/** One property: its name and its value bytes, as the flattened tree holds them. */
export interface DeviceProperty {
  readonly name: string;
  readonly value: Uint8Array;
}

const TWO_32 = 4294967296;
const utf8 = new TextDecoder();

/**
 * Return the value of `p` if it holds at least `min` bytes.
 *
 * Kernel: drivers/of/property.c of_find_property_value_of_size() (no maximum)
 * @returns the bytes; -EINVAL when `p` is undefined; -EOVERFLOW when shorter than `min`.
 */
export function valueOfSize(p: DeviceProperty | undefined, min: number): Uint8Array | number {
  if (p === undefined) return -EINVAL;
  if (p.value.length < min) return -EOVERFLOW;
  return p.value;
}

/**
 * Read the `index`-th cell of `p` into `out`.
 * @returns 0; -EINVAL (no property); -EOVERFLOW (fewer than index + 1 cells).
 */
export function propReadU32(
  p: DeviceProperty | undefined,
  index: number,
  out: OfOut<number>,
): number {
  const v = valueOfSize(p, (index + 1) * 4);
  if (typeof v === 'number') return v;
  out.value = be32At(v, index * 4);
  return 0;
}

/**
 * Read the `index`-th 64-bit value (two cells, high first) of `p` into `out`.
 * @returns 0; -EINVAL; -EOVERFLOW; -ERANGE when the value is above 2^53 - 1.
 */
export function propReadU64(
  p: DeviceProperty | undefined,
  index: number,
  out: OfOut<number>,
): number {
  const v = valueOfSize(p, (index + 1) * 8);
  if (typeof v === 'number') return v;
  const value = be32At(v, index * 8) * TWO_32 + be32At(v, index * 8 + 4);
  if (!Number.isSafeInteger(value)) return -ERANGE;
  out.value = value;
  return 0;
}

/**
 * Count the elements of `elemSize` bytes in `p`.
 *
 * Kernel: drivers/of/property.c of_property_count_elems_of_size()
 * @returns the count; -EINVAL when `p` is undefined or its length is not a multiple of
 *   `elemSize`.
 */
export function propCountElems(p: DeviceProperty | undefined, elemSize: number): number {
  if (p === undefined) return -EINVAL;
  if (p.value.length % elemSize !== 0) return -EINVAL;
  return p.value.length / elemSize;
}

/**
 * Read every cell of `p` into a new array in `out`.
 * @returns the number of cells; -EINVAL (no property, or length not a multiple of 4).
 */
export function propReadU32Array(p: DeviceProperty | undefined, out: OfOut<number[]>): number {
  const n = propCountElems(p, 4);
  if (n < 0) return n;
  const cells: number[] = [];
  for (let i = 0; i < n; i++) cells.push(be32At(p!.value, i * 4));
  out.value = cells;
  return n;
}

/**
 * Read the first string of `p` into `out`.
 *
 * Kernel: drivers/of/property.c of_property_read_string()
 * @returns 0; -EINVAL (no property); -ENODATA (empty value); -EILSEQ (no NUL in the value).
 */
export function propReadString(p: DeviceProperty | undefined, out: OfOut<string>): number {
  if (p === undefined) return -EINVAL;
  if (p.value.length === 0) return -ENODATA;
  const nul = p.value.indexOf(0);
  if (nul < 0) return -EILSEQ;
  out.value = utf8.decode(p.value.subarray(0, nul));
  return 0;
}

/**
 * Decode the strings of a string list, from the first, until `stopAt` strings are decoded
 * (`stopAt` < 0: all of them), pushing each to `into`.
 *
 * Kernel: drivers/of/property.c of_property_read_string_helper()
 * @returns the number of strings decoded; -EINVAL (no property); -EILSEQ when a string
 *   before the stop has no NUL inside the value.
 */
export function propReadStringList(
  p: DeviceProperty | undefined,
  into: string[],
  stopAt: number,
): number {
  if (p === undefined) return -EINVAL;
  const v = p.value;
  let i = 0;
  for (let start = 0; start < v.length && i !== stopAt; i++) {
    const nul = v.indexOf(0, start);
    if (nul < 0) return -EILSEQ;
    into.push(utf8.decode(v.subarray(start, nul)));
    start = nul + 1;
  }
  return i;
}
