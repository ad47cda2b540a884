// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-tree source parser and node model: a realistic board, every property reader on
 * success and on each failure value (the kernel's of_property_read_* conventions), address
 * cells, reg decoding and translation through `ranges`, phandle assignment, override blocks,
 * deletes, string and byte-string syntax, integer expressions, and every parse error with
 * its file:line:column.
 *
 * Kernel: scripts/dtc (the DTS language), drivers/of/base.c, property.c, address.c.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EINVAL, ERANGE } from '../../src/base/errno.js';
import { DtsSyntaxError, parseDts } from '../../src/machine/devicetree/dts-parser.js';
import {
  EILSEQ,
  ENODATA,
  EOVERFLOW,
  OF_BAD_ADDR,
  type DeviceNode,
  type OfOut,
} from '../../src/machine/devicetree/device-node.js';
import type { DeviceTree } from '../../src/machine/devicetree/device-tree.js';

const BOARD = `/dts-v1/;

/ {
	model = "kmem test board";
	compatible = "kmem,board", "simple-board";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&intc>;

	aliases {
		sram0 = &sram;
		soc = "/soc";
	};

	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu0: cpu@0 { device_type = "cpu"; reg = <0>; };
		cpu1: cpu@1 { device_type = "cpu"; reg = <1>; phandle = <2>; status = "disabled"; };
	};

	memory@80000000 {
		device_type = "memory";
		reg = <0x0 0x80000000 0x1 0x00000000>;
	};

	soc: soc {
		compatible = "simple-bus";
		#address-cells = <2>;
		#size-cells = <2>;
		ranges = <0x0 0xfe000000  0x0 0xfe000000  0x0 0x01000000>,
		         <0x0 0x00000000  0x1 0x00000000  0x0 0x00100000>;

		sram: sram@fe000000 {
			compatible = "mmio-sram";
			reg = <0x0 0xfe000000 0x0 0x10000>;
			#address-cells = <1>;
			#size-cells = <1>;
			ranges = <0 0x0 0xfe000000 0x10000>;

			sram_child: sram-pool@1000 {
				reg = <0x1000 0x1000>;
				pool;
				label = "audio";
			};
		};

		audio: audio@fe100000 {
			compatible = "vendor,audio", "Generic-Audio";
			reg = <0x0 0xfe100000 0x0 0x1000>;
			sram = <&sram_child>;
			status = "okay";
		};

		low@4000 {
			reg = <0x0 0x4000 0x0 0x100>;
		};

		intc: interrupt-controller@fee00000 {
			compatible = "vendor,intc";
			reg = <0x0 0xfee00000 0x0 0x1000>;
			interrupt-controller;
		};
	};
};
`;

function board(): DeviceTree {
  return parseDts(BOARD, 'board.dts');
}

function node(t: DeviceTree, path: string): DeviceNode {
  const n = t.findNodeByPath(path);
  assert.ok(n !== null, `no node ${path}`);
  return n;
}

function bytes(n: DeviceNode, prop: string): number[] {
  const p = n.property(prop);
  assert.ok(p !== undefined, `no property ${prop}`);
  return Array.from(p.value);
}

function cells(n: DeviceNode, prop: string): number[] {
  const out: OfOut<number[]> = { value: [] };
  assert.ok(n.readU32Array(prop, out) >= 0, `${prop} is not a cell list`);
  return out.value;
}

/** Parse `src` as board.dts and return the DtsSyntaxError it must throw. */
function parseError(src: string): DtsSyntaxError {
  try {
    parseDts(src, 'board.dts');
  } catch (e) {
    if (e instanceof DtsSyntaxError) return e;
    throw e;
  }
  return assert.fail('expected a DtsSyntaxError');
}

function errorMessage(src: string): string {
  return parseError(src).message;
}

/** A one-node tree `/ { <body> };` and its node /n. */
function one(body: string): DeviceNode {
  return node(parseDts(`/ { n { ${body} }; };`), '/n');
}

// ── Structure ───────────────────────────────────────────────────────────────

test('the board parses into nodes with names, full names, paths, parents and labels', () => {
  const t = board();
  assert.equal(t.root.path, '/');
  assert.equal(t.root.parent, null);
  assert.equal(t.root.fullName, '');
  assert.deepEqual(
    t.root.children.map((c) => c.fullName),
    ['aliases', 'cpus', 'memory@80000000', 'soc'],
  );
  const sram = node(t, '/soc/sram@fe000000');
  assert.equal(sram.name, 'sram');
  assert.equal(sram.fullName, 'sram@fe000000');
  assert.equal(sram.path, '/soc/sram@fe000000');
  assert.equal(sram.parent, node(t, '/soc'));
  assert.deepEqual(sram.labels, ['sram']);
  const child = sram.children[0]!;
  assert.equal(child.path, '/soc/sram@fe000000/sram-pool@1000');
  assert.equal(child.name, 'sram-pool');
  assert.deepEqual(
    child.properties().map((p) => p.name),
    ['reg', 'pool', 'label', 'phandle'],
  );
});

