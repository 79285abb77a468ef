// Lighthouse (mobile) on the storefront:   npm run bench:lighthouse
// Builds the pages, starts the platform as `npm start` does (embedded profile, a temporary DATA_DIR,
// a free port) in a process of its own, and runs Lighthouse's default configuration (the mobile
// preset: a mid-range phone's screen, simulated slow 4G and a 4x slower CPU) in Debian's Chromium
// (CHROME_PATH, default /usr/bin/chromium) on the home page and a product page. Prints the
// performance, accessibility and best-practices scores, FCP, LCP, TBT, CLS and the JavaScript
// transferred, per page (the median of LIGHTHOUSE_RUNS runs by performance score), and exits 1 when
// a page misses a goal: performance >= 0.90, accessibility >= 0.95, best practices >= 0.90
// (issue 16). LIGHTHOUSE_RUNS (3); LIGHTHOUSE_JSON=<dir> keeps each run's report there.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM_FLAGS, ensureChromium } from '../scripts/services/chromium.mjs';
import { demoCatalog } from '../src/seed/demo-catalog.ts';
import { printTable } from './lib/measure.ts';
import { startPlatformProcess } from './lib/platform-process.ts';

const RUNS = Number(process.env.LIGHTHOUSE_RUNS ?? 3);
const KEEP_JSON = process.env.LIGHTHOUSE_JSON;
const GOALS = { performance: 0.9, accessibility: 0.95, 'best-practices': 0.9 } as const;
type Category = keyof typeof GOALS;
const CATEGORIES = Object.keys(GOALS) as Category[];

type Run = {
  /** What Lighthouse emulated: `mobile, simulate` for the mobile preset. */
  emulated: string;
  scores: Record<Category, number>;
  fcp: number;
  lcp: number;
  tbt: number;
  cls: number;
  /** Bytes of JavaScript transferred (compressed, as sent) and how many scripts. */
  jsBytes: number;
  scripts: number;
};

const root = fileURLToPath(new URL('..', import.meta.url));

async function measure(port: number, url: string, label: string, run: number): Promise<Run> {
  const result = await lighthouse(url, {
    port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: [...CATEGORIES],
  });
  if (!result) throw new Error(`Lighthouse gave no result for ${url}`);
  const { lhr } = result;
  if (lhr.runtimeError) throw new Error(`Lighthouse on ${url}: ${lhr.runtimeError.message}`);
  if (KEEP_JSON) {
    mkdirSync(KEEP_JSON, { recursive: true });
    writeFileSync(join(KEEP_JSON, `${label}-${run}.json`), JSON.stringify(lhr, null, 1));
  }
  const metric = (id: string) => lhr.audits[id]?.numericValue ?? Number.NaN;
  const requests =
    (lhr.audits['network-requests']?.details as { items?: Record<string, unknown>[] })?.items ?? [];
  const scripts = requests.filter((r) => r.resourceType === 'Script');
  const score = (category: Category) => lhr.categories[category]?.score ?? 0;
  const { formFactor, throttlingMethod } = lhr.configSettings;
  return {
    emulated: `${formFactor}, ${throttlingMethod} throttling`,
    scores: {
      performance: score('performance'),
      accessibility: score('accessibility'),
      'best-practices': score('best-practices'),
    },
    fcp: metric('first-contentful-paint'),
    lcp: metric('largest-contentful-paint'),
    tbt: metric('total-blocking-time'),
    cls: metric('cumulative-layout-shift'),
    jsBytes: scripts.reduce((sum, r) => sum + Number(r.transferSize ?? 0), 0),
    scripts: scripts.length,
  };
}

/** The run with the median performance score (the usual way to tame Lighthouse's run-to-run noise). */
const median = (runs: Run[]) =>
  [...runs].sort((a, b) => a.scores.performance - b.scores.performance)[Math.floor(runs.length / 2)]!;

async function main() {
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root, stdio: 'inherit' });
  const chromePath = process.env.CHROME_PATH ?? ensureChromium();
  const dataDir = mkdtempSync(join(tmpdir(), 'lighthouse-data-'));
  const platform = await startPlatformProcess({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  let chrome: chromeLauncher.LaunchedChrome | undefined;
  try {
    // The demo catalog searchable first, as a shop that has been open for a while.
    const listed = demoCatalog().length;
    for (let total = 0; total < listed;) {
      const page = (await (await fetch(`${platform.url}/products?pageSize=1`)).json()) as { total: number };
      total = page.total;
      if (total < listed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const inStock = (await (await fetch(`${platform.url}/products?inStock=true&pageSize=1`)).json()) as {
      items: { sku: string }[];
    };
    const pages = {
      home: `${platform.url}/`,
      product: `${platform.url}/shop/products/${encodeURIComponent(inStock.items[0]!.sku)}`,
    };
    // One request each first: the platform's first render of a page is not what a shopper waits for.
    for (const url of Object.values(pages)) await (await fetch(url)).text();

    chrome = await chromeLauncher.launch({
      chromePath,
      chromeFlags: [...CHROMIUM_FLAGS, '--headless=new'],
      logLevel: 'silent',
    });
    const results: Record<string, Run> = {};
    for (const [label, url] of Object.entries(pages)) {
      const runs: Run[] = [];
      for (let run = 1; run <= RUNS; run++) runs.push(await measure(chrome.port, url, label, run));
      results[label] = median(runs);
      console.error(
        `${label}: performance ${runs.map((r) => r.scores.performance.toFixed(2)).join(', ')} over ${RUNS} runs`,
      );
    }

    const rows = Object.entries(results).map(([label, r]) => ({
      page: label,
      performance: r.scores.performance.toFixed(2),
      accessibility: r.scores.accessibility.toFixed(2),
      'best practices': r.scores['best-practices'].toFixed(2),
      'FCP ms': Math.round(r.fcp),
      'LCP ms': Math.round(r.lcp),
      'TBT ms': Math.round(r.tbt),
      CLS: r.cls.toFixed(3),
      'JS KB': (r.jsBytes / 1024).toFixed(1),
      scripts: r.scripts,
    }));
    printTable(
      `Lighthouse ${lighthouseVersion()} (${results.home!.emulated}), median of ${RUNS} runs: ${platform.url}`,
      rows,
    );

    const missed = Object.entries(results).flatMap(([label, r]) =>
      CATEGORIES.filter((c) => r.scores[c] < GOALS[c]).map(
        (c) => `${label}: ${c} ${r.scores[c].toFixed(2)} < ${GOALS[c].toFixed(2)}`,
      ),
    );
    if (missed.length > 0) {
      console.log(`goals missed:\n  ${missed.join('\n  ')}`);
      process.exitCode = 1;
    } else console.log('every goal met (performance >= 0.90, accessibility >= 0.95, best practices >= 0.90)');
  } finally {
    chrome?.kill();
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const lighthouseVersion = (): string =>
  (
    JSON.parse(readFileSync(join(root, 'node_modules', 'lighthouse', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

await main();
