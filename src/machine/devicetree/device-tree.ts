// SPDX-License-Identifier: GPL-2.0-only
/*
 * A parsed device tree: its root and the lookups the kernel offers over all nodes (by path
 * with aliases, by phandle, by compatible string) plus dtc's labels.
 *
 * Kernel: drivers/of/base.c of_find_node_opts_by_path(), __of_find_node_by_full_path(),
 * of_find_node_by_phandle(), of_find_compatible_node(), of_find_all_nodes();
 * drivers/of/property.c of_parse_phandle() (__of_parse_phandle_with_args with no
 * argument cells); v6.8.
 *
 * The phandle and label maps are built once, by the constructor, from the finished tree
 * (the parser never changes a tree after handing it out):
 *   T1: byPhandle.get(n.phandle) === n for every node n with a phandle
 *   T2: byLabel.get(l) === n for every label l of every node n
 *
 * DEVIATION: labels are dtc's, not the kernel's (which sees them only through
 * /__symbols__); findNodeByLabel is a convenience of this model.
 */

import type { DeviceNode, OfOut } from './device-node.js';

/**
 * Return every node of the subtree at `root`, depth-first, parents before children, in
 * source order. Iterative, so deep trees cannot overflow the stack.
 *
 * Kernel: drivers/of/base.c of_find_all_nodes() order (for one subtree)
 * @returns a new array, `root` first.
 */
export function walkNodes(root: DeviceNode): DeviceNode[] {
  const out: DeviceNode[] = [];
  const stack: DeviceNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    const kids = n.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}

/**
 * Find a node by a path relative to `start` (`/soc/sram@fe000000` from the root), comparing
 * each component with the full names of children.
 *
 * Kernel: drivers/of/base.c __of_find_node_by_full_path() (no aliases; see DeviceTree)
 * @returns the node (`start` itself for `/`); null for a path not starting with `/`, an
 *   empty component (`//`, a trailing `/`) or a missing node.
 */
export function lookupPath(start: DeviceNode, path: string): DeviceNode | null {
  if (!path.startsWith('/')) return null;
  if (path === '/') return start;
  let node: DeviceNode | null = start;
  let from = 1;
  while (node !== null && from <= path.length) {
    let end = path.indexOf('/', from);
    if (end < 0) end = path.length;
    if (end === from) return null;
    node = node.findChild(path.slice(from, end));
    from = end + 1;
  }
  return node;
}

/** A device tree, as returned by {@link parseDts}. */
export class DeviceTree {
  /** The root node, path `/`. */
  readonly root: DeviceNode;
  readonly #byPhandle = new Map<number, DeviceNode>();
  readonly #byLabel = new Map<string, DeviceNode>();

  /** Index the finished tree at `root` (T1, T2). */
  constructor(root: DeviceNode) {
    this.root = root;
    for (const n of walkNodes(root)) {
      if (n.phandle !== 0) this.#byPhandle.set(n.phandle, n);
      for (const label of n.labels) this.#byLabel.set(label, n);
    }
  }

  /**
   * Find a node by path: absolute (`/soc/sram@fe000000`, components compared with full
   * names), or starting with an alias of `/aliases` (`serial0`, `serial0/child`). Text after
   * a `:` (options) is ignored.
   *
   * Kernel: drivers/of/base.c of_find_node_opts_by_path()
   * @returns the node, or null when there is none (also for a trailing `/` or an unknown
   *   alias).
   */
  findNodeByPath(path: string): DeviceNode | null {
    const colon = path.indexOf(':');
    const p = colon < 0 ? path : path.slice(0, colon);
    if (p.startsWith('/')) return lookupPath(this.root, p);
    const slash = p.indexOf('/');
    const alias = slash < 0 ? p : p.slice(0, slash);
    const aliases = this.root.findChild('aliases');
    const target: OfOut<string> = { value: '' };
    if (aliases === null || aliases.readString(alias, target) !== 0) return null;
    if (!target.value.startsWith('/')) return null; // never follow alias to alias
    const np = lookupPath(this.root, target.value);
    if (np === null || slash < 0) return np;
    const rest = p.slice(slash);
    return rest === '/' ? null : lookupPath(np, rest);
  }

  /**
   * Find the node whose phandle is `phandle`.
   *
   * Kernel: drivers/of/base.c of_find_node_by_phandle()
   * @returns the node, or null for 0 or an unknown phandle.
   */
  findNodeByPhandle(phandle: number): DeviceNode | null {
    return phandle === 0 ? null : (this.#byPhandle.get(phandle) ?? null);
  }

  /**
   * Find the node that carries dtc label `label` (`sram` for `sram: sram@fe000000 {}`).
   * @returns the node, or null for an unknown label.
   */
  findNodeByLabel(label: string): DeviceNode | null {
    return this.#byLabel.get(label) ?? null;
  }

  /**
   * Resolve the `index`-th phandle of a phandle-list property of `np`.
   *
   * Kernel: include/linux/of.h of_parse_phandle()
   * @returns the node; null when the property is missing, `index` is negative or past the
   *   end, the entry is 0 (an empty entry), or no node has that phandle.
   */
  parsePhandle(np: DeviceNode, propname: string, index: number): DeviceNode | null {
    if (index < 0 || !Number.isInteger(index)) return null;
    const out: OfOut<number> = { value: 0 };
    if (np.readU32(propname, out, index) !== 0) return null;
    return this.findNodeByPhandle(out.value);
  }

  /**
   * Return every node, depth-first in source order (parents before children), root first.
   *
   * Kernel: drivers/of/base.c of_find_all_nodes() order
   * @returns a new array.
   */
  allNodes(): DeviceNode[] {
    return walkNodes(this.root);
  }

  /**
   * Find the first node, in {@link DeviceTree.allNodes} order, compatible with `compat`
   * (case-insensitive, any entry of its `compatible` list).
   *
   * Kernel: drivers/of/base.c of_find_compatible_node(NULL, NULL, compat)
   * @returns the node, or null when none is compatible.
   */
  findCompatible(compat: string): DeviceNode | null {
    for (const n of walkNodes(this.root)) if (n.isCompatible(compat)) return n;
    return null;
  }

  /**
   * Return every node compatible with `compat`, in {@link DeviceTree.allNodes} order.
   *
   * Kernel: include/linux/of.h for_each_compatible_node(dn, NULL, compat)
   * @returns a new array, empty when none is compatible.
   */
  findAllCompatible(compat: string): DeviceNode[] {
    const out: DeviceNode[] = [];
    for (const n of walkNodes(this.root)) if (n.isCompatible(compat)) out.push(n);
    return out;
  }
}
