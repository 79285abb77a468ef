import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import type { NewEvent, RecordedEvent } from '../../src/eventstore/event-store.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { testMetadata } from '../support/events.ts';
import { nextInstant } from '../support/time.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Run = { code: number; stdout: string; stderr: string };

/** The export command as a real child process, against `url`. */
const runExport = (url: string, args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/export.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });

type Line = {
  eventId: string;
  streamId: string;
  type: string;
  version: number;
  position: number;
  data: unknown;
};
const lines = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
const ids = (events: readonly { eventId: string }[]) => events.map((e) => e.eventId);

const event = (type: string, data: Record<string, unknown>): NewEvent => ({
  eventId: uuidv7(),
  type,
  data,
  metadata: testMetadata(),
});

describe('npm run export (PostgreSQL, as a child process)', () => {
  let database: TestDatabase;
  let url: string;
  let log: readonly RecordedEvent[];
  let since: string;
  const orderStream = `order-${uuidv7()}`;
  const dir = mkdtempSync(join(tmpdir(), 'export-spec-'));

  beforeAll(async () => {
    database = await freshPostgres(4);
    url = database.url!;
    const store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
    await store.append('product-EXP-1', [event('ProductListed', { sku: 'EXP-1' })], 'no_stream');
    await store.append(
      'inventory-EXP-1',
      [
        event('StockReceived', { sku: 'EXP-1', quantity: 5 }),
        event('StockReceived', { sku: 'EXP-1', quantity: 2 }),
      ],
      'no_stream',
    );
    await store.append(orderStream, [event('OrderPlaced', { n: 1 })], 'no_stream');
    since = await nextInstant();
    await store.append('inventory-EXP-1', [event('StockAdjusted', { sku: 'EXP-1', delta: -1 })], 2);
    await store.append(orderStream, [event('OrderConfirmed', { n: 2 })], 1);
    await store.append(
      'inventory-EXP-2',
      [event('StockReceived', { sku: 'EXP-2', quantity: 9 })],
      'no_stream',
    );
    // On PostgreSQL a commit shows in the global log only once older transactions of any database end.
    const deadline = Date.now() + 30_000;
    for (;;) {
      log = (await store.readAll({ maxCount: 1000 })).events;
      if (log.length === 7) break;
      if (Date.now() > deadline) throw new Error(`only ${log.length} of 7 events became visible`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports the whole log in log order, one event per line', async () => {
    const run = await runExport(url, []);
    expect(run.code, run.stderr).toBe(0);
    const exported = lines(run.stdout);
    expect(ids(exported)).toEqual(ids(log));
    expect(exported[1]).toMatchObject({
      streamId: 'inventory-EXP-1',
      type: 'StockReceived',
      version: 1,
      position: log[1]!.globalPosition,
      data: { sku: 'EXP-1', quantity: 5 },
      hash: log[1]!.hash,
      recordedAt: log[1]!.recordedAt,
    });
    expect(run.stderr).toBe('');
  });

  it('filters by category, by event type, and exports one stream in version order', async () => {
    const inventory = lines((await runExport(url, ['--category', 'inventory'])).stdout);
    expect(ids(inventory)).toEqual(ids(log.filter((e) => e.streamId.startsWith('inventory-'))));

    const typed = lines((await runExport(url, ['--type', 'StockReceived,OrderPlaced'])).stdout);
    expect(ids(typed)).toEqual(
      ids(log.filter((e) => e.type === 'StockReceived' || e.type === 'OrderPlaced')),
    );

    const both = lines(
      (await runExport(url, ['--category', 'order', '--category', 'product', '--type', 'OrderConfirmed']))
        .stdout,
    );
    expect(both.map((e) => e.type)).toEqual(['OrderConfirmed']);

    const order = lines((await runExport(url, ['--stream', orderStream])).stdout);
    expect(order.map((e) => [e.version, e.type])).toEqual([
      [1, 'OrderPlaced'],
      [2, 'OrderConfirmed'],
    ]);
  });

  it('starts after a global position or a cursor, and from a time', async () => {
    const third = log[2]!;
    const afterPosition = lines((await runExport(url, ['--from', String(third.globalPosition)])).stdout);
    expect(ids(afterPosition)).toEqual(ids(log.slice(3)));
    const cursor = `${third.checkpoint.transactionId}.${third.globalPosition}`;
    const afterCursor = lines((await runExport(url, ['--from', cursor, '--category', 'order'])).stdout);
    expect(ids(afterCursor)).toEqual(ids(log.slice(3).filter((e) => e.streamId === orderStream)));
    const fromStart = lines((await runExport(url, ['--from', '0'])).stdout);
    expect(fromStart).toHaveLength(7);

    const recent = lines((await runExport(url, ['--since', since])).stdout);
    expect(recent.map((e) => e.type)).toEqual(['StockAdjusted', 'OrderConfirmed', 'StockReceived']);
    const placed = log.find((e) => e.type === 'OrderPlaced')!;
    const streamAfter = lines(
      (await runExport(url, ['--stream', orderStream, '--from', String(placed.globalPosition)])).stdout,
    );
    expect(streamAfter.map((e) => e.type)).toEqual(['OrderConfirmed']);
    const streamSince = lines((await runExport(url, ['--stream', orderStream, '--since', since])).stdout);
    expect(streamSince.map((e) => e.type)).toEqual(['OrderConfirmed']);
  });

  it('writes to a file with --out (complete, nothing on stdout) and reports progress when asked', async () => {
    const out = join(dir, 'log.ndjson');
    const run = await runExport(url, ['--out', out, '--progress']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(ids(lines(readFileSync(out, 'utf8')))).toEqual(ids(log));
    expect(readdirSync(dir)).toEqual(['log.ndjson']);
    expect(run.stderr).toMatch(/exported 7 events \([\d,]+ events\/s\)/);
  });

  it('refuses bad arguments with a readable message and exit code 2, writing nothing', async () => {
    const out = join(dir, 'refused.ndjson');
    const cases: [string[], RegExp][] = [
      [['--bogus'], /Unknown option '--bogus'/],
      [['positional'], /positional/i],
      [['--type', 'NoSuchEvent'], /not an event type/],
      [['--category', 'Order'], /not a stream category/],
      [['--stream', 'not a stream'], /not a stream id/],
      [['--stream', orderStream, '--category', 'order'], /cannot be combined/],
      [['--from', 'yesterday'], /neither a cursor/],
      [['--from', '987654321'], /no event at global position 987654321/],
      [['--since', 'last week'], /not an ISO 8601/],
      [['--out', join(dir, 'missing', 'x.ndjson')], /does not exist/],
      [['--out', dir], /not a file name/],
      [['--out', out, '--from'], /argument missing/],
    ];
    for (const [args, message] of cases) {
      const run = await runExport(url, [...args, ...(args.includes('--out') ? [] : ['--out', out])]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
      expect(existsSync(out), args.join(' ')).toBe(false);
    }
    const badUrl = await new Promise<Run>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/export.ts'],
        { cwd: ROOT, env: { ...process.env, DATABASE_URL: 'mysql://nope' } },
        (error, stdout, stderr) => resolve({ code: Number(error?.code ?? 0), stdout, stderr }),
      ),
    );
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
  });
});
