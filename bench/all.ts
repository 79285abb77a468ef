// Every benchmark, one summary:   npm run bench
// Runs the benchmarks one after the other, each as a child process (`node --import tsx bench/<x>.ts`)
// with its output streamed as it comes, BENCH_JSON pointing at a temporary file (every table it
// prints is also appended there, see printTable), and shorter runs than its own defaults so that the
// whole command stays within about 15 minutes on this project's 2-core machine (7.5 minutes with
// the services up and other work beside it; each suite's `shorter` below). Then prints
// one summary table: measure | profile | throughput | p50 ms | p99 ms | peak RSS MiB | ceiling (what,
// and its figure in the same run) | load average; and writes it with every raw table to a JSON file.
// A benchmark that fails is marked so in the summary, the others are still summarised, and the
// command exits 1.
// Knobs: any variable a benchmark reads (BENCH_SECONDS, BENCH_PROFILES, ...) set in the environment
// wins over the shorter defaults; BENCH_FULL=1 runs each benchmark with its own defaults (longer, not
// timed); BENCH_SUITES (http,search,browse,flash-sale,spike,rebuild) picks benchmarks; BENCH_RESULTS
// (bench/results/latest.json) is the JSON file; BENCH_TIMEOUT (30) minutes per benchmark.
// The services (PostgreSQL, Redis, Elasticsearch) must be up: `npm run bench` starts them first.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Cell = string | number;
type Row = Record<string, Cell>;
type Table = { title: string; rows: Row[] };

type Suite = Readonly<{
  name: string;
  script: string;
  /** Shorter than the benchmark's own defaults; each yields to the same variable in the environment. */
  shorter: Record<string, string>;
  /** The word this benchmark uses for the profile on PostgreSQL (and Redis, Elasticsearch). */
  servicesProfile?: 'postgres' | 'services';
  summarise(tables: Table[]): Summary[];
}>;

type Summary = {
  measure: string;
  profile: string;
  throughput: string;
  'p50 ms': string;
  'p99 ms': string;
  'peak RSS MiB': string;
  ceiling: string;
  load: string;
};

const root = fileURLToPath(new URL('..', import.meta.url));
const NONE = '—';

// ---- reading the benchmarks' rows -------------------------------------------------------------

const tablesTitled = (tables: Table[], prefix: string) => tables.filter((t) => t.title.startsWith(prefix));
const rowsOf = (tables: Table[], prefix: string) => tablesTitled(tables, prefix).flatMap((t) => t.rows);
const has = (value: Cell | undefined): value is Cell => value !== undefined && value !== '';
/** A figure as the summary shows it: thousands separated; missing, a dash. */
const show = (value: Cell | undefined, unit = ''): string => {
  if (!has(value)) return NONE;
  const text = typeof value === 'number' ? value.toLocaleString('en-US') : value;
  return unit ? `${text} ${unit}` : text;
};
/** "a / b" (as several benchmarks print p50 / p99 in one column) split in two. */
const pair = (value: Cell | undefined): [string, string] => {
  if (!has(value)) return [NONE, NONE];
  const [a, b] = String(value).split('/');
  return [show(a?.trim()), show(b?.trim())];
};
/** The 1-minute figure of a "1m 5m 15m / 1m 5m 15m" load column (before / after). */
const oneMinute = (value: Cell | undefined): string | undefined =>
  has(value)
    ? String(value)
        .split('/')
        .map((part) => part.trim().split(/\s+/)[0])
        .join(' → ')
    : undefined;

/** A summary row, its columns in the table's order; a figure not given is a dash. */
const summary = (fields: Partial<Summary> & Pick<Summary, 'measure' | 'profile'>): Summary => ({
  measure: fields.measure,
  profile: fields.profile,
  throughput: fields.throughput ?? NONE,
  'p50 ms': fields['p50 ms'] ?? NONE,
  'p99 ms': fields['p99 ms'] ?? NONE,
  'peak RSS MiB': fields['peak RSS MiB'] ?? NONE,
  ceiling: fields.ceiling ?? NONE,
  load: fields.load ?? '',
});

