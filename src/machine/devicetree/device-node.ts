// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-tree node model (struct device_node, struct property) and the property
 * readers drivers use (of_property_read_*, of_device_is_compatible, of_device_is_available,
 * of_n_addr_cells, of_n_size_cells).
 *
 * Kernel: include/linux/of.h (struct device_node, of_property_read_bool,
 * of_property_read_string_index), drivers/of/base.c (of_find_property,
 * __of_device_is_compatible, __of_device_is_available, of_n_addr_cells, of_n_size_cells),
 * drivers/of/property.c (the value decoders, in of-property.ts), drivers/of/address.c
 * (reg and translation, in of-address.ts), v6.8.
 *
 * A node owns its children in source order (an array, plus a map from full name for
 * lookups) and its properties in source order (an array, plus a map from name). A property
 * value holds the bytes of the flattened tree: cells are big-endian 32-bit words, strings are
 * NUL-terminated, an empty (boolean) property has a zero-length value.
 *
 * Readers that can fail use the kernel's return convention and a caller-owned out-parameter
 * `{ value }` ({@link OfOut}), as DESIGN.md's conventions table does for `T *p`: the return
 * value is 0 (or a count) on success and a negative errno on failure, and `out.value` is
 * written only on success.
 *
 * Invariants:
 *   N1: children[i].parent === this, and childMap.get(children[i].fullName) === children[i]
 *   N2: props and propMap hold the same properties; names are unique within a node
 *
 * DEVIATION: the kernel's of_property_read_u32() family returns -ENODATA for a property
 * whose value pointer is NULL. An unflattened FDT never has one (an empty property points to
 * zero bytes), and neither does this model, so an empty property gives -EOVERFLOW, exactly
 * as on a real board. readU64 returns -ERANGE for a value above 2^53 - 1, which a
 * JavaScript number cannot hold.
 */

import { EINVAL } from '../../base/errno.js';
import {
  be32At,
  readAddressCells,
  readReg,
  readSizeCells,
  translateAddress,
  type RegEntry,
} from './of-address.js';
import {
  EILSEQ,
  ENODATA,
  propCountElems,
  propReadString,
  propReadStringList,
  propReadU32,
  propReadU32Array,
  propReadU64,
  type DeviceProperty,
  type OfOut,
} from './of-property.js';

export { EILSEQ, ENODATA, EOVERFLOW } from './of-property.js';
export type { DeviceProperty, OfOut } from './of-property.js';
export {
  be32At,
  be32Bytes,
  OF_BAD_ADDR,
  OF_ROOT_NODE_ADDR_CELLS_DEFAULT,
  OF_ROOT_NODE_SIZE_CELLS_DEFAULT,
} from './of-address.js';
export type { RegEntry } from './of-address.js';

interface MutableProperty {
  readonly name: string;
  value: Uint8Array;
}

/**
 * A device-tree node: the kernel's `struct device_node`.
 *
 * Kernel: include/linux/of.h struct device_node; drivers/of/base.c, property.c.
 * Context: control plane; nodes are built by {@link parseDts} and not changed afterwards.
 */
export class DeviceNode {
  /** The node name without the unit address (`sram` for `sram@fe000000`), np->name. */
  readonly name: string;
  /** The name as written, with its unit address (`sram@fe000000`); '' for the root. */
  readonly fullName: string;
  /** The parent node, or null for the root. */
  readonly parent: DeviceNode | null;
  readonly #children: DeviceNode[] = [];
  readonly #childMap = new Map<string, DeviceNode>();
  readonly #props: MutableProperty[] = [];
  readonly #propMap = new Map<string, MutableProperty>();
  readonly #labels: string[] = [];

  /** Create a node; use {@link DeviceNode.addChild} to link a child into its parent. */
  constructor(fullName: string, parent: DeviceNode | null) {
    const at = fullName.indexOf('@');
    this.fullName = fullName;
    this.name = at < 0 ? fullName : fullName.slice(0, at);
    this.parent = parent;
  }

  /** The absolute path (`/soc/sram@fe000000`; `/` for the root), built on each call. */
  get path(): string {
    if (this.parent === null) return '/';
    let path = '';
    for (let n: DeviceNode | null = this; n !== null && n.parent !== null; n = n.parent) {
      path = `/${n.fullName}${path}`;
    }
    return path;
  }

  /** The children, in source order. */
  get children(): readonly DeviceNode[] {
    return this.#children;
  }

  /** The labels of this node (`sram` for `sram: sram@fe000000 { ... }`), in source order. */
  get labels(): readonly string[] {
    return this.#labels;
  }

  /**
   * The node's phandle: the value of its `phandle` (or else `linux,phandle`) property.
   * @returns the phandle, or 0 when the node has none.
   */
  get phandle(): number {
    const p = this.#propMap.get('phandle') ?? this.#propMap.get('linux,phandle');
    return p !== undefined && p.value.length === 4 ? be32At(p.value, 0) : 0;
  }

