// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report in a real browser: render a model, write the page to a temporary folder, open
 * it from disk in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * and check that the maps and plots are drawn (present, with non-zero boxes), that the
 * page logs no error and fetches nothing, and that its JSON island reads back. A screenshot
 * of the whole page is saved to dist/test-output/ (report.png: the built-in scenario's).
 *
 * Kernel: none (kmem's report).
 *
 * The test FAILS when Chromium is missing (install it: `apt-get install -y chromium`; .ci/run
 * does), unless KMEM_SKIP_BROWSER=1 is set. KMEM_CHROMIUM overrides the executable's path.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderHtml, type ReportModel } from '../../src/report/index.js';
import { defaultScenarioPath, loadScenario } from '../../src/cli/scenario/load.js';
import { runScenario } from '../../src/cli/scenario/run-scenario.js';
import { reportFixture } from '../helpers/report-fixture.js';

/** The report of `kmem` with no arguments: the built-in scenario, on its own seed. */
function defaultScenarioModel(): ReportModel {
  const s = loadScenario(defaultScenarioPath(), process.cwd());
  return runScenario(s, { command: 'kmem' }).model;
}

/**
 * The reports under test, each with its screenshot's name: the built-in scenario's (what
 * users see first), and the fixture, which also has replay panels.
 */
const REPORTS: ReadonlyArray<readonly [name: string, model: () => ReportModel, png: string]> = [
  ['the built-in scenario', defaultScenarioModel, 'report.png'],
  ['the fixture with replay panels', reportFixture, 'report-fixture.png'],
];

const CHROMIUM = process.env['KMEM_CHROMIUM'] ?? '/usr/bin/chromium';
const SKIP = process.env['KMEM_SKIP_BROWSER'] === '1';
/** dist/test/report/browser.test.js → dist/test-output/<png> */
const screenshotPath = (png: string): string =>
  fileURLToPath(new URL(`../../test-output/${png}`, import.meta.url));
/*
 * The few parts of playwright-core's API used here. Its own .d.ts files need the DOM
 * library, which the project leaves out so that src/ cannot use browser globals; the
 * module is loaded by a name TypeScript does not resolve, and typed by these.
 */
interface ConsoleMessage {
  type(): string;
  text(): string;
}
interface Page {
  on(event: 'console', f: (m: ConsoleMessage) => void): void;
  on(event: 'pageerror', f: (e: Error) => void): void;
  on(event: 'request', f: (r: { url(): string }) => void): void;
  goto(url: string, options: { waitUntil: 'load' }): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: {
    launchPersistentContext(
      userDataDir: string,
      options: {
        executablePath: string;
        headless: boolean;
        args: string[];
        viewport: { width: number; height: number };
      },
    ): Promise<BrowserContext>;
  };
}
const PLAYWRIGHT: string = 'playwright-core';

/** Return the [width, height] of every element matching a CSS selector, in the page. */
async function boxes(page: Page, selector: string): Promise<Array<[number, number]>> {
  const expr =
    `Array.from(document.querySelectorAll(${JSON.stringify(selector)}), (e) => {` +
    ' const r = e.getBoundingClientRect(); return [r.width, r.height]; })';
  return (await page.evaluate(expr)) as Array<[number, number]>;
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What the page must show: a selector and how many elements at least. */
const DRAWN: ReadonlyArray<readonly [selector: string, min: (m: ReportModel) => number]> = [
  ['svg.kmem-chunk-map', (m) => m.genpools.reduce((n, p) => n + p.chunks.length, 0)],
  ['svg.kmem-chunk-map rect.kmem-run', (m) => Math.min(1, m.genpools.length)],
  ['svg.kmem-chunk-map rect.kmem-largest-free', (m) => Math.min(1, m.genpools.length)],
  ['svg.kmem-dmapool-map', (m) => m.dmapools.length],
  ['svg.kmem-vmalloc-map', (m) => (m.vmalloc !== null && m.vmalloc.areas.length > 0 ? 1 : 0)],
  ['svg.kmem-vmalloc-map rect.kmem-vm-area', (m) => Math.min(1, m.vmalloc?.areas.length ?? 0)],
  ['svg.kmem-plot', (m) => (m.time !== null && m.time.series.length > 0 ? 1 : 0)],
  ['svg.kmem-plot polyline', (m) => (m.time !== null && m.time.series.length > 0 ? 1 : 0)],
  ['svg.kmem-flush-timeline rect.kmem-flush', (m) => Math.min(1, m.time?.flushes.length ?? 0)],
  ['svg.kmem-replay-panel', (m) => m.replay.length],
  ['svg.kmem-replay-panel rect.kmem-life', (m) => Math.min(1, m.replay.length)],
  ['table.kmem-table', (m) => m.tables.length],
];

for (const [name, reportModel, png] of REPORTS) {
  test(
    `the report of ${name} renders in headless Chromium: maps and plots drawn, no error, screenshot saved`,
    { skip: SKIP ? 'KMEM_SKIP_BROWSER=1' : false, timeout: 120_000 },
    async () => {
      assert.ok(
        existsSync(CHROMIUM),
        `Chromium not found at ${CHROMIUM}: run 'apt-get install -y chromium' ` +
          '(or set KMEM_SKIP_BROWSER=1 to skip this test)',
      );
      const { chromium } = (await import(PLAYWRIGHT)) as Playwright;
      const model = reportModel();
      const dir = mkdtempSync(join(tmpdir(), 'kmem-report-'));
      const file = join(dir, 'report.html');
      writeFileSync(file, renderHtml(model));
      const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: { width: 1280, height: 900 },
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        const problems: string[] = [];
        page.on('console', (msg) => {
          if (msg.type() === 'error' || msg.type() === 'warning')
            problems.push(`console ${msg.type()}: ${msg.text()}`);
        });
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        page.on('request', (req) => {
          if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
        });
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        for (const [selector, min] of DRAWN) {
          const found = await boxes(page, selector);
          assert.ok(
            found.length >= min(model),
            `${selector}: ${found.length} drawn, expected ≥ ${min(model)}`,
          );
          // a series that never changes is a flat line: its box has a width and no height
          const flatOk = selector.endsWith('polyline');
          found.forEach(([w, h], i) =>
            assert.ok(w! > 0 && (h! > 0 || flatOk), `${selector} #${i} has an empty box ${w}×${h}`),
          );
        }
        const data = await page.evaluate(
          "JSON.parse(document.getElementById('kmem-data').textContent)",
        );
        assert.deepEqual(data, JSON.parse(JSON.stringify(model)));
        const shot = screenshotPath(png);
        mkdirSync(dirname(shot), { recursive: true });
        await page.screenshot({ path: shot, fullPage: true });
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