const SUITES: readonly Suite[] = [
  {
    name: 'http',
    script: 'bench/http.ts',
    shorter: {
      BENCH_SECONDS: '5',
      BENCH_WARMUP: '2',
      BENCH_CART_CUSTOMERS: '128',
      BENCH_CHECKOUTS: '1000',
      BENCH_RATE: '100',
    },
    servicesProfile: 'postgres',
    summarise(tables) {
      const rows = rowsOf(tables, 'HTTP benchmark');
      const common = (row: Row) => ({
        profile: String(row.profile),
        'p50 ms': show(row['p50 ms']),
        'p99 ms': show(row['p99 ms']),
        'peak RSS MiB': show(row['peak RSS MiB']),
        load: oneMinute(row['load before / after']) ?? '',
      });
      const out: Summary[] = [];
      for (const row of rows) {
        const measure = String(row.measure);
        if (measure === 'product detail')
          out.push(
            summary({
              ...common(row),
              measure: 'product detail',
              throughput: show(row['req/s'], 'req/s'),
              ceiling: `bare Fastify route: ${show(row['bare req/s'], 'req/s')} (p99 ${show(row['bare p99 ms'])} ms); ${show(row['of bare'])} of it`,
            }),
          );
        else if (measure.startsWith('add to cart'))
          out.push(
            summary({
              ...common(row),
              measure: 'add to cart',
              throughput: show(row['req/s'], 'req/s'),
            }),
          );
        else if (measure === 'checkout accepted (202)')
          out.push(
            summary({
              ...common(row),
              measure: 'checkout accepted (closed loop)',
              throughput: show(row['req/s'], 'req/s'),
            }),
          );
        else if (measure.startsWith('POST /checkout -> confirmed'))
          out.push(
            summary({
              ...common(row),
              measure: `placement → confirmation${measure.replace('POST /checkout -> confirmed', '')}`,
              throughput: `${show(row['req/s'], 'orders/s')} offered, ${show(row.confirmed)} confirmed`,
            }),
          );
      }
      return out;
    },
  },
  {
    name: 'search',
    script: 'bench/search.ts',
    // The platform's two engines; PGlite and PostgreSQL full-text are references from before them.
    shorter: { BENCH_SECONDS: '5', BENCH_ENGINES: 'elasticsearch,in-process' },
    summarise(tables) {
      const rows = rowsOf(tables, 'Catalog search');
      const products = /Catalog search, ([\d,]+) products/.exec(
        tablesTitled(tables, 'Catalog search')[0]?.title ?? '',
      )?.[1];
      return rows
        .filter(
          (r) =>
            r['in flight'] === 8 &&
            (String(r.engine).startsWith('Elasticsearch') || r.engine === 'in-process index, unchanged'),
        )
        .map((r) =>
          summary({
            measure: `search, 8 in flight${products ? ` (${products} products)` : ''}`,
            profile: String(r.engine).startsWith('Elasticsearch')
              ? `services (${String(r.engine)})`
              : 'embedded (in-process index)',
            throughput: show(r['req/s'], 'searches/s'),
            'p50 ms': show(r['p50 ms']),
            'p99 ms': show(r['p99 ms']),
            // Not a peak: the RSS when the run ended, of the Elasticsearch node or of the bench process
            // (which holds the index and the PGlite read model it was built from).
            'peak RSS MiB': `${show(r['RSS MiB'])}, at the end`,
            ceiling: 'none in this bench',
          }),
        );
    },
  },
  {
    name: 'browse',
    script: 'bench/browse.ts',
    shorter: { BENCH_SECONDS: '5', BENCH_ROUNDS: '1' },
    servicesProfile: 'services',
    summarise(tables) {
      const rows = rowsOf(tables, 'Browsing beside product detail').filter(
        (r) => typeof r.round === 'number',
      );
      // The last round of each profile.
      const last = new Map(rows.map((r) => [String(r.profile), r]));
      return [...last.values()].map((r) => {
        const [p50, p99] = pair(r['browse p50/p99 ms']);
        const [, detailP99] = pair(r['detail p50/p99 ms']);
        return summary({
          measure: 'listing pages over HTTP (browse mix)',
          profile: String(r.profile),
          throughput: show(r['browse req/s'], 'req/s'),
          'p50 ms': p50,
          'p99 ms': p99,
          'peak RSS MiB': `${show(r['RSS MiB'])}, at the end`,
          ceiling: `product detail, same processes: ${show(r['detail req/s'], 'req/s')} (p99 ${detailP99} ms); ${show(r['browse / detail'])}× of it`,
          load:
            String(r['load (detail, browse)'] ?? '')
              .split(',')[1]
              ?.trim() ?? '',
        });
      });
    },
  },
  {
    name: 'flash-sale',
    script: 'bench/flash-sale.ts',
    shorter: { BENCH_SECONDS: '5' },
    servicesProfile: 'services',
    summarise(tables) {
      const out = rowsOf(tables, 'Flash sale over HTTP').map((r) => {
        const [p50, p99] = pair(r['answer p50 / p99 ms']);
        const [buyers, units] = pair(r['buyers / units']);
        return summary({
          measure: `flash sale over HTTP (${buyers} buyers, ${units} units)`,
          profile: String(r.profile),
          throughput: `${show(r['answers/s'], 'answers/s')}; ${show(r['confirmed'])} confirmed`,
          'p50 ms': p50,
          'p99 ms': p99,
          'peak RSS MiB': show(r['peak RSS MiB']),
          load: oneMinute(r['load before / after']) ?? '',
        });
      });
      const gateRows = rowsOf(tables, 'One SKU at the gate');
      const gate = gateRows.find((r) => String(r.measure).startsWith('gate'));
      const ceilings = gateRows.filter((r) => String(r.measure).startsWith('ceiling'));
      const redis = gateRows.find((r) => r.measure === 'Redis used memory')?.['decisions/s at the gate'];
      if (gate) {
        const [p50, p99] = pair(gate['p50 / p99 ms']);
        out.push(
          summary({
            measure: 'flash-sale gate, one SKU',
            profile: 'services (Redis)',
            throughput: show(gate['decisions/s at the gate'], 'decisions/s'),
            'p50 ms': p50,
            'p99 ms': p99,
            'peak RSS MiB': has(redis) ? `${NONE} (Redis used ${redis})` : NONE,
            ceiling:
              ceilings
                .map((c) => {
                  const pipeline = /pipeline (\d+)/.exec(String(c.measure))?.[1];
                  return `${pipeline === '1' ? 'redis-benchmark EVALSHA' : `pipelined ${pipeline}`}: ${show(c['decisions/s at the gate'], 'decisions/s')} (p99 ${pair(c['p50 / p99 ms'])[1]} ms)`;
                })
                .join('; ') || NONE,
            load: oneMinute(gate.load) ?? '',
          }),
        );
      }
      return out;
    },
  },
  {
    name: 'spike',
    script: 'bench/spike.ts',
    // Its own defaults: 5 s before, 5 s of surge, 5 s after.
    shorter: {},
    servicesProfile: 'services',
    summarise(tables) {
      const all = rowsOf(tables, 'Spike');
      const byProfile = (phase: (r: Row) => boolean) =>
        new Map(all.filter(phase).map((r) => [String(r.profile), r]));
      const drains = byProfile((r) => r.phase === 'drain');
      // The surge offered to the API alone: the best p99 the surge row can be set beside.
      const ceilings = byProfile((r) => String(r.phase).startsWith('ceiling'));
      const rows = all.filter((r) => !String(r.phase).startsWith('ceiling'));
      return rows.map((r) => {
        const drain = drains.get(String(r.profile));
        const common = {
          profile: String(r.profile),
          'peak RSS MiB': show(drain?.['peak RSS MiB']),
          load: oneMinute(drain?.['load before / after']) ?? '',
        };
        if (r.phase === 'drain')
          return summary({
            ...common,
            measure: 'spike: the surge drained',
            throughput: `${show(r['surge settled after its end s'], 's after its end')}; ${show(r.confirmed)} confirmed`,
          });
        const phase = String(r.phase);
        // The checkouts of the phase answered 202, of those offered (its rate times its seconds).
        const [, rate, seconds] = /(\d+)\/s for ([\d.]+) s/.exec(phase) ?? [];
        const offered = Number(rate) * Number(seconds);
        const ceiling = phase.startsWith('surge') ? ceilings.get(String(r.profile)) : undefined;
        return summary({
          ...common,
          measure: `spike, ${phase}`,
          throughput: `${show(r['202'])}${offered ? `/${show(offered)}` : ''} answered 202`,
          'p50 ms': show(r['202 p50 ms']),
          'p99 ms': show(r['202 p99 ms']),
          ...(ceiling && {
            ceiling: `the surge to the API alone (no saga, no projections): p50 ${show(ceiling['202 p50 ms'])} / p99 ${show(ceiling['202 p99 ms'])} ms`,
          }),
        });
      });
    },
  },
  {
    name: 'rebuild',
    script: 'bench/rebuild.ts',
    shorter: { BENCH_EVENTS: '300000' },
    summarise(tables) {
      return rowsOf(tables, 'Rebuild from position 0').map((r) =>
        summary({
          measure: `rebuild, ${show(r.projection)} (${show(r.events)} events)`,
          profile: 'postgres',
          throughput: show(r['rebuild events/s'], 'events/s'),
          'peak RSS MiB': show(r['peak RSS MiB']),
          ceiling: has(r['raw SQL reads events/s (ceiling)'])
            ? `raw SQL reads of the same pages: ${show(r['raw SQL reads events/s (ceiling)'], 'events/s')}; ${show(r['of ceiling'])} of it`
            : NONE,
          load: oneMinute(r['load before / after']) ?? '',
        }),
      );
    },
  },
];