  /**
   * Return the child whose full name (`name@unit`) is `fullName`.
   * @returns the child, or null when there is none.
   */
  findChild(fullName: string): DeviceNode | null {
    return this.#childMap.get(fullName) ?? null;
  }

  /** @internal Append a new child (the parser checks the name is not taken). */
  addChild(fullName: string): DeviceNode {
    const child = new DeviceNode(fullName, this);
    this.#children.push(child);
    this.#childMap.set(fullName, child);
    return child;
  }

  /** @internal Unlink the child `fullName`; return it, or null when there is none. */
  removeChild(fullName: string): DeviceNode | null {
    const child = this.#childMap.get(fullName);
    if (child === undefined) return null;
    this.#childMap.delete(fullName);
    this.#children.splice(this.#children.indexOf(child), 1);
    return child;
  }

  /** @internal Add a label (no-op when the node has it already). */
  addLabel(label: string): void {
    if (!this.#labels.includes(label)) this.#labels.push(label);
  }

  /** @internal Set a property: replace the value in place, or append a new property. */
  setProperty(name: string, value: Uint8Array): DeviceProperty {
    const old = this.#propMap.get(name);
    if (old !== undefined) {
      old.value = value;
      return old;
    }
    const prop: MutableProperty = { name, value };
    this.#props.push(prop);
    this.#propMap.set(name, prop);
    return prop;
  }

  /** @internal Remove a property; return whether it existed. */
  removeProperty(name: string): boolean {
    const prop = this.#propMap.get(name);
    if (prop === undefined) return false;
    this.#propMap.delete(name);
    this.#props.splice(this.#props.indexOf(prop), 1);
    return true;
  }

  /** The properties, in source order. */
  properties(): readonly DeviceProperty[] {
    return this.#props;
  }

  /**
   * Find a property by name (case-sensitive, as of_prop_cmp).
   *
   * Kernel: drivers/of/base.c of_find_property()
   * @returns the property, or undefined when the node has none of that name.
   */
  property(name: string): DeviceProperty | undefined {
    return this.#propMap.get(name);
  }

  /**
   * Read the `index`-th 32-bit cell of a property.
   *
   * Kernel: drivers/of/property.c of_property_read_u32_index() (index 0: of_property_read_u32)
   * @param out - receives the cell on success.
   * @returns 0; -EINVAL when the property is missing; -EOVERFLOW when it holds fewer than
   *   `index + 1` cells (an empty property included, see DEVIATION in the file header).
   */
  readU32(name: string, out: OfOut<number>, index = 0): number {
    return propReadU32(this.#propMap.get(name), index, out);
  }

  /**
   * Read every 32-bit cell of a property.
   *
   * Kernel: of_property_count_u32_elems() + of_property_read_u32_array()
   * @param out - receives a new array of the cells on success ([] for an empty property).
   * @returns the number of cells; -EINVAL when the property is missing or its length is not
   *   a multiple of 4.
   */
  readU32Array(name: string, out: OfOut<number[]>): number {
    return propReadU32Array(this.#propMap.get(name), out);
  }

  /**
   * Read the `index`-th 64-bit value (two cells, high word first) of a property.
   *
   * Kernel: drivers/of/property.c of_property_read_u64(), of_property_read_u64_index()
   * @param out - receives the value on success.
   * @returns 0; -EINVAL when missing; -EOVERFLOW when shorter than 8 × (index + 1) bytes;
   *   -ERANGE when the value is above 2^53 - 1 (DEVIATION: JavaScript numbers).
   */
  readU64(name: string, out: OfOut<number>, index = 0): number {
    return propReadU64(this.#propMap.get(name), index, out);
  }

  /**
   * Count the elements of `elemSize` bytes in a property.
   *
   * Kernel: drivers/of/property.c of_property_count_elems_of_size()
   * @returns the count; -EINVAL when the property is missing or its length is not a multiple
   *   of `elemSize`.
   */
  countElemsOfSize(name: string, elemSize: number): number {
    return propCountElems(this.#propMap.get(name), elemSize);
  }

  /**
   * Read the first string of a property.
   *
   * Kernel: drivers/of/property.c of_property_read_string()
   * @param out - receives the string on success.
   * @returns 0; -EINVAL when missing; -ENODATA when the value is empty; -EILSEQ when the
   *   value holds no NUL.
   */
  readString(name: string, out: OfOut<string>): number {
    return propReadString(this.#propMap.get(name), out);
  }

  /**
   * Read the `index`-th string of a string-list property.
   *
   * Kernel: include/linux/of.h of_property_read_string_index()
   * @param out - receives the string on success.
   * @returns 0; -EINVAL when missing or `index` is not a non-negative integer; -ENODATA when
   *   the list has no `index`-th string; -EILSEQ when it, or a string before it, has no NUL.
   */
  readStringIndex(name: string, index: number, out: OfOut<string>): number {
    if (!Number.isInteger(index) || index < 0) return -EINVAL;
    const list: string[] = [];
    const rc = propReadStringList(this.#propMap.get(name), list, index + 1);
    if (rc < 0) return rc;
    if (rc <= index) return -ENODATA;
    out.value = list[index]!;
    return 0;
  }

  /**
   * Read every string of a string-list property.
   *
   * Kernel: of_property_count_strings() + of_property_read_string_array()
   * @param out - receives a new array of the strings on success.
   * @returns the number of strings; -EINVAL when missing; -ENODATA when there is none (an
   *   empty value); -EILSEQ when one has no NUL.
   */
  readStrings(name: string, out: OfOut<string[]>): number {
    const list: string[] = [];
    const rc = propReadStringList(this.#propMap.get(name), list, -1);
    if (rc < 0) return rc;
    if (rc === 0) return -ENODATA;
    out.value = list;
    return rc;
  }

  /**
   * Find `str` in a string-list property (exact, case-sensitive).
   *
   * Kernel: drivers/of/property.c of_property_match_string()
   * @returns its index; -EINVAL when missing; -ENODATA when absent from the list; -EILSEQ
   *   when a string before any match has no NUL.
   */
  matchString(name: string, str: string): number {
    const list: string[] = [];
    const rc = propReadStringList(this.#propMap.get(name), list, -1);
    if (rc < 0 && rc !== -EILSEQ) return rc;
    const index = list.indexOf(str);
    if (index >= 0) return index;
    return rc < 0 ? rc : -ENODATA;
  }

  /**
   * Report whether a property exists (a boolean property such as `pool;`).
   *
   * Kernel: include/linux/of.h of_property_read_bool()
   * @returns true when present (whatever its value), false when absent.
   */
  readBool(name: string): boolean {
    return this.#propMap.has(name);
  }

  /**
   * Report whether any entry of the `compatible` list equals `compat`, ignoring case.
   *
   * Kernel: drivers/of/base.c __of_device_is_compatible() (compatible only; of_compat_cmp
   * is strcasecmp)
   * @returns true on a match; false when none matches or there is no `compatible`.
   */
  isCompatible(compat: string): boolean {
    const list: string[] = [];
    propReadStringList(this.#propMap.get('compatible'), list, -1);
    const want = compat.toLowerCase();
    for (let i = 0; i < list.length; i++) if (list[i]!.toLowerCase() === want) return true;
    return false;
  }

  /**
   * Report whether the node is enabled: `status` absent, or "okay" or "ok".
   *
   * Kernel: drivers/of/base.c __of_device_is_available()
   * @returns true when available; false for any other status (e.g. "disabled").
   */
  isAvailable(): boolean {
    const p = this.#propMap.get('status');
    if (p === undefined) return true;
    const out: OfOut<string> = { value: '' };
    if (p.value.length === 0 || this.readString('status', out) !== 0) return false;
    return out.value === 'okay' || out.value === 'ok';
  }

  /**
   * The number of cells of an address in this node's `reg`: the `#address-cells` of the
   * nearest ancestor that has one, starting at the PARENT.
   *
   * Kernel: drivers/of/base.c of_n_addr_cells()
   * @returns the cell count; {@link OF_ROOT_NODE_ADDR_CELLS_DEFAULT} when no ancestor says.
   */
  addressCells(): number {
    return readAddressCells(this.parent ?? this);
  }

  /**
   * The number of cells of a size in this node's `reg` (parent's `#size-cells`, or the
   * nearest ancestor's).
   *
   * Kernel: drivers/of/base.c of_n_size_cells()
   * @returns the cell count; {@link OF_ROOT_NODE_SIZE_CELLS_DEFAULT} when no ancestor says.
   */
  sizeCells(): number {
    return readSizeCells(this.parent ?? this);
  }

  /**
   * Decode `reg` into (address, size) pairs with {@link DeviceNode.addressCells} and
   * {@link DeviceNode.sizeCells} cells each; addresses are bus addresses, untranslated.
   *
   * Kernel: drivers/of/address.c of_get_address() (the decoding part)
   * @returns the entries ([] when there is no `reg`); a trailing partial entry is ignored.
   * @throws {RangeError} when a value is above 2^53 - 1 or a cell count is above 4.
   */
  reg(): RegEntry[] {
    return readReg(this);
  }

  /**
   * Translate `addr`, an address on this node's bus (as in its `reg`), to a CPU physical
   * address through the `ranges` of every ancestor bus below the root.
   *
   * Kernel: drivers/of/address.c of_translate_address() (default bus only)
   * @returns the CPU address; -1 (OF_BAD_ADDR) when an ancestor bus below the root has no
   *   `ranges`, when no range covers the address, or for the root node itself.
   * @throws {RangeError} when a cell value is above 2^53 - 1.
   */
  translateAddress(addr: number): number {
    return translateAddress(this, addr);
  }
}
