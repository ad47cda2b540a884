// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-tree addresses: cell counts, `reg` decoding and translation of a bus address to a
 * CPU physical address through the `ranges` of the parent buses.
 *
 * Kernel: drivers/of/base.c of_bus_n_addr_cells(), of_bus_n_size_cells();
 * drivers/of/address.c of_get_address(), __of_translate_address(), of_translate_one(),
 * of_bus_default_map(), of_bus_default_translate(); include/linux/of.h of_read_number(),
 * drivers/of/of_private.h OF_ROOT_NODE_{ADDR,SIZE}_CELLS_DEFAULT; v6.8.
 *
 * Translation walks up one bus at a time. A device's `reg` is in its parent bus's format
 * (the parent's #address-cells / #size-cells). Each `ranges` entry of a bus node B maps a
 * window of B's children's space into B's parent's space:
 *
 *     ranges = < child-address   parent-address   size >
 *                B's #address-c  B's parent's #a  B's #size-cells
 *
 * An address `a` with child ≤ a < child + size becomes parent + (a - child). An empty
 * `ranges;` maps 1:1; a bus without `ranges` cannot be translated through. The walk stops
 * at the root, whose own `ranges` is never used (the root's space is the CPU's).
 *
 * Numbers: cells are combined with float arithmetic (never 32-bit operators, HOUSE-STYLE
 * §3.5). Like of_read_number(), which keeps the low 64 bits, a value of more than two cells
 * keeps its last two; a result above 2^53 - 1 is a RangeError, since a JavaScript number
 * cannot hold it exactly.
 *
 * DEVIATION: the cell-count defaults are the kernel's (1 and 1, of_private.h), not the
 * devicetree specification's (2 and 1); real DTS files set both on the root. Only the
 * default bus is implemented: no PCI (3-cell, flag-matched) or ISA bus translation, and
 * no of_empty_ranges_quirk().
 */

import type { DeviceNode, OfOut } from './device-node.js';

/** A `reg` entry: a bus address and a size in bytes. */
export interface RegEntry {
  readonly address: number;
  readonly size: number;
}

/** The failed-translation address, the kernel's `(u64)OF_BAD_ADDR`, as DESIGN.md's -1. */
export const OF_BAD_ADDR = -1;
/** `#address-cells` when no ancestor has one (drivers/of/of_private.h). */
export const OF_ROOT_NODE_ADDR_CELLS_DEFAULT = 1;
/** `#size-cells` when no ancestor has one (drivers/of/of_private.h). */
export const OF_ROOT_NODE_SIZE_CELLS_DEFAULT = 1;
/** The most cells an address may take (OF_MAX_ADDR_CELLS). */
const OF_MAX_ADDR_CELLS = 4;
const TWO_32 = 4294967296;

/** Return the big-endian 32-bit word at byte `offset` of `bytes` (no bounds check). */
export function be32At(bytes: Uint8Array, offset: number): number {
  return (
    bytes[offset]! * 0x1000000 +
    bytes[offset + 1]! * 0x10000 +
    bytes[offset + 2]! * 0x100 +
    bytes[offset + 3]!
  );
}

/** Return `value` (0 ≤ value < 2^32) as 4 big-endian bytes. */
export function be32Bytes(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** Walk up from `np` (included) to the first node with a readable u32 `prop`. */
function inheritedCells(np: DeviceNode, prop: string, fallback: number): number {
  const out: OfOut<number> = { value: 0 };
  for (let n: DeviceNode | null = np; n !== null; n = n.parent) {
    if (n.readU32(prop, out) === 0) return out.value;
  }
  return fallback;
}

/**
 * Return the `#address-cells` in force on the bus `np` (its own, else its nearest ancestor's).
 *
 * Kernel: drivers/of/base.c of_bus_n_addr_cells()
 * @returns the count; OF_ROOT_NODE_ADDR_CELLS_DEFAULT when no node up to the root has one.
 */
export function readAddressCells(np: DeviceNode): number {
  return inheritedCells(np, '#address-cells', OF_ROOT_NODE_ADDR_CELLS_DEFAULT);
}

/**
 * Return the `#size-cells` in force on the bus `np` (its own, else its nearest ancestor's).
 *
 * Kernel: drivers/of/base.c of_bus_n_size_cells()
 * @returns the count; OF_ROOT_NODE_SIZE_CELLS_DEFAULT when no node up to the root has one.
 */
export function readSizeCells(np: DeviceNode): number {
  return inheritedCells(np, '#size-cells', OF_ROOT_NODE_SIZE_CELLS_DEFAULT);
}

/**
 * Read `n` cells at cell index `cell` of `value` as one number: the last two cells, as
 * of_read_number() keeps the low 64 bits.
 * @returns the number, or -1 when it is above 2^53 - 1.
 */
export function readNumber(value: Uint8Array, cell: number, n: number): number {
  let r = 0;
  for (let i = Math.max(0, n - 2); i < n; i++) r = r * TWO_32 + be32At(value, (cell + i) * 4);
  return Number.isSafeInteger(r) ? r : -1;
}

function tooBig(np: DeviceNode, what: string): RangeError {
  return new RangeError(`${np.path} ${what}: value is above 2^53 - 1`);
}

/**
 * Decode `np`'s `reg` with its parent bus's cell counts.
 *
 * Kernel: drivers/of/address.c of_get_address() (decoding only)
 * @returns the entries; [] without `reg`; a trailing partial entry is ignored.
 * @throws {RangeError} for an address cell count outside 1..4, a size cell count above 4,
 *   or a value above 2^53 - 1.
 */
export function readReg(np: DeviceNode): RegEntry[] {
  const p = np.property('reg');
  if (p === undefined) return [];
  const na = np.addressCells();
  const ns = np.sizeCells();
  if (na < 1 || na > OF_MAX_ADDR_CELLS || ns > OF_MAX_ADDR_CELLS) {
    throw new RangeError(`${np.path}: bad cell count #address-cells=${na} #size-cells=${ns}`);
  }
  const one = na + ns;
  const nr = Math.floor(p.value.length / 4 / one);
  const out: RegEntry[] = [];
  for (let i = 0; i < nr; i++) {
    const address = readNumber(p.value, i * one, na);
    const size = ns === 0 ? 0 : readNumber(p.value, i * one + na, ns);
    if (address < 0) throw tooBig(np, `reg[${i}] address`);
    if (size < 0) throw tooBig(np, `reg[${i}] size`);
    out.push({ address, size });
  }
  return out;
}

function countsOk(na: number, ns: number): boolean {
  return na >= 1 && na <= OF_MAX_ADDR_CELLS && ns > 0 && ns <= OF_MAX_ADDR_CELLS;
}

/**
 * Map `addr` through one bus node's `ranges` (of_translate_one() with the default bus).
 * @returns the address in the bus's parent space, or OF_BAD_ADDR.
 */
function translateOne(bus: DeviceNode, addr: number, na: number, ns: number, pna: number): number {
  const ranges = bus.property('ranges');
  if (ranges === undefined) return OF_BAD_ADDR; // "no ranges; cannot translate"
  if (ranges.value.length === 0) return addr; // empty ranges: 1:1
  const one = na + pna + ns;
  const nr = Math.floor(ranges.value.length / 4 / one);
  for (let i = 0; i < nr; i++) {
    const child = readNumber(ranges.value, i * one, na);
    const size = readNumber(ranges.value, i * one + na + pna, ns);
    const parent = readNumber(ranges.value, i * one + na, pna);
    if (child < 0 || size < 0 || parent < 0) throw tooBig(bus, `ranges[${i}]`);
    if (addr < child || addr >= child + size) continue;
    const result = parent + (addr - child);
    if (!Number.isSafeInteger(result)) throw tooBig(bus, `ranges[${i}] translation`);
    return result;
  }
  return OF_BAD_ADDR;
}

/**
 * Translate `addr`, an address on `np`'s parent bus, to a CPU physical address.
 *
 * Kernel: drivers/of/address.c __of_translate_address() with rprop "ranges"
 * @returns the CPU address; OF_BAD_ADDR (-1) for the root node, for bad cell counts
 *   (#address-cells outside 1..4, #size-cells 0), for a bus below the root without `ranges`,
 *   or when no `ranges` entry covers the address.
 * @throws {RangeError} when a `ranges` value or the result is above 2^53 - 1.
 */
export function translateAddress(np: DeviceNode, addr: number): number {
  let bus = np.parent;
  if (bus === null) return OF_BAD_ADDR;
  let na = np.addressCells();
  let ns = np.sizeCells();
  if (!countsOk(na, ns)) return OF_BAD_ADDR;
  let a = addr;
  for (let parent = bus.parent; parent !== null; bus = parent, parent = parent.parent) {
    const pna = bus.addressCells();
    const pns = bus.sizeCells();
    if (!countsOk(pna, pns)) return OF_BAD_ADDR;
    a = translateOne(bus, a, na, ns, pna);
    if (a === OF_BAD_ADDR) return OF_BAD_ADDR;
    na = pna;
    ns = pns;
  }
  return a;
}