// ---- running them ----------------------------------------------------------------------------

const FULL = process.env.BENCH_FULL === '1';
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT ?? 30) * 60_000;
const RESULTS = resolve(root, process.env.BENCH_RESULTS ?? 'bench/results/latest.json');
const chosen = (process.env.BENCH_SUITES ?? SUITES.map((s) => s.name).join(',')).split(',');
const unknown = chosen.filter((name) => !SUITES.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `BENCH_SUITES: no benchmark called ${unknown.join(', ')} (${SUITES.map((s) => s.name).join(', ')})`,
  );
  process.exit(2);
}

type Outcome = {
  name: string;
  command: string;
  /** What this command set for it (shorter runs, the profile's name); the rest is inherited. */
  env: Record<string, string>;
  exitCode: number | null;
  signal: string | null;
  failure?: string;
  seconds: number;
  /** The 1-minute load average sampled every 5 s while it ran: lowest, highest. */
  load: [number, number];
  tables: Table[];
};

/** The benchmark running now: it leads a process group of its own (detached), with its platform processes. */
let running: number | undefined;
/** The benchmark's process group: the benchmark and everything it started and left running. */
const killGroup = (pid: number | undefined, signal: NodeJS.Signals) => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // nothing left in it
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    killGroup(running, signal);
    console.error(`\n${signal}: stopped (the benchmark running was stopped too)`);
    process.exit(130);
  });

