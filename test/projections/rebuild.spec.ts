import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { loadConfig } from '../../src/config.ts';
import { openPlatform, type Platform } from '../../src/platform.ts';
import type { OrderEvent } from '../../src/domain/order/index.ts';
import { businessMetricsProjection } from '../../src/projections/business/projection.ts';
import { orderHistoryProjection } from '../../src/projections/orders/order-history.ts';
import { seenOnTimeline } from '../../src/projections/orders/order-view.ts';
import {
  compareCheckpoints,
  rebuildSqlProjection,
  runSqlProjection,
  type RebuildableProjection,
  type SqlProjection,
} from '../../src/subscriptions/index.ts';
import { LOG_START } from '../../src/eventstore/event-store.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { adminContext, checkout, inventoryOf, orderState, stockProduct } from '../support/shop.ts';
import { indexesOf, projectionPassed, tableRows, until } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REBUILT = ['order-history', 'catalog', 'business-metrics', 'active-reservations'];
const TABLES: [string, string][] = [
  ['order_history', 'order_id'],
  ['products', 'sku'],
  ['product_availability', 'sku'],
  ['business_order_outcomes', 'outcome, reason'],
  ['business_carts', 'cart_id'],
  ['active_reservations', 'sku, reservation_id'],
];
const SKUS = ['RB-1', 'RB-2', 'RB-3'];
const pause = () => new Promise((resolve) => setTimeout(resolve, 1));

