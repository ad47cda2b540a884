// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-tree source (DTS) parser: text in, a {@link DeviceTree} out, with property
 * values stored as the flattened tree would hold them.
 *
 * Kernel: scripts/dtc/dtc-parser.y (the grammar), scripts/dtc/livetree.c (merging of
 * repeated nodes and override blocks, node and property deletion), scripts/dtc/checks.c
 * (duplicate names and labels; reference fixups, in dts-resolve.ts).
 *
 * The subset:
 *
 *   file      := [ '/dts-v1/' ';' ] { top }
 *   top       := '/' block | ref block | '/delete-node/' ref ';'
 *   block     := '{' { property } { node | '/delete-node/' name ';' } '}' ';'
 *   node      := { label ':' } name[@unit] block
 *   property  := name [ '=' value { ',' value } ] ';' | '/delete-property/' name ';'
 *   value     := "string" | '<' { integer | ref | '(' expr ')' } '>' | '[' hex-bytes ']'
 *              | ref                                      (the target's path, a string)
 *   ref       := '&' label | '&{' /absolute/path '}'
 *
 * A later `/ { ... };`, `&label { ... };` or a repeated child name merges into the existing
 * node: properties are replaced in place or appended, children merged or appended, as dtc
 * does. Within one block, a name defined twice is an error, and properties must precede
 * child nodes (dtc's grammar). Blocks nest through an explicit stack, so nesting depth is
 * bounded by memory, not by the call stack.
 *
 * DEVIATION: not supported, each with a clear error: `#include` and other preprocessor
 * lines, `/include/`, `/memreserve/`, `/plugin/`, `/bits/`, character literals, labels on
 * properties or inside values, and label-relative paths (`&{label/child}`).
 */

import { DeviceNode, type DeviceProperty } from './device-node.js';
import { DeviceTree, lookupPath, walkNodes } from './device-tree.js';
import { DtsScanner, describeChar, isLabel } from './dts-lexer.js';
import { parseParenExpression, toCell } from './dts-expr.js';
import { concatBytes, resolveReferences, type DtsRef, type ValuePiece } from './dts-resolve.js';

export { DtsSyntaxError } from './dts-lexer.js';
export { DeviceNode } from './device-node.js';
export type { DeviceProperty, OfOut, RegEntry } from './device-node.js';
export { DeviceTree } from './device-tree.js';

const NODE_NAME = /^[A-Za-z0-9,._+-]+(?:@[A-Za-z0-9,._+-]+)?$/;
const PROP_NAME = /^[A-Za-z0-9,._+*#?-]+$/;

/** One open `{ ... }` block: what it has defined so far, for dtc's per-block checks. */
interface Block {
  readonly node: DeviceNode;
  /** Source index of the `{`. */
  readonly open: number;
  readonly props: Set<string>;
  readonly nodes: Set<string>;
  /** A child node or /delete-node/ was seen: properties may no longer follow. */
  sawChild: boolean;
}

/**
 * Parse DTS source text into a device tree.
 *
 * Kernel: scripts/dtc (dtc -I dts), followed by the kernel's unflattening: the nodes,
 * properties and phandles are those a kernel would see for the same source.
 * Context: control plane; linear in the source size (no quadratic steps on wide or deep
 * trees).
 *
 * @param source - the DTS text (see the file header for the subset).
 * @param fileName - the name used in error messages.
 * @returns the tree.
 * @throws {DtsSyntaxError} `file:line:column: reason` for a syntax error, an unterminated
 *   string, comment, byte string, cell list or block, a cell value over 0xffffffff, a
 *   duplicate label, a reference to an unknown label or path, an invalid or duplicate
 *   phandle, or an unsupported construct (`#include`, ...).
 */
export function parseDts(source: string, fileName = '<dts>'): DeviceTree {
  return new DtsParser(source, fileName).parse();
}

class DtsParser {
  readonly #s: DtsScanner;
  readonly #root = new DeviceNode('', null);
  readonly #labels = new Map<string, DeviceNode>();
  readonly #labelAt = new Map<string, number>();
  readonly #pending = new Map<DeviceProperty, readonly ValuePiece[]>();
  readonly #propAt = new Map<DeviceProperty, number>();

  constructor(source: string, fileName: string) {
    this.#s = new DtsScanner(source, fileName);
  }

  parse(): DeviceTree {
    const s = this.#s;
    let sawRoot = false;
    let sawNode = false;
    while (!s.atEnd()) {
      const at = s.pos;
      const kw = s.readKeyword();
      if (kw === '/dts-v1/') {
        if (sawNode) throw s.error("'/dts-v1/' must come before the first node", at);
        s.expect(';', "after '/dts-v1/'");
      } else if (kw === '/delete-node/') {
        s.skipTrivia();
        if (s.peek() !== '&')
          throw s.error("expected '&label' or '&{/path}' after '/delete-node/'");
        const node = this.#nodeOf(this.#readRef('path'));
        if (node.parent === null) throw s.error('the root node cannot be deleted', at);
        s.expect(';', "after '/delete-node/ &...'");
        this.#deleteNode(node.parent, node.fullName);
      } else if (kw !== null) {
        throw this.#unsupported(kw, at);
      } else if (s.peek() === '/') {
        s.pos++;
        s.expect('{', "after '/' (root node)");
        this.#parseBlock(this.#root, s.pos - 1);
        sawRoot = sawNode = true;
      } else if (s.peek() === '&') {
        const node = this.#nodeOf(this.#readRef('path'));
        s.expect('{', 'after the node reference');
        this.#parseBlock(node, s.pos - 1);
        sawNode = true;
      } else {
        throw s.error(`expected '/ {', '&label {' or a directive, found ${describeChar(s.peek())}`);
      }
    }
    if (!sawRoot) throw s.error("no root node: expected '/ { ... };'");
    resolveReferences(s, {
      root: this.#root,
      labels: this.#labels,
      pending: this.#pending,
      propAt: this.#propAt,
    });
    return new DeviceTree(this.#root);
  }

  #unsupported(kw: string, at: number): Error {
    const known = ['/include/', '/memreserve/', '/plugin/', '/bits/', '/omit-if-no-ref/'];
    if (known.includes(kw)) return this.#s.error(`'${kw}' is not supported`, at);
    return this.#s.error(`unexpected directive '${kw}'`, at);
  }

  /** Parse the body of a block whose `{` (at `open`) was just consumed, nested blocks too. */
  #parseBlock(top: DeviceNode, open: number): void {
    const s = this.#s;
    const stack: Block[] = [newBlock(top, open)];
    while (stack.length > 0) {
      const b = stack[stack.length - 1]!;
      if (s.atEnd()) {
        throw s.error(`unterminated node '${b.node.path}': this '{' is never closed`, b.open);
      }
      const at = s.pos;
      if (s.eat('}')) {
        s.skipTrivia();
        if (!s.eat(';')) throw s.error(`expected ';' after '}' closing node '${b.node.path}'`);
        stack.pop();
        continue;
      }
      const kw = s.readKeyword();
      if (kw === '/delete-property/' || kw === '/delete-node/') {
        this.#blockDelete(b, kw, at);
        continue;
      }
      if (kw !== null) throw this.#unsupported(kw, at);
      const child = this.#parseItem(b);
      if (child !== null) stack.push(child);
    }
  }

  #blockDelete(b: Block, kw: string, at: number): void {
    const s = this.#s;
    s.skipTrivia();
    const name = s.readWord();
    if (name === '') throw s.error(`expected a name after '${kw}'`);
    s.expect(';', `after '${kw} ${name}'`);
    if (kw === '/delete-node/') {
      b.sawChild = true;
      b.nodes.delete(name);
      this.#deleteNode(b.node, name);
      return;
    }
    if (b.sawChild) {
      throw s.error(`'/delete-property/ ${name}' must come before the child nodes`, at);
    }
    b.props.delete(name);
    b.node.removeProperty(name);
  }

  /** Parse a property or open a child block; return the child's block, or null. */
  #parseItem(b: Block): Block | null {
    const s = this.#s;
    const labels: string[] = [];
    const labelAt: number[] = [];
    let nameAt = s.pos;
    let name = s.readWord();
    while (name !== '' && s.peek() === ':') {
      if (!isLabel(name)) throw s.error(`invalid label '${name}'`, nameAt);
      s.pos++;
      labels.push(name);
      labelAt.push(nameAt);
      s.skipTrivia();
      nameAt = s.pos;
      name = s.readWord();
    }
    if (name === '') {
      throw s.error(`expected a property or node name, found ${describeChar(s.peek())}`);
    }
    s.skipTrivia();
    const c = s.peek();
    if (c === '{') {
      s.pos++;
      const child = this.#openChild(b, name, nameAt);
      for (let i = 0; i < labels.length; i++) this.#addLabel(child.node, labels[i]!, labelAt[i]!);
      return child;
    }
    if (c !== '=' && c !== ';') throw s.error(`expected '{', '=' or ';' after '${name}'`);
    if (labels.length > 0) throw s.error('labels on properties are not supported', labelAt[0]);
    this.#parseProperty(b, name, nameAt);
    return null;
  }

  #openChild(b: Block, name: string, at: number): Block {
    const s = this.#s;
    if (!NODE_NAME.test(name)) throw s.error(`invalid node name '${name}'`, at);
    if (b.nodes.has(name)) throw s.error(`duplicate node '${name}' in '${b.node.path}'`, at);
    b.nodes.add(name);
    b.sawChild = true;
    const node = b.node.findChild(name) ?? b.node.addChild(name);
    return newBlock(node, s.pos - 1);
  }

  #parseProperty(b: Block, name: string, at: number): void {
    const s = this.#s;
    if (!PROP_NAME.test(name)) throw s.error(`invalid property name '${name}'`, at);
    if (b.sawChild) throw s.error(`property '${name}' must come before the child nodes`, at);
    if (b.props.has(name)) throw s.error(`duplicate property '${name}' in '${b.node.path}'`, at);
    b.props.add(name);
    let pieces: ValuePiece[] = [];
    if (s.eat('=')) {
      pieces = this.#parseValues();
      s.skipTrivia();
    }
    if (!s.eat(';')) throw s.error(`expected ';' after property '${name}'`);
    let refs = false;
    const chunks: Uint8Array[] = [];
    for (const p of pieces) {
      if (p instanceof Uint8Array) chunks.push(p);
      else refs = true;
    }
    const prop = b.node.setProperty(name, refs ? new Uint8Array(0) : concatBytes(chunks));
    if (refs) this.#pending.set(prop, pieces);
    else this.#pending.delete(prop); // an override drops the old references
    this.#propAt.set(prop, at);
  }

  #parseValues(): ValuePiece[] {
    const s = this.#s;
    const pieces: ValuePiece[] = [];
    for (;;) {
      s.skipTrivia();
      const c = s.peek();
      if (c === '"') {
        const bytes = s.readString();
        bytes.push(0);
        pieces.push(Uint8Array.from(bytes));
      } else if (c === '<') {
        this.#parseCells(pieces);
      } else if (c === '[') {
        pieces.push(Uint8Array.from(s.readByteString()));
      } else if (c === '&') {
        pieces.push(this.#readRef('path'));
      } else {
        const at = s.pos;
        const kw = s.readKeyword();
        if (kw !== null) throw this.#unsupported(kw, at);
        throw s.error(
          `expected a value ("string", <cells>, [bytes] or &label), found ${describeChar(c)}`,
        );
      }
      s.skipTrivia();
      if (!s.eat(',')) return pieces;
    }
  }

  #parseCells(pieces: ValuePiece[]): void {
    const s = this.#s;
    const open = s.pos++;
    let cells: number[] = [];
    for (;;) {
      s.skipTrivia();
      const at = s.pos;
      const c = s.peek();
      if (c === '>') break;
      if (c === '') throw s.error("unterminated cell list: '<' is never closed", open);
      if (c === '&') {
        pieces.push(cellBytes(cells), this.#readRef('phandle'));
        cells = [];
        continue;
      }
      let v: number;
      if (c === '(') v = parseParenExpression(s);
      else if (c >= '0' && c <= '9') v = s.readInteger();
      else if (c === "'") throw s.error('character literals are not supported');
      else throw s.error(`expected a number, '&label', '(expr)' or '>' in cells, found '${c}'`);
      cells.push(toCell(s, v, at));
    }
    s.pos++;
    pieces.push(cellBytes(cells));
  }

  /** Read `&label` or `&{/path}` (at the `&`), without resolving it. */
  #readRef(kind: DtsRef['kind']): DtsRef {
    const s = this.#s;
    const at = s.pos++;
    if (s.eat('{')) {
      const close = s.src.indexOf('}', s.pos);
      const path = close < 0 ? '' : s.src.slice(s.pos, close);
      if (!/^\/[^\s{};]*$/.test(path)) throw s.error("expected '&{/absolute/path}'", at);
      s.pos = close + 1;
      return { kind, target: path, at };
    }
    const label = s.readLabel();
    if (!isLabel(label)) throw s.error("expected a label or '{/path}' after '&'", at);
    return { kind, target: label, at };
  }

  /** Resolve a reference now (override blocks, /delete-node/): the target must exist. */
  #nodeOf(ref: DtsRef): DeviceNode {
    const isPath = ref.target.startsWith('/');
    const node = isPath ? lookupPath(this.#root, ref.target) : this.#labels.get(ref.target);
    if (node !== null && node !== undefined) return node;
    const what = isPath ? `path '${ref.target}'` : `label '${ref.target}'`;
    throw this.#s.error(`unknown ${what}`, ref.at);
  }

  #addLabel(node: DeviceNode, label: string, at: number): void {
    const other = this.#labels.get(label);
    if (other !== undefined && other !== node) {
      const first = this.#s.where(this.#labelAt.get(label)!);
      throw this.#s.error(`duplicate label '${label}': already on '${other.path}' (${first})`, at);
    }
    this.#labels.set(label, node);
    this.#labelAt.set(label, at);
    node.addLabel(label);
  }

  /** Unlink `parent`'s child `fullName` and forget the labels of its subtree. */
  #deleteNode(parent: DeviceNode, fullName: string): void {
    const gone = parent.removeChild(fullName);
    if (gone === null) return; // dtc ignores a missing node
    for (const n of walkNodes(gone)) {
      for (const label of n.labels) {
        if (this.#labels.get(label) !== n) continue;
        this.#labels.delete(label);
        this.#labelAt.delete(label);
      }
    }
  }
}

function newBlock(node: DeviceNode, open: number): Block {
  return { node, open, props: new Set(), nodes: new Set(), sawChild: false };
}

function cellBytes(cells: readonly number[]): Uint8Array {
  const out = new Uint8Array(cells.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < cells.length; i++) view.setUint32(i * 4, cells[i]!);
  return out;
}