/** The child's environment: the shorter runs unless set already, the profile names it knows. */
function environmentFor(suite: Suite, jsonFile: string) {
  const set: Record<string, string> = {};
  if (!FULL)
    for (const [key, value] of Object.entries(suite.shorter)) if (!process.env[key]) set[key] = value;
  const profiles = process.env.BENCH_PROFILES;
  if (profiles && suite.servicesProfile)
    set.BENCH_PROFILES = profiles.replace(/\b(postgres|services)\b/g, suite.servicesProfile);
  return { set, env: { ...process.env, ...set, BENCH_JSON: jsonFile } };
}

async function run(suite: Suite, index: number, dir: string): Promise<Outcome> {
  const jsonFile = join(dir, `${suite.name}.jsonl`);
  writeFileSync(jsonFile, '');
  const { set, env } = environmentFor(suite, jsonFile);
  const command = `tsx ${suite.script}`;
  const settings = Object.entries(set)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `\n━━━ [${index + 1}/${chosen.length}] ${suite.name}: ${command}${settings ? `  (${settings})` : ''} ━━━`,
  );
  const loads = [loadavg()[0]!];
  const sampler = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', suite.script], {
    cwd: root,
    env,
    stdio: 'inherit',
    detached: true,
  });
  running = child.pid;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`\n${suite.name}: still running after ${TIMEOUT_MS / 60_000} min, stopped`);
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), 10_000).unref();
  }, TIMEOUT_MS);
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((done) => {
    child.once('error', (error) => {
      console.error(`${suite.name}: ${error.message}`);
      done([null, null]);
    });
    child.once('exit', (code, sig) => done([code, sig]));
  });
  clearTimeout(timer);
  clearInterval(sampler);
  loads.push(loadavg()[0]!);
  // Its platform processes, should it have left any behind when it failed.
  if (exitCode !== 0) killGroup(child.pid, 'SIGTERM');
  running = undefined;
  const seconds = (performance.now() - started) / 1000;
  const tables = readFileSync(jsonFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Table);
  const failure = timedOut
    ? `timed out after ${TIMEOUT_MS / 60_000} min`
    : exitCode === 0
      ? undefined
      : signal
        ? `killed by ${signal}`
        : `exit code ${exitCode}`;
  console.log(
    `━━━ ${suite.name}: ${failure ? `FAILED (${failure})` : 'done'} in ${seconds.toFixed(0)} s ━━━`,
  );
  return {
    name: suite.name,
    command,
    env: set,
    exitCode,
    signal,
    ...(failure ? { failure } : {}),
    seconds: Number(seconds.toFixed(1)),
    load: [Math.min(...loads), Math.max(...loads)],
    tables,
  };
}