describe.each(['embedded', 'postgres'] as const)('rebuilding projections (%s)', (profile) => {
  let t: TestApp;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // An external read model plugs in the way the search index does: a name and a rebuild.
  const testExternal: RebuildableProjection = {
    name: 'test-external',
    rebuild: async (onProgress) => {
      onProgress?.({ events: 7, position: 7 });
      await gate;
    },
  };
  let customer: { userId: string; headers: Record<string, string> };
  const written = new Set<string>(SKUS.flatMap((sku) => [streams.product(sku), streams.inventory(sku)]));

  const order = async (lines: { sku: string; quantity: number }[], paymentMethod = 'pm_card_visa') => {
    const orderId = await checkout(t.platform, customer.userId, lines, paymentMethod);
    written.add(streams.order(orderId));
    return orderId;
  };
  const receive = (sku: string, quantity = 1) =>
    t.platform.commands.inventory.handle(
      streams.inventory(sku),
      { type: 'ReceiveStock', data: { sku, quantity } },
      adminContext(),
    );
  /** Waits for every order to end (the saga appends until then), then for the projections to pass it all. */
  const caughtUp = async (names = REBUILT) => {
    for (const id of written)
      if (id.startsWith('order-'))
        await until(
          async () => ['confirmed', 'cancelled'].includes((await orderState(t.platform, id.slice(6))).status),
          `order ${id} to end`,
        );
    await Promise.all(names.map((name) => projectionPassed(t.platform.db, t.platform.store, name, written)));
  };
  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(
        TABLES.map(async ([table, key]) => [table, await tableRows(t.platform.db, table, key)]),
      ),
    );

  /** Each order's row shows every status event of its stream once, in order (those people see: no fraud check that let it pass). */
  const expectOrdersExactlyOnce = async () => {
    const orderIds = [...written]
      .filter((id) => id.startsWith('order-'))
      .map((id) => id.slice('order-'.length));
    for (const orderId of orderIds) {
      const events = await t.platform.store.readStream(streams.order(orderId));
      const statusEvents = events.filter(
        (e) => orderHistoryProjection.eventTypes.has(e.type) && seenOnTimeline(e as unknown as OrderEvent),
      );
      const [row] = await t.platform.db.query<{ timeline: { at: string }[] }>(
        `SELECT timeline FROM order_history WHERE order_id = $1`,
        [orderId],
      );
      expect(
        row?.timeline.map((entry) => entry.at),
        orderId,
      ).toEqual(statusEvents.map((e) => e.recordedAt));
    }
  };
  /** Each SKU's availability counts every stock event of its stream once (revision = stream version). */
  const expectStockExactlyOnce = async () => {
    for (const sku of SKUS) {
      const [version, state] = await Promise.all([
        t.platform.store.streamVersion(streams.inventory(sku)),
        inventoryOf(t.platform, sku),
      ]);
      const [row] = await t.platform.db.query<{ on_hand: string; reserved: string; revision: string }>(
        `SELECT on_hand::text, reserved::text, revision::text FROM product_availability WHERE sku = $1`,
        [sku],
      );
      expect(row, sku).toEqual({
        on_hand: String(state.onHand),
        reserved: String(state.reserved),
        revision: String(version),
      });
    }
  };

  beforeAll(async () => {
    // One customer places every order here, as many as the writer below gets to while a rebuild runs:
    // more than the fraud rules let one customer place in an hour on a slow run.
    t = await testApp(
      profile,
      { FRAUD_ORDERS_PER_CUSTOMER_PER_HOUR: '1000' },
      { rebuildable: [testExternal] },
    );
    customer = await signIn(t.app, t.platform, `rebuild-${profile}@example.com`);
    for (const sku of SKUS) await stockProduct(t.platform, sku, 50);
    const orders = [
      await order([{ sku: 'RB-1', quantity: 2 }]),
      await order([
        { sku: 'RB-2', quantity: 1 },
        { sku: 'RB-3', quantity: 3 },
      ]),
      await order([{ sku: 'RB-1', quantity: 1 }], 'pm_card_chargeDeclined'),
    ];
    expect(orders).toHaveLength(3);
    await caughtUp();
  }, 60_000);
  afterAll(() => t.close());

  it('rebuilds each projection into tables equal to the live ones, with the same index names', async () => {
    await caughtUp();
    const before = await snapshot();
    expect(before.order_history).toHaveLength(3);
    const indexes = await Promise.all(TABLES.map(([table]) => indexesOf(t.platform.db, table)));
    for (const name of REBUILT) {
      const progress: number[] = [];
      await t.platform.projections.rebuild(name, (p) => progress.push(p.events));
      expect(progress.at(-1), name).toBeGreaterThan(0);
      expect(t.platform.projections.rebuildStatus(name)?.state).toBe('succeeded');
    }
    await caughtUp();
    expect(await snapshot()).toEqual(before);
    expect(await Promise.all(TABLES.map(([table]) => indexesOf(t.platform.db, table)))).toEqual(indexes);
    const leftovers = await t.platform.db.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild%'`,
    );
    expect(leftovers).toEqual([]);
  });

  it('shows every event appended during a rebuild exactly once, including those the live projection applied before the swap', async () => {
    let rebuilding = true;
    let appendedDuring = 0;
    let appendedBeforeSwap = 0;
    const writer = (async () => {
      for (let i = 0; rebuilding; i++) {
        await receive(SKUS[i % SKUS.length]!);
        if (i % 4 === 0) await order([{ sku: SKUS[i % SKUS.length]!, quantity: 1 }]);
        appendedDuring += 1;
        await pause(); // PGlite answers within microtasks: without a pause this loop would starve every timer
      }
    })();
    const rebuild = (projection: SqlProjection) =>
      rebuildSqlProjection(t.platform.db, projection, {
        batchSize: 4,
        // The live projection applies these to the old tables and moves on; after the swap it must apply
        // them again to the new ones, from where the replay ended.
        beforeSwap: async () => {
          await receive('RB-2', 2);
          await order([{ sku: 'RB-3', quantity: 1 }]);
          appendedBeforeSwap += 2;
          await projectionPassed(t.platform.db, t.platform.store, projection.name, written);
        },
      });
    try {
      const results = await Promise.all([
        rebuild(t.platform.catalog.projection),
        rebuild(orderHistoryProjection),
      ]);
      expect(results.every((r) => r.events > 0)).toBe(true);
    } finally {
      rebuilding = false;
      await writer;
    }
    expect(appendedDuring).toBeGreaterThan(0);
    expect(appendedBeforeSwap).toBe(4);
    await receive('RB-1', 3);
    await order([{ sku: 'RB-1', quantity: 1 }]);
    await caughtUp(['catalog', 'order-history']);
    await expectStockExactlyOnce();
    await expectOrdersExactlyOnce();
  }, 60_000);

  it('applies each event once when two workers follow the same projection', async () => {
    const second = await runSqlProjection(t.platform.store, t.platform.db, t.platform.catalog.projection);
    try {
      for (let i = 0; i < 30; i++) {
        await receive(SKUS[i % SKUS.length]!);
        await pause();
      }
      await caughtUp(['catalog']);
      expect(compareCheckpoints(second.checkpoint, LOG_START)).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
    await expectStockExactlyOnce();
  });

  it('applies each event once when two workers follow projections that read, then write (one exchange per batch on PGlite)', async () => {
    const second = await Promise.all(
      [businessMetricsProjection, orderHistoryProjection].map((p) =>
        runSqlProjection(t.platform.store, t.platform.db, p),
      ),
    );
    try {
      for (let i = 0; i < 6; i++) await order([{ sku: SKUS[i % SKUS.length]!, quantity: 1 }]);
      await caughtUp(['business-metrics', 'order-history']);
      for (const s of second) expect(compareCheckpoints(s.checkpoint, LOG_START)).toBeGreaterThan(0);
    } finally {
      await Promise.all(second.map((s) => s.stop()));
    }
    const count = (sql: string) => t.platform.db.query<{ n: number }>(sql);
    expect(
      await count(`SELECT orders::int AS n FROM business_order_outcomes WHERE outcome = 'placed'`),
    ).toEqual(await count(`SELECT count(*)::int AS n FROM es_events WHERE type = 'OrderPlaced'`));
    await expectOrdersExactlyOnce();
  });

  it('keeps answering reads while a rebuild runs', async () => {
    let rebuilding = true;
    const answers: { status: number; total: number; duringRebuild: boolean }[] = [];
    const reads: Promise<void>[] = [];
    const read = async () => {
      const [product, orders] = await Promise.all([
        t.app.inject({ method: 'GET', url: '/products/RB-1' }),
        t.app.inject({ method: 'GET', url: '/orders', headers: customer.headers }),
      ]);
      for (const response of [product, orders])
        answers.push({ status: response.statusCode, total: orders.json().total, duringRebuild: rebuilding });
    };
    try {
      for (const projection of [orderHistoryProjection, t.platform.catalog.projection])
        await rebuildSqlProjection(t.platform.db, projection, {
          batchSize: 1,
          onProgress: ({ events }) => void (events % 5 === 0 && reads.push(read())),
        });
    } finally {
      rebuilding = false;
      await Promise.all(reads);
    }
    expect(reads.length).toBeGreaterThan(3);
    expect(answers.filter((a) => a.duringRebuild).length).toBeGreaterThan(0);
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(Math.min(...answers.map((a) => a.total))).toBeGreaterThan(0);
  }, 60_000);

  it('starts a rebuild from the admin endpoint: admins only, one at a time, progress in the overview', async () => {
    const admin = await signIn(t.app, t.platform, `rebuild-admin-${profile}@example.com`, 'admin');
    const post = (name: string, headers: Record<string, string> = admin.headers) =>
      t.app.inject({ method: 'POST', url: `/admin/projections/${name}/rebuild`, headers });

    expect((await post('catalog', {})).statusCode).toBe(401);
    expect((await post('catalog', customer.headers)).statusCode).toBe(403);
    expect(
      (await t.app.inject({ method: 'GET', url: '/admin/projections', headers: customer.headers }))
        .statusCode,
    ).toBe(403);
    expect((await post('no-such-projection')).statusCode).toBe(404);
    const refused = await post('checkout-saga-queue');
    expect(refused.statusCode).toBe(422);
    expect(refused.json().detail).toMatch(/work queue/);

    const started = await post('test-external');
    expect(started.statusCode).toBe(202);
    const again = await post('test-external');
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    const overview = async () => {
      const running = await t.app.inject({
        method: 'GET',
        url: '/admin/projections',
        headers: admin.headers,
      });
      expect(running.statusCode).toBe(200);
      return running.json().projections as { name: string; rebuild?: { state: string; events: number } }[];
    };
    // The rebuild counts the log before it reports progress: the overview shows it running at once,
    // and its progress as soon as it is reported.
    expect((await overview()).find((p) => p.name === 'test-external')?.rebuild?.state).toBe('running');
    await expect
      .poll(async () => (await overview()).find((p) => p.name === 'test-external')?.rebuild, {
        timeout: 30_000,
      })
      .toMatchObject({ state: 'running', events: 7 });
    expect((await overview()).map((p) => p.name)).toEqual(expect.arrayContaining(REBUILT));
    release();

    expect((await post('order-history')).statusCode).toBe(202);
    await expect
      .poll(
        async () => {
          const body = (
            await t.app.inject({ method: 'GET', url: '/admin/projections', headers: admin.headers })
          ).json();
          return (body.projections as { name: string; rebuild?: { state: string } }[])
            .filter((p) => ['order-history', 'test-external'].includes(p.name))
            .map((p) => p.rebuild?.state);
        },
        { timeout: 20_000, interval: 50 },
      )
      .toEqual(['succeeded', 'succeeded']);
    await caughtUp(['order-history']);
    await expectOrdersExactlyOnce();
  }, 60_000);

  it('rebuilds from the replay CLI in another process', async () => {
    // PGlite admits one process at a time: the embedded case hands the CLI a database on disk,
    // closed for the while; on PostgreSQL this process keeps serving meanwhile.
    const embedded = profile === 'embedded' ? await embeddedDatabaseOnDisk() : undefined;
    const env: Record<string, string> = embedded
      ? { DATA_DIR: embedded.dir }
      : { DATABASE_URL: t.platform.config.DATABASE_URL! };
    const before = embedded ? embedded.catalog : await snapshot();
    // One at a time: two processes must never open one PGlite directory together.
    const listed = await replayCli(['--list'], env);
    const bad = await replayCli(['--frobnicate'], env);
    const unknown = await replayCli(['no-such-projection'], env);
    const rebuilt = await replayCli(['catalog'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toEqual(expect.arrayContaining(['catalog', 'order-history']));
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown option --frobnicate[\s\S]*usage/),
    });
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no projection is called no-such-projection/),
    });
    expect(rebuilt.stderr).toMatch(/100\.0%/);
    expect(rebuilt.stderr).toMatch(/catalog: rebuilt from [\d,]+ events .* and swapped in/);
    expect(rebuilt.code).toBe(0);
    if (embedded) {
      expect(await embedded.reopen()).toEqual(before);
      return;
    }
    await caughtUp(['catalog']);
    const after = await snapshot();
    expect({ products: after.products, product_availability: after.product_availability }).toEqual({
      products: before.products,
      product_availability: before.product_availability,
    });
  }, 120_000);
});