test('allNodes lists every node depth-first in source order', () => {
  assert.deepEqual(
    board()
      .allNodes()
      .map((n) => n.path),
    [
      '/',
      '/aliases',
      '/cpus',
      '/cpus/cpu@0',
      '/cpus/cpu@1',
      '/memory@80000000',
      '/soc',
      '/soc/sram@fe000000',
      '/soc/sram@fe000000/sram-pool@1000',
      '/soc/audio@fe100000',
      '/soc/low@4000',
      '/soc/interrupt-controller@fee00000',
    ],
  );
});

test('values are stored as flattened-tree bytes: big-endian cells, NUL-terminated strings', () => {
  const t = board();
  const sram = node(t, '/soc/sram@fe000000');
  assert.deepEqual(bytes(sram, 'reg'), [0, 0, 0, 0, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(bytes(sram, 'compatible'), [...Buffer.from('mmio-sram'), 0]);
  assert.deepEqual(bytes(t.root, 'compatible'), [...Buffer.from('kmem,board\0simple-board\0')]);
  assert.deepEqual(bytes(sram.children[0]!, 'pool'), []);
  const mixed = one('reg = <1 2>, <3 4>; m = "a", <0x01020304>, [ff 00], "b";');
  assert.deepEqual(cells(mixed, 'reg'), [1, 2, 3, 4]);
  assert.deepEqual(bytes(mixed, 'm'), [0x61, 0, 1, 2, 3, 4, 0xff, 0, 0x62, 0]);
});

// ── Readers ─────────────────────────────────────────────────────────────────

test('readU32 reads a cell by index and returns -EINVAL / -EOVERFLOW without writing out', () => {
  const n = one('a = <7 0xffffffff>; b; s = "xyz";');
  const out: OfOut<number> = { value: -5 };
  assert.equal(n.readU32('a', out), 0);
  assert.equal(out.value, 7);
  assert.equal(n.readU32('a', out, 1), 0);
  assert.equal(out.value, 0xffffffff);
  out.value = -5;
  assert.equal(n.readU32('missing', out), -EINVAL);
  assert.equal(n.readU32('a', out, 2), -EOVERFLOW);
  assert.equal(n.readU32('b', out), -EOVERFLOW, 'an empty property is too short, as in Linux');
  assert.equal(n.readU32('s', out), 0, 'three bytes plus NUL make one cell');
  assert.equal(out.value, 0x78797a00);
  assert.equal(n.readU32('a', out, 3), -EOVERFLOW);
});

test('readU32Array returns the cell count, 0 for an empty value, -EINVAL otherwise', () => {
  const n = one('a = <1 2 3>; b; s = "ab";');
  const out: OfOut<number[]> = { value: [42] };
  assert.equal(n.readU32Array('a', out), 3);
  assert.deepEqual(out.value, [1, 2, 3]);
  assert.equal(n.readU32Array('b', out), 0);
  assert.deepEqual(out.value, []);
  out.value = [42];
  assert.equal(n.readU32Array('s', out), -EINVAL, 'three bytes is not whole cells');
  assert.equal(n.readU32Array('missing', out), -EINVAL);
  assert.deepEqual(out.value, [42]);
});

test('readU64 joins two cells and returns -EINVAL / -EOVERFLOW / -ERANGE', () => {
  const n = one('a = <0x1 0x2 0x0 0x5>; short = <1>; big = <0xffffffff 0xffffffff>;');
  const out: OfOut<number> = { value: -1 };
  assert.equal(n.readU64('a', out), 0);
  assert.equal(out.value, 0x100000002);
  assert.equal(n.readU64('a', out, 1), 0);
  assert.equal(out.value, 5);
  out.value = -1;
  assert.equal(n.readU64('missing', out), -EINVAL);
  assert.equal(n.readU64('short', out), -EOVERFLOW);
  assert.equal(n.readU64('a', out, 2), -EOVERFLOW);
  assert.equal(n.readU64('big', out), -ERANGE);
  assert.equal(out.value, -1);
});

test('countElemsOfSize counts whole elements and rejects a ragged length', () => {
  const n = one('a = <1 2 3 4>; s = "abc";');
  assert.equal(n.countElemsOfSize('a', 4), 4);
  assert.equal(n.countElemsOfSize('a', 8), 2);
  assert.equal(n.countElemsOfSize('a', 16), 1);
  assert.equal(n.countElemsOfSize('a', 3), -EINVAL);
  assert.equal(n.countElemsOfSize('s', 4), 1);
  assert.equal(n.countElemsOfSize('s', 8), -EINVAL);
  assert.equal(n.countElemsOfSize('missing', 4), -EINVAL);
});

test('readString reads the first string and returns -EINVAL / -ENODATA / -EILSEQ', () => {
  const n = one('s = "first", "second"; b; raw = [61 62]; c = <0>;');
  const out: OfOut<string> = { value: 'untouched' };
  assert.equal(n.readString('s', out), 0);
  assert.equal(out.value, 'first');
  out.value = 'untouched';
  assert.equal(n.readString('missing', out), -EINVAL);
  assert.equal(n.readString('b', out), -ENODATA);
  assert.equal(n.readString('raw', out), -EILSEQ);
  assert.equal(out.value, 'untouched');
  assert.equal(n.readString('c', out), 0, 'a zero cell is an empty string');
  assert.equal(out.value, '');
});

test('readStringIndex picks the i-th string; past the end is -ENODATA', () => {
  const n = one('s = "a", "bb", "ccc"; b; bad = "ok", [78 79];');
  const out: OfOut<string> = { value: '' };
  assert.equal(n.readStringIndex('s', 2, out), 0);
  assert.equal(out.value, 'ccc');
  assert.equal(n.readStringIndex('s', 0, out), 0);
  assert.equal(out.value, 'a');
  out.value = 'untouched';
  assert.equal(n.readStringIndex('s', 3, out), -ENODATA);
  assert.equal(n.readStringIndex('b', 0, out), -ENODATA);
  assert.equal(n.readStringIndex('missing', 0, out), -EINVAL);
  assert.equal(n.readStringIndex('s', -1, out), -EINVAL);
  assert.equal(n.readStringIndex('bad', 1, out), -EILSEQ);
  assert.equal(out.value, 'untouched');
  assert.equal(n.readStringIndex('bad', 0, out), 0, 'the bad tail is not reached');
  assert.equal(out.value, 'ok');
});

test('readStrings returns every string and its count, or -EINVAL / -ENODATA / -EILSEQ', () => {
  const n = one('s = "a", "", "c"; b; bad = "ok", [78];');
  const out: OfOut<string[]> = { value: ['untouched'] };
  assert.equal(n.readStrings('s', out), 3);
  assert.deepEqual(out.value, ['a', '', 'c']);
  out.value = ['untouched'];
  assert.equal(n.readStrings('b', out), -ENODATA);
  assert.equal(n.readStrings('missing', out), -EINVAL);
  assert.equal(n.readStrings('bad', out), -EILSEQ);
  assert.deepEqual(out.value, ['untouched']);
});

test('matchString returns the index of an exact match, or -EINVAL / -ENODATA / -EILSEQ', () => {
  const n = one('s = "a", "Bb", "c"; bad = "x", [79]; b;');
  assert.equal(n.matchString('s', 'Bb'), 1);
  assert.equal(n.matchString('s', 'bb'), -ENODATA, 'case-sensitive');
  assert.equal(n.matchString('missing', 'a'), -EINVAL);
  assert.equal(n.matchString('b', 'a'), -ENODATA);
  assert.equal(n.matchString('bad', 'x'), 0);
  assert.equal(n.matchString('bad', 'y'), -EILSEQ);
});

test('readBool is true for any present property and false for a missing one', () => {
  const n = node(board(), '/soc/sram@fe000000/sram-pool@1000');
  assert.equal(n.readBool('pool'), true);
  assert.equal(n.readBool('reg'), true);
  assert.equal(n.readBool('export'), false);
});

test('isCompatible matches any entry of compatible, ignoring case', () => {
  const t = board();
  const audio = node(t, '/soc/audio@fe100000');
  assert.equal(audio.isCompatible('vendor,audio'), true);
  assert.equal(audio.isCompatible('generic-audio'), true);
  assert.equal(audio.isCompatible('GENERIC-AUDIO'), true);
  assert.equal(audio.isCompatible('generic'), false);
  assert.equal(node(t, '/cpus').isCompatible('vendor,audio'), false, 'no compatible at all');
});

test('isAvailable is true without status or with "okay"/"ok", false otherwise', () => {
  const t = parseDts(
    '/ { a {}; b { status = "okay"; }; c { status = "ok"; }; d { status = "disabled"; };' +
      ' e { status = "okay-ish"; }; f { status; }; };',
  );
  const avail = t.root.children.map((n) => `${n.fullName}:${n.isAvailable()}`);
  assert.deepEqual(avail, ['a:true', 'b:true', 'c:true', 'd:false', 'e:false', 'f:false']);
});

// ── Addresses ───────────────────────────────────────────────────────────────

test('addressCells/sizeCells come from the parent (or nearer ancestor), default 1 and 1', () => {
  const t = board();
  assert.equal(node(t, '/cpus/cpu@0').addressCells(), 1);
  assert.equal(node(t, '/cpus/cpu@0').sizeCells(), 0);
  assert.equal(node(t, '/cpus').addressCells(), 2, 'the parent (root), not its own <1>');
  assert.equal(node(t, '/soc/sram@fe000000/sram-pool@1000').addressCells(), 1);
  assert.equal(t.root.addressCells(), 2, 'the root looks at itself');
  const bare = parseDts('/ { a { #size-cells = <3>; b { c { }; }; }; };');
  assert.equal(node(bare, '/a').addressCells(), 1);
  assert.equal(node(bare, '/a').sizeCells(), 1);
  assert.equal(node(bare, '/a/b/c').sizeCells(), 3, 'walks up past a parent without one');
  assert.equal(node(bare, '/a/b/c').addressCells(), 1);
});

test('reg decodes (address, size) pairs with the parent bus cell counts', () => {
  const t = board();
  assert.deepEqual(node(t, '/memory@80000000').reg(), [{ address: 0x80000000, size: 2 ** 32 }]);
  assert.deepEqual(node(t, '/soc/sram@fe000000').reg(), [{ address: 0xfe000000, size: 0x10000 }]);
  assert.deepEqual(node(t, '/soc/sram@fe000000/sram-pool@1000').reg(), [
    { address: 0x1000, size: 0x1000 },
  ]);
  assert.deepEqual(node(t, '/cpus/cpu@1').reg(), [{ address: 1, size: 0 }]);
  assert.deepEqual(node(t, '/soc').reg(), []);
  const t2 = parseDts(
    '/ { #address-cells = <1>; #size-cells = <1>; a { reg = <1 2 3 4 5>; }; ' +
      'w { #address-cells = <2>; #size-cells = <1>; ' +
      'big { reg = <0x200000 0 1>; }; ok { reg = <0x1fffff 0xffffffff 1>; }; }; };',
  );
  assert.deepEqual(node(t2, '/a').reg(), [
    { address: 1, size: 2 },
    { address: 3, size: 4 },
  ]);
  assert.deepEqual(node(t2, '/w/ok').reg(), [{ address: 2 ** 53 - 1, size: 1 }]);
  assert.throws(
    () => node(t2, '/w/big').reg(),
    /^RangeError: \/w\/big reg\[0\] address: value is above 2\^53 - 1$/,
  );
});

test('translateAddress maps through each bus ranges up to the root', () => {
  const t = board();
  const pool = node(t, '/soc/sram@fe000000/sram-pool@1000');
  assert.equal(pool.translateAddress(0x1000), 0xfe001000);
  assert.equal(pool.translateAddress(0xffff), 0xfe00ffff);
  assert.equal(pool.translateAddress(0x10000), OF_BAD_ADDR, 'past the sram window');
  const sram = node(t, '/soc/sram@fe000000');
  assert.equal(sram.translateAddress(0xfe000000), 0xfe000000);
  const low = node(t, '/soc/low@4000');
  assert.equal(low.translateAddress(0x4000), 0x100004000, 'second ranges entry');
  assert.equal(low.translateAddress(0x100000), OF_BAD_ADDR, 'in no ranges entry');
  assert.equal(node(t, '/memory@80000000').translateAddress(0x80000000), 0x80000000);
  assert.equal(t.root.translateAddress(0), OF_BAD_ADDR);
});

test('empty ranges translate 1:1; a bus without ranges cannot be translated through', () => {
  const t = parseDts(`/ {
    #address-cells = <1>; #size-cells = <1>;
    ident { #address-cells = <1>; #size-cells = <1>; ranges; d { reg = <0x1234 4>; }; };
    closed { #address-cells = <1>; #size-cells = <1>; d { reg = <0x1234 4>; }; };
    nosize { #address-cells = <1>; #size-cells = <0>; ranges; d { reg = <5>; }; };
  };`);
  assert.equal(node(t, '/ident/d').translateAddress(0x1234), 0x1234);
  assert.equal(node(t, '/closed/d').translateAddress(0x1234), OF_BAD_ADDR);
  assert.equal(node(t, '/nosize/d').translateAddress(5), OF_BAD_ADDR, '#size-cells 0');
});

// ── Tree lookups ────────────────────────────────────────────────────────────

test('findNodeByPath takes absolute paths and aliases, and returns null otherwise', () => {
  const t = board();
  const sram = node(t, '/soc/sram@fe000000');
  assert.equal(t.findNodeByPath('/'), t.root);
  assert.equal(t.findNodeByPath('sram0'), sram);
  assert.equal(t.findNodeByPath('sram0/sram-pool@1000'), sram.children[0]);
  assert.equal(t.findNodeByPath('soc'), node(t, '/soc'));
  assert.equal(t.findNodeByPath('/soc:options'), node(t, '/soc'));
  assert.equal(t.findNodeByPath('/soc/sram'), null, 'the unit address is part of the name');
  assert.equal(t.findNodeByPath('/soc/'), null);
  assert.equal(t.findNodeByPath('/nope'), null);
  assert.equal(t.findNodeByPath('nope'), null);
  assert.equal(t.findNodeByPath('sram0/nope'), null);
  assert.equal(parseDts('/ { };').findNodeByPath('serial0'), null, 'no /aliases');
});

test('findNodeByPhandle, findNodeByLabel and parsePhandle resolve references', () => {
  const t = board();
  const audio = node(t, '/soc/audio@fe100000');
  const pool = node(t, '/soc/sram@fe000000/sram-pool@1000');
  assert.equal(t.parsePhandle(audio, 'sram', 0), pool);
  assert.equal(t.parsePhandle(audio, 'sram', 1), null);
  assert.equal(t.parsePhandle(audio, 'sram', -1), null);
  assert.equal(t.parsePhandle(audio, 'missing', 0), null);
  assert.equal(t.findNodeByPhandle(pool.phandle), pool);
  assert.equal(t.findNodeByPhandle(0), null);
  assert.equal(t.findNodeByPhandle(99), null);
  assert.equal(t.findNodeByLabel('sram_child'), pool);
  assert.equal(t.findNodeByLabel('cpu1'), node(t, '/cpus/cpu@1'));
  assert.equal(t.findNodeByLabel('nope'), null);
  const l = parseDts('/ { a: a {}; b: b {}; u { list = <&a 0 &b 77>; }; };');
  const u = node(l, '/u');
  assert.equal(l.parsePhandle(u, 'list', 0), node(l, '/a'));
  assert.equal(l.parsePhandle(u, 'list', 1), null, 'an empty (0) entry');
  assert.equal(l.parsePhandle(u, 'list', 2), node(l, '/b'));
  assert.equal(l.parsePhandle(u, 'list', 3), null, 'no node has phandle 77');
});

test('findCompatible returns the first match; findAllCompatible every match in order', () => {
  const t = parseDts('/ { a { compatible = "x", "y"; }; b { c { compatible = "Y"; }; }; };');
  assert.equal(t.findCompatible('y'), node(t, '/a'));
  assert.deepEqual(
    t.findAllCompatible('y').map((n) => n.path),
    ['/a', '/b/c'],
  );
  assert.equal(t.findCompatible('z'), null);
  assert.deepEqual(t.findAllCompatible('z'), []);
});

// ── Phandles ────────────────────────────────────────────────────────────────

test('phandles are assigned on first need in tree order, skipping explicit ones', () => {
  const t = board();
  assert.equal(node(t, '/soc/interrupt-controller@fee00000').phandle, 1, 'root needs it first');
  assert.equal(node(t, '/cpus/cpu@1').phandle, 2, 'explicit, kept');
  assert.equal(node(t, '/soc/sram@fe000000/sram-pool@1000').phandle, 3, 'skips the taken 2');
  assert.deepEqual(cells(t.root, 'interrupt-parent'), [1]);
  assert.deepEqual(cells(node(t, '/soc/audio@fe100000'), 'sram'), [3]);
  assert.equal(node(t, '/soc/sram@fe000000').phandle, 0, 'a path reference needs no phandle');
  assert.equal(node(t, '/soc/sram@fe000000').property('phandle'), undefined);
  assert.equal(node(t, '/cpus/cpu@0').phandle, 0);
});

test('a node referenced many times gets one phandle; linux,phandle counts as explicit', () => {
  const t = parseDts(`/ {
    a: a { linux,phandle = <1>; };
    b: b { };
    u { x = <&b &a &b>; y = <&{/b}>; };
  };`);
  assert.deepEqual(cells(node(t, '/u'), 'x'), [2, 1, 2]);
  assert.deepEqual(cells(node(t, '/u'), 'y'), [2]);
  assert.equal(node(t, '/a').property('phandle'), undefined);
  assert.equal(node(t, '/a').phandle, 1);
  assert.deepEqual(cells(node(t, '/b'), 'phandle'), [2]);
});

test('a reference outside < > is the path string of its target', () => {
  const t = board();
  const out: OfOut<string> = { value: '' };
  assert.equal(node(t, '/aliases').readString('sram0', out), 0);
  assert.equal(out.value, '/soc/sram@fe000000');
  const p = parseDts('/ { a { b: b@1 {}; }; c { p = &b, &{/a}; }; };');
  assert.deepEqual(bytes(node(p, '/c'), 'p'), [...Buffer.from('/a/b@1\0/a\0')]);
});

// ── Overrides and merging ───────────────────────────────────────────────────

test('&label blocks and later root blocks merge into the tree as dtc does', () => {
  const t = parseDts(`/dts-v1/;
/ {
  n: node@1 { a = <1>; b = "x"; old { k; }; };
};
&n {
  a = <2>;
  c;
  old { j; };
  new: fresh { };
};
/ {
  node@1 { d = <4>; };
  other { };
};
&{/node@1/fresh} { f; };
`);
  const n = node(t, '/node@1');
  assert.deepEqual(
    n.properties().map((p) => p.name),
    ['a', 'b', 'c', 'd'],
  );
  assert.deepEqual(cells(n, 'a'), [2], 'replaced in place');
  assert.deepEqual(
    n.children.map((c) => c.fullName),
    ['old', 'fresh'],
  );
  assert.deepEqual(
    node(t, '/node@1/old')
      .properties()
      .map((p) => p.name),
    ['k', 'j'],
  );
  assert.equal(node(t, '/node@1/fresh').readBool('f'), true);
  assert.equal(t.findNodeByLabel('new'), node(t, '/node@1/fresh'));
  assert.deepEqual(
    t.root.children.map((c) => c.fullName),
    ['node@1', 'other'],
  );
});

test('an override drops the references of the value it replaces', () => {
  const t = parseDts('/ { a: a {}; u: u { x = <&a>; }; }; &u { x = <5>; };');
  assert.deepEqual(cells(node(t, '/u'), 'x'), [5]);
  assert.equal(node(t, '/a').phandle, 0, 'no longer referenced');
});

test('a label given again to the same node is no duplicate', () => {
  const t = parseDts('/ { a: n { }; }; / { a: n { }; }; &a { m { }; };');
  assert.deepEqual(node(t, '/n').labels, ['a']);
  assert.equal(t.findNodeByLabel('a'), node(t, '/n'));
  assert.equal(node(t, '/n/m').parent, node(t, '/n'));
});

test('a cell reference may name a label defined later; a second label joins the first', () => {
  const t = parseDts('/ { u { x = <&late>; }; }; / { l1: late: l { }; };');
  assert.deepEqual(cells(node(t, '/u'), 'x'), [1]);
  assert.deepEqual(node(t, '/l').labels, ['l1', 'late']);
});

// ── Deletes ─────────────────────────────────────────────────────────────────

test('/delete-node/ and /delete-property/ remove nodes, properties and labels', () => {
  const t = parseDts(`/ {
    a { p = <1>; q; r; gone: child@1 { }; keep { }; };
    x: x { };
  };
  &{/a} {
    /delete-property/ q;
    /delete-node/ child@1;
    /delete-node/ not-there;
  };
  /delete-node/ &x;
  / { gone: again { }; };
`);
  const a = node(t, '/a');
  assert.deepEqual(
    a.properties().map((p) => p.name),
    ['p', 'r'],
  );
  assert.deepEqual(
    a.children.map((c) => c.fullName),
    ['keep'],
  );
  assert.equal(t.findNodeByPath('/x'), null);
  assert.equal(t.findNodeByLabel('x'), null);
  assert.equal(t.findNodeByLabel('gone'), node(t, '/again'), 'a deleted node frees its label');
});

test('a reference to a deleted node is an unknown label; one held by a deleted node is not', () => {
  assert.equal(
    errorMessage('/ { x: x { }; u { p = <&x>; }; };\n/delete-node/ &x;\n'),
    "board.dts:1:24: reference to unknown label '&x'",
  );
  const t = parseDts('/ { u { p = <&nowhere>; }; };\n/delete-node/ &{/u};\n');
  assert.equal(t.findNodeByPath('/u'), null);
});

// ── Lexical details ─────────────────────────────────────────────────────────

test('string escapes, non-ASCII text and string lists become the right bytes', () => {
  const n = one(String.raw`s = "q\"b\\n\n\t\x41\x7\101\0z"; u = "é"; l = "a", "b";`);
  assert.deepEqual(bytes(n, 's'), [0x71, 0x22, 0x62, 0x5c, 0x6e, 10, 9, 0x41, 7, 0x41, 0, 0x7a, 0]);
  assert.deepEqual(bytes(n, 'u'), [0xc3, 0xa9, 0]);
  const out: OfOut<string> = { value: '' };
  assert.equal(n.readString('u', out), 0);
  assert.equal(out.value, 'é');
  assert.deepEqual(bytes(n, 'l'), [0x61, 0, 0x62, 0]);
});

test('byte strings take hex pairs with or without spaces', () => {
  const n = one('a = [00 11 22]; b = [001122 ff]; c = [];');
  assert.deepEqual(bytes(n, 'a'), [0, 0x11, 0x22]);
  assert.deepEqual(bytes(n, 'b'), [0, 0x11, 0x22, 0xff]);
  assert.deepEqual(bytes(n, 'c'), []);
});

test('integer literals and parenthesised expressions evaluate as in dtc', () => {
  const n = one(
    'a = <0x10 20 010 7U 0xffffffffUL>; ' +
      'e = <(1 + 2) (1 + 2 * 3) ((1 + 2) * 3) (1 << 31) (0x100 >> 4) (0xf0 | 0x0f)>; ' +
      'f = <(0xff & 0x0f) (5 ^ 1) (~0) (-1) (10 / 3) (10 % 3) (2 > 1 ? 7 : 8) (!0)>; ' +
      'g = <(1 == 1) (1 != 1) (1 && 0) (0 || 2) ((0x100000000 >> 32) + 1) (-0x100000000)>;',
  );
  assert.deepEqual(cells(n, 'a'), [16, 20, 8, 7, 0xffffffff]);
  assert.deepEqual(cells(n, 'e'), [3, 7, 9, 0x80000000, 0x10, 0xff]);
  assert.deepEqual(cells(n, 'f'), [0x0f, 4, 0xffffffff, 0xffffffff, 3, 1, 7, 1]);
  assert.deepEqual(cells(n, 'g'), [1, 0, 0, 1, 2, 0]);
});

test('comments of both kinds are ignored; # properties are not preprocessor lines', () => {
  const t = parseDts(`// leading comment
/ { /* block
  comment */ #address-cells = <1>; // trailing
#size-cells = /* inline */ <1>;
  linux,code-? = <1>;
};`);
  assert.deepEqual(cells(t.root, '#address-cells'), [1]);
  assert.deepEqual(cells(t.root, '#size-cells'), [1]);
  assert.deepEqual(cells(t.root, 'linux,code-?'), [1]);
});

// ── Errors ──────────────────────────────────────────────────────────────────

test('DtsSyntaxError carries file, line, column and the bare reason', () => {
  const e = parseError('/ {\n\treg = <1 2>\n\tstatus = "okay";\n};\n');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'DtsSyntaxError');
  assert.equal(e.message, "board.dts:3:2: expected ';' after property 'reg'");
  assert.equal(e.fileName, 'board.dts');
  assert.equal(e.line, 3);
  assert.equal(e.column, 2);
  assert.equal(e.reason, "expected ';' after property 'reg'");
  assert.match(
    (() => {
      try {
        parseDts('/ { x = ; };');
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })(),
    /^<dts>:1:9: expected a value/,
  );
});

const ERRORS: ReadonlyArray<[what: string, src: string, message: string]> = [
  [
    'duplicate label',
    '/ {\n\ta: foo { };\n\ta: bar { };\n};',
    "3:2: duplicate label 'a': already on '/foo' (2:2)",
  ],
  ['unknown label in cells', '/ {\n\tx = <&nope>;\n};', "2:7: reference to unknown label '&nope'"],
  ['unknown label as a path', '/ { x = &nope; };', "1:9: reference to unknown label '&nope'"],
  ['unknown path in cells', '/ { x = <&{/a/b}>; };', "1:10: reference to unknown path '&{/a/b}'"],
  ['unknown label in override', '/ { };\n&nope { };', "2:1: unknown label 'nope'"],
  ['override before its label', '&l { };\n/ { l: n { }; };', "1:1: unknown label 'l'"],
  [
    'unterminated string',
    '/ {\n\tmodel = "abc;\n};',
    "2:10: unterminated string: missing closing '\"'",
  ],
  ['unterminated comment', '/ { /* never\n };', "1:5: unterminated comment: '/*' is never closed"],
  [
    'unterminated block',
    '/ {\n\tfoo {\n\t\tbar;\n',
    "2:6: unterminated node '/foo': this '{' is never closed",
  ],
  ['unterminated cell list', '/ {\n\tx = <1 2', "2:6: unterminated cell list: '<' is never closed"],
  [
    'unterminated byte string',
    '/ {\n\tx = [00 11',
    "2:6: unterminated byte string: '[' is never closed",
  ],
  [
    'cell over 0xffffffff',
    '/ {\n\tx = <1 0x100000000>;\n};',
    '2:9: cell value 0x100000000 does not fit in 32 bits',
  ],
  [
    'expression over 32 bits',
    '/ { x = <(1 << 32)>; };',
    '1:10: cell value 0x100000000 does not fit in 32 bits',
  ],
  [
    'literal over 2^53',
    '/ { x = <(0x20000000000000)>; };',
    "1:11: integer literal '0x20000000000000' is too large (above 2^53 - 1)",
  ],
  ['division by zero', '/ { x = <(1 / 0)>; };', '1:13: division by zero in expression'],
  ['bad integer', '/ { x = <0x1g>; };', "1:10: invalid integer literal '0x1g'"],
  [
    'bad token in cells',
    '/ { x = <1 foo>; };',
    "1:12: expected a number, '&label', '(expr)' or '>' in cells, found 'f'",
  ],
  ['missing ) in expression', '/ { x = <(1 + 2; };', "1:16: expected ')' to close the expression"],
  [
    '#include',
    '#include "soc.dtsi"\n/ { };',
    '1:1: #include is not supported: pass the included text inline',
  ],
  ['#define', '  #define X 1\n/ { };', "1:3: preprocessor directive '#define' is not supported"],
  ['/include/', '/include/ "soc.dtsi"\n/ { };', "1:1: '/include/' is not supported"],
  ['/memreserve/', '/dts-v1/;\n/memreserve/ 0 1;', "2:1: '/memreserve/' is not supported"],
  ['/bits/', '/ { x = /bits/ 8 <1>; };', "1:9: '/bits/' is not supported"],
  ['missing ; after }', '/ {\n}\n', "3:1: expected ';' after '}' closing node '/'"],
  ['no root node', '/dts-v1/;\n', "2:1: no root node: expected '/ { ... };'"],
  ['/dts-v1/ after a node', '/ { };\n/dts-v1/;', "2:1: '/dts-v1/' must come before the first node"],
  ['duplicate property', '/ { a; a; };', "1:8: duplicate property 'a' in '/'"],
  ['duplicate node in one block', '/ { n { }; n { }; };', "1:12: duplicate node 'n' in '/'"],
  [
    'property after a child',
    '/ { n { }; p; };',
    "1:12: property 'p' must come before the child nodes",
  ],
  ['invalid node name', '/ { a@b@c { }; };', "1:5: invalid node name 'a@b@c'"],
  ['invalid property name', '/ { a@b; };', "1:5: invalid property name 'a@b'"],
  ['label on a property', '/ { l: p = <1>; };', '1:5: labels on properties are not supported'],
  ['name without a value', '/ { p = <1> q; };', "1:13: expected ';' after property 'p'"],
  [
    'garbage at top level',
    '/ { };\nfoo',
    "2:1: expected '/ {', '&label {' or a directive, found 'f'",
  ],
  ['unknown escape', '/ { s = "\\q"; };', "1:10: unknown escape sequence '\\q' in string"],
  [
    'bad byte string',
    '/ { b = [0g]; };',
    "1:10: expected two hex digits or ']' in byte string, found '0g'",
  ],
  [
    'explicit phandle 0',
    '/ { n { phandle = <0>; }; };',
    "1:9: 'phandle' of '/n' is an invalid phandle 0x0",
  ],
  [
    'duplicate explicit phandle',
    '/ { a { phandle = <3>; }; b { phandle = <3>; }; };',
    "1:31: duplicate phandle 0x3: '/b' and '/a'",
  ],
  [
    'phandle of two cells',
    '/ { a { phandle = <1 2>; }; };',
    "1:9: 'phandle' of '/a' must be exactly one cell",
  ],
  ['bad reference', '/ { x = <& a>; };', "1:10: expected a label or '{/path}' after '&'"],
  ['unclosed path reference', '/ { x = <&{/a>; };', "1:10: expected '&{/absolute/path}'"],
  [
    '/delete-node/ of a bare name at top level',
    '/ { };\n/delete-node/ x;',
    "2:15: expected '&label' or '&{/path}' after '/delete-node/'",
  ],
  [
    'phandle and linux,phandle differ',
    '/ { a { phandle = <1>; linux,phandle = <2>; }; };',
    "1:24: 'phandle' and 'linux,phandle' of '/a' differ",
  ],
  [
    'phandle holding a reference',
    '/ { a: a { phandle = <&a>; }; };',
    "1:12: 'phandle' of '/a' must be a number, not a reference",
  ],
  [
    'deleting the root',
    '/ { r: x { }; };\n/delete-node/ &{/};',
    '2:1: the root node cannot be deleted',
  ],
];

for (const [what, src, message] of ERRORS) {
  test(`parse error: ${what} → ${message}`, () => {
    assert.equal(errorMessage(src), `board.dts:${message}`);
  });
}

// ── Size ────────────────────────────────────────────────────────────────────

test('a 10,000-node tree, wide or deep, parses and resolves every reference', () => {
  const wide: string[] = ['/ {'];
  for (let i = 0; i < 10000; i++)
    wide.push(`n${i}: node@${i} { reg = <${i}>; p = <&n${9999 - i}>; };`);
  wide.push('};');
  const t = parseDts(wide.join('\n'));
  assert.equal(t.allNodes().length, 10001);
  assert.equal(node(t, '/node@9999').phandle, 1);
  assert.deepEqual(cells(node(t, '/node@9999'), 'p'), [10000]);
  assert.equal(t.findNodeByPhandle(10000), node(t, '/node@0'));

  const deep = `/ { ${'a { '.repeat(10000)}x; ${'}; '.repeat(10000)}};`;
  const d = parseDts(deep);
  const all = d.allNodes();
  assert.equal(all.length, 10001);
  assert.equal(all[10000]!.readBool('x'), true);
  assert.equal(all[10000]!.path.length, 20000);
});