function summariseAll(outcomes: Outcome[]): Summary[] {
  const rows: Summary[] = [];
  for (const outcome of outcomes) {
    const suite = SUITES.find((s) => s.name === outcome.name)!;
    let found: Summary[] = [];
    try {
      found = suite.summarise(outcome.tables);
    } catch (error) {
      found = [
        summary({
          measure: `${outcome.name}: its tables could not be read (${String(error)})`,
          profile: NONE,
        }),
      ];
    }
    const during = `${outcome.load[0].toFixed(1)}–${outcome.load[1].toFixed(1)} (run)`;
    for (const row of found) rows.push({ ...row, load: row.load || during });
    if (outcome.failure)
      rows.push(
        summary({ measure: `${outcome.name}: FAILED (${outcome.failure})`, profile: NONE, load: during }),
      );
    else if (found.length === 0)
      rows.push(
        summary({
          measure: `${outcome.name}: no rows recognised (see its tables)`,
          profile: NONE,
          load: during,
        }),
      );
  }
  return rows;
}

/** A Markdown table (the columns padded), to read here and to paste into docs/PERFORMANCE.md. */
function markdown(rows: Summary[]): string {
  const columns = Object.keys(rows[0] ?? summary({ measure: '', profile: '' })) as (keyof Summary)[];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => r[c]))),
  ].join('\n');
}

const startedAt = new Date();
const wallStarted = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'bench-all-'));
const outcomes: Outcome[] = [];
try {
  for (const [i, name] of chosen.entries())
    outcomes.push(
      await run(
        SUITES.find((s) => s.name === name)!,
        i,
        dir,
      ),
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const wallSeconds = (performance.now() - wallStarted) / 1000;
const rows = summariseAll(outcomes);
const failed = outcomes.filter((o) => o.failure);

console.log(
  `\nSummary (${FULL ? "each benchmark's own defaults" : 'shorter runs; BENCH_FULL=1 for the full ones'}; ` +
    `${cpus().length} cores shared by the load generator and the platform; load = 1-minute load average)\n`,
);
console.log(markdown(rows));
console.log(
  `\nthroughput: measured, except placement → confirmation's (offered, open loop). peak RSS: the ` +
    `highest any one platform process reported in /metrics while measured (http, flash sale, spike), ` +
    `of the rebuilding process (rebuild), or when the run ended where the bench reports no peak ` +
    `(search: the Elasticsearch node or the bench process holding the index; browse: API + worker).`,
);
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(
  RESULTS,
  `${JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      wallSeconds: Number(wallSeconds.toFixed(1)),
      full: FULL,
      cores: cpus().length,
      failed: failed.map((o) => o.name),
      summary: rows,
      benchmarks: outcomes,
    },
    null,
    2,
  )}\n`,
);
const minutes = `${Math.floor(wallSeconds / 60)} min ${Math.round(wallSeconds % 60)} s`;
console.log(
  `\n${outcomes.length} benchmarks in ${minutes}; results: ${RESULTS.startsWith(root) ? relative(root, RESULTS) : RESULTS}`,
);
if (failed.length > 0) {
  console.error(`FAILED: ${failed.map((o) => `${o.name} (${o.failure})`).join(', ')}`);
  process.exit(1);
}