const replayCli = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/replay.ts', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: '', DATA_DIR: '', LOG_LEVEL: 'silent', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

/** An embedded database on disk with a few products, closed, and a way to read its catalog back. */
async function embeddedDatabaseOnDisk() {
  const dir = await mkdtemp(join(tmpdir(), 'replay-cli-'));
  const config = loadConfig({
    DATA_DIR: dir,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
    PASSWORD_HASH_COST: '10',
    LOG_LEVEL: 'silent',
  });
  const catalogOf = async (platform: Platform) => ({
    products: await tableRows(platform.db, 'products', 'sku'),
    product_availability: await tableRows(platform.db, 'product_availability', 'sku'),
  });
  const platform = await openPlatform(config);
  await platform.startWorkers();
  for (const sku of ['CLI-1', 'CLI-2']) await stockProduct(platform, sku, 4);
  await projectionPassed(
    platform.db,
    platform.store,
    'catalog',
    ['CLI-1', 'CLI-2'].flatMap((sku) => [streams.product(sku), streams.inventory(sku)]),
  );
  const catalog = await catalogOf(platform);
  await platform.close();
  return {
    dir,
    catalog,
    async reopen() {
      const again = await openPlatform(config);
      try {
        return await catalogOf(again);
      } finally {
        await again.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
