// SPDX-License-Identifier: GPL-2.0-only
/*
 * The last pass of the DTS parser: check explicit phandles, then replace every `&label` and
 * `&{/path}` reference in a property value with the target's phandle (inside `< >`) or its
 * full path string (outside), giving referenced nodes a phandle on first need.
 *
 * Kernel: scripts/dtc/checks.c (check_explicit_phandles, fixup_phandle_references,
 * fixup_path_references), scripts/dtc/livetree.c (get_node_phandle).
 *
 * References are resolved only once the whole source has been read and every override
 * and /delete-node/ applied, so a reference may name a label defined later in the file,
 * and a reference held by a deleted node or property is never looked at.
 *
 * Phandle order: explicit `phandle` / `linux,phandle` values are reserved first. Then the
 * final tree is walked depth-first (a node's properties, then its children, in source
 * order); each referenced node without a phandle gets the lowest unused number, counting
 * up from 1, and a `phandle` property appended to its properties.
 *
 * Invariants:
 *   R1: no two nodes share a phandle; no phandle is 0 or 0xffffffff
 *   R2: after the pass, no property value holds an unresolved reference
 */

import { be32At, be32Bytes, type DeviceNode, type DeviceProperty } from './device-node.js';
import { lookupPath, walkNodes } from './device-tree.js';
import type { DtsScanner } from './dts-lexer.js';

/** A reference in a property value: `&label`/`&{/path}` in cells or as a path string. */
export interface DtsRef {
  /** 'phandle' inside `< >`, 'path' outside (the target's full path as a string). */
  readonly kind: 'phandle' | 'path';
  /** A label, or an absolute path for `&{/path}`. */
  readonly target: string;
  /** Source index of the `&`, for errors. */
  readonly at: number;
}

/** One part of a property value: literal bytes or a reference still to resolve. */
export type ValuePiece = Uint8Array | DtsRef;

/** What the parser collected for this pass. */
export interface ResolveInput {
  readonly root: DeviceNode;
  readonly labels: ReadonlyMap<string, DeviceNode>;
  /** Property values that hold references, by property. */
  readonly pending: ReadonlyMap<DeviceProperty, readonly ValuePiece[]>;
  /** Source index of each property definition, for errors. */
  readonly propAt: ReadonlyMap<DeviceProperty, number>;
}

const utf8 = new TextEncoder();
const PHANDLE_PROPS = ['phandle', 'linux,phandle'] as const;

/** Concatenate byte chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < chunks.length; i++) n += chunks[i]!.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i]!, off);
    off += chunks[i]!.length;
  }
  return out;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/** Check R1 for the explicit phandles of `node` and record them in `used`. */
function reserveExplicit(
  s: DtsScanner,
  inp: ResolveInput,
  node: DeviceNode,
  used: Map<number, DeviceNode>,
): void {
  let value = 0;
  for (const name of PHANDLE_PROPS) {
    const prop = node.property(name);
    if (prop === undefined) continue;
    const at = inp.propAt.get(prop) ?? 0;
    const where = (): string => `'${name}' of '${node.path}'`; // lazy: path is O(depth)
    if (inp.pending.has(prop)) throw s.error(`${where()} must be a number, not a reference`, at);
    if (prop.value.length !== 4) throw s.error(`${where()} must be exactly one cell`, at);
    const v = be32At(prop.value, 0);
    if (v === 0 || v === 0xffffffff)
      throw s.error(`${where()} is an invalid phandle ${hex(v)}`, at);
    if (value !== 0 && v !== value) {
      throw s.error(`'phandle' and 'linux,phandle' of '${node.path}' differ`, at);
    }
    const other = used.get(v);
    if (other !== undefined && other !== node) {
      throw s.error(`duplicate phandle ${hex(v)}: '${node.path}' and '${other.path}'`, at);
    }
    used.set(v, node);
    value = v;
  }
}

function targetOf(s: DtsScanner, inp: ResolveInput, ref: DtsRef): DeviceNode {
  const isPath = ref.target.startsWith('/');
  const node = isPath ? lookupPath(inp.root, ref.target) : (inp.labels.get(ref.target) ?? null);
  if (node !== null) return node;
  throw s.error(
    isPath
      ? `reference to unknown path '&{${ref.target}}'`
      : `reference to unknown label '&${ref.target}'`,
    ref.at,
  );
}

/**
 * Resolve every reference (R2) and assign phandles (R1), in place on the tree.
 *
 * Kernel: scripts/dtc/checks.c fixup_phandle_references(), fixup_path_references()
 * @throws {DtsSyntaxError} for an unknown label or path, an invalid or duplicate explicit
 *   phandle, or a `phandle` property that is not one literal cell.
 */
export function resolveReferences(s: DtsScanner, inp: ResolveInput): void {
  const nodes = walkNodes(inp.root);
  const used = new Map<number, DeviceNode>();
  for (const node of nodes) reserveExplicit(s, inp, node, used);
  let next = 1;
  for (const node of nodes) {
    const props = node.properties();
    for (let i = 0; i < props.length; i++) {
      const pieces = inp.pending.get(props[i]!);
      if (pieces === undefined) continue;
      const chunks: Uint8Array[] = [];
      for (const piece of pieces) {
        if (piece instanceof Uint8Array) {
          chunks.push(piece);
          continue;
        }
        const target = targetOf(s, inp, piece);
        if (piece.kind === 'path') {
          chunks.push(utf8.encode(target.path), new Uint8Array(1));
          continue;
        }
        let ph = target.phandle;
        if (ph === 0) {
          while (used.has(next)) next++;
          ph = next;
          used.set(ph, target);
          target.setProperty('phandle', be32Bytes(ph));
        }
        chunks.push(be32Bytes(ph));
      }
      node.setProperty(props[i]!.name, concatBytes(chunks));
    }
  }
}
