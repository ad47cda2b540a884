// SPDX-License-Identifier: GPL-2.0-only
/*
 * The layering of DESIGN.md, checked on every src/**\/*.ts file (HOUSE-STYLE §3.2):
 *
 *   cli ─► report ─► linux ─► { genalloc, dmapool, vmalloc } ─► machine ─► bitmap ─► base
 *
 * The rules (L1–L6) and the checker live in test/lint/architecture.ts; this file runs it on
 * the real tree and proves, on synthetic files, that it catches what it should.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedLayers, checkArchitecture, type SourceFile } from './lint/architecture.js';
import { readSources } from './lint/files.js';
import { moduleReferences, scanSource } from './lint/ts-source.js';

test('src/ has no wrong-way import, no process access outside src/cli', () => {
  const files = readSources('src');
  assert.ok(files.length >= 10, `expected the src tree, found ${files.length} files`);
  const refs = files.reduce((n, f) => n + moduleReferences(scanSource(f.text)).length, 0);
  assert.ok(refs >= 20, `expected the imports of src/, found ${refs}`);
  const violations = checkArchitecture(files);
  assert.deepEqual(
    violations.map((v) => v.message),
    [],
    `\n${violations.map((v) => v.message).join('\n')}\n`,
  );
});

// ── Self-test: the checker catches what it should ──────────────────────────

const SPDX = '// SPDX-License-Identifier: GPL-2.0-only\n';

function check(path: string, body: string): string[] {
  return checkArchitecture([{ path, text: SPDX + body }]).map((v) => v.message);
}

test('a wrong-way import is reported with the file, the import and the allowed layers', () => {
  const files: SourceFile[] = [
    {
      path: 'src/bitmap/bad.ts',
      text: `${SPDX}import { GenPool } from '../genalloc/gen-pool.js';\n`,
    },
    { path: 'src/bitmap/good.ts', text: `${SPDX}import { fls } from '../base/units.js';\n` },
  ];
  const v = checkArchitecture(files);
  assert.equal(v.length, 1);
  assert.equal(v[0]!.rule, 'L1');
  assert.equal(v[0]!.file, 'src/bitmap/bad.ts');
  assert.equal(v[0]!.line, 2);
  assert.match(v[0]!.message, /^src\/bitmap\/bad\.ts:2:1 - error L1: /);
  assert.match(v[0]!.message, /'\.\.\/genalloc\/gen-pool\.js'/);
  assert.match(v[0]!.message, /bitmap may import base, bitmap$/);
});

test('import type, export from and side-effect imports count as arrows', () => {
  assert.equal(
    check('src/base/a.ts', "import type { Machine } from '../machine/machine.js';\n").length,
    1,
  );
  assert.equal(check('src/base/b.ts', "export * from '../linux/err.js';\n").length, 1);
  assert.equal(
    check('src/base/c.ts', "export type { Kernel } from '../linux/kernel.js';\n").length,
    1,
  );
  assert.equal(check('src/machine/d.ts', "import '../linux/kernel.js';\n").length, 1);
  assert.equal(check('src/machine/e.ts', "const m = await import('../cli/main.js');\n").length, 1);
  assert.equal(check('src/machine/f.ts', "declare module '../linux/kernel.js' {}\n").length, 1);
  assert.match(
    check('src/base/a.ts', "import type { M } from '../machine/machine.js';\n")[0]!,
    /import type/,
  );
});

test('genalloc, dmapool and vmalloc never import each other', () => {
  const v = check('src/genalloc/x.ts', "import { DmaPool } from '../dmapool/dma-pool.js';\n");
  assert.equal(v.length, 1);
  assert.match(v[0]!, /error L2: .*genalloc \(core\) may import base, bitmap, genalloc$/);
  assert.equal(
    check('src/vmalloc/x.ts', "import { GenPool } from '../genalloc/gen-pool.js';\n").length,
    1,
  );
});

test("genalloc's core may not import machine/, src/genalloc/devm.ts may", () => {
  const v = check('src/genalloc/gen-pool.ts', "import { Machine } from '../machine/machine.js';\n");
  assert.equal(v.length, 1);
  assert.match(v[0]!, /error L3: /);
  assert.deepEqual(
    check('src/genalloc/devm.ts', "import { Machine } from '../machine/machine.js';\n"),
    [],
  );
  assert.deepEqual(allowedLayers('src/genalloc/devm.ts'), [
    'base',
    'bitmap',
    'machine',
    'genalloc',
  ]);
  assert.deepEqual(
    check('src/dmapool/x.ts', "import { Machine } from '../machine/machine.js';\n"),
    [],
  );
});

test('downward imports, same-folder imports and the entry point are allowed', () => {
  assert.deepEqual(
    check(
      'src/linux/x.ts',
      "import { GenPool } from '../genalloc/gen-pool.js';\nimport { b } from './genalloc.js';\n",
    ),
    [],
  );
  assert.deepEqual(
    check(
      'src/cli/x.ts',
      "import { Machine } from '../index.js';\nimport { r } from '../report/model.js';\n",
    ),
    [],
  );
  assert.deepEqual(
    check('src/index.ts', "export * from './cli/run.js';\nimport './linux/kernel.js';\n"),
    [],
  );
  assert.equal(check('src/linux/y.ts', "import { Machine } from '../index.js';\n").length, 1);
});

test('process modules, packages and process/console use are only for src/cli', () => {
  assert.match(
    check('src/report/x.ts', "import { readFileSync } from 'node:fs';\n")[0]!,
    /error L4: /,
  );
  assert.match(check('src/base/x.ts', "import process from 'process';\n")[0]!, /error L4: /);
  assert.match(
    check('src/base/x.ts', "import { spawn } from 'node:child_process';\n")[0]!,
    /error L4: /,
  );
  assert.match(
    check('src/base/x.ts', "import lodash from 'lodash';\n")[0]!,
    /error L4: .*no runtime dependencies/,
  );
  assert.deepEqual(
    check('src/cli/x.ts', "import { readFileSync } from 'node:fs';\nconsole.log(process.argv);\n"),
    [],
  );
  assert.match(
    check('src/genalloc/x.ts', 'export function f(): void {\n  console.log(1);\n}\n')[0]!,
    /^src\/genalloc\/x\.ts:3:3 - error L5: 'console\.'/,
  );
  assert.match(check('src/machine/x.ts', 'const e = process.env;\n')[0]!, /error L5: 'process\.'/);
  assert.match(check('src/machine/x.ts', 'const e = process?.env;\n')[0]!, /error L5: /);
  assert.match(
    check('src/machine/x.ts', 'globalThis.process.exit(1);\n')[0]!,
    /error L5: .*globalThis/,
  );
  assert.match(
    check('src/base/debug.ts', 'globalThis.process.exit(1);\n')[0]!,
    /only read process\?\.env/,
  );
});

test('comments, strings, templates and regexes never count as code', () => {
  const body = [
    "// import { x } from '../cli/main.js';",
    "/* console.log('no') */",
    'const s = "import { y } from \'../cli/main.js\'; process.exit()";',
    'const t = `console.log ${1 + 1} process.exit`;',
    "const r = /console.log('x')/g;",
    'const o = { process: 1 }; const q = o.process; const c = this.console;',
    '',
  ].join('\n');
  assert.deepEqual(check('src/base/x.ts', body), []);
});

test('base/debug.ts may read process.env through globalThis, as it is written', () => {
  const debug = readSources('src/base').find((f) => f.path === 'src/base/debug.ts');
  assert.ok(debug !== undefined, 'src/base/debug.ts exists');
  assert.deepEqual(checkArchitecture([debug]), []);
  assert.equal(checkArchitecture([{ path: 'src/base/units.ts', text: debug.text }]).length, 1);
});

test('a file outside every layer, or an import leaving src/, is reported', () => {
  assert.match(check('src/misc/x.ts', '')[0]!, /error L6: .*not in a layer/);
  assert.match(check('src/helpers.ts', '')[0]!, /error L6: /);
  assert.match(
    check('src/base/x.ts', "import { w } from '../../bench/workloads.js';\n")[0]!,
    /error L6: .*outside src/,
  );
});
