import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import { testRedis } from '../cache/redis.ts';
import { waitUntil } from '../cache/wait.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { killStrayWorkers, spawnWorker, within, type WorkerProcess } from '../support/saga-worker-process.ts';
import { inventoryOf } from '../support/shop.ts';
import {
  buyers,
  gateCounted,
  inParallel,
  onSale,
  orderOf,
  postCheckout,
  type Answer,
  type Buyer,
} from './buyers.ts';

// Two API processes on the services profile (src/main.ts with ROLE=api, as an operator runs them)
// share one gate in Redis, one PostgreSQL; this process runs the workers (projections, the checkout
// saga, the gate's projection and reconciliation) and is the crowd. PGlite admits one process only,
// so the embedded profile's crowd is in checkout-gate.spec.ts.

const JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';
const GATE = { GATE_HOT_CHECKOUTS_PER_SECOND: '20', GATE_PLACEMENT_TIMEOUT_SECONDS: '2' };

describe('the flash-sale gate shared by two API processes (services profile)', () => {
  const redis = testRedis('gate-processes');
  let t: TestApp;
  let apis: { process: WorkerProcess; url: string }[];

  const startApi = async () => {
    const process = spawnWorker({
      ROLE: 'api',
      DATABASE_URL: t.platform.config.DATABASE_URL!,
      DATABASE_POOL_SIZE: '10',
      JWT_SECRET,
      RATE_LIMITS: 'off',
      ...redis.env,
      ...GATE,
    });
    await within(process.ready, 60_000, () => `API process did not start: ${process.output()}`);
    return { process, url: /serving on (http:\/\/\S+)/.exec(process.output())![1]! };
  };

  beforeAll(async () => {
    t = await testApp('postgres', { ...redis.env, ...GATE });
    apis = await Promise.all([startApi(), startApi()]);
  }, 120_000);
  afterAll(async () => {
    await killStrayWorkers();
    await t?.close();
    await redis.close();
  });

  /** Every order settled (confirmed or cancelled), and their states. */
  const settle = async (orderIds: readonly string[]) => {
    await waitUntil(
      `${orderIds.length} orders settled`,
      async () => {
        const states = await Promise.all(orderIds.map((id) => orderOf(t.platform, id)));
        return states.every((s) => s.status === 'confirmed' || s.status === 'cancelled');
      },
      120_000,
    );
    return Promise.all(orderIds.map((id) => orderOf(t.platform, id)));
  };
  const orderIdsOf = (answers: readonly Answer[]) =>
    answers.filter((a) => a.status === 202).map((a) => a.body.orderId as string);
  const placedFor = async (sku: string) => {
    const [row] = await t.platform.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM es_events WHERE type = 'OrderPlaced' AND data->'lines' @> $1::jsonb`,
      [JSON.stringify([{ sku }])],
    );
    return Number(row!.n);
  };
  const ready = async (sku: string) =>
    waitUntil('the gate counted the stock', () => gateCounted(t.platform, sku));

  it('10,000 buyers for 100 units, the gate switched on: exactly 100 orders, all confirmed; 9,900 refused at once', async () => {
    const sku = 'FLASH-100';
    await onSale(t, sku, 100, 'on');
    await ready(sku);
    const crowd = await buyers(t.app, t.platform, 10_000, sku);

    const answers = await inParallel(crowd.length, 200, (i) =>
      postCheckout(apis[i % 2]!.url, crowd[i]!, `flash-100-${i}`),
    );

    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(100);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9_900);
    // Both processes asked the one gate: each refused some, and together they admitted exactly the units
    // (a gate of each process's own would have admitted 100 in each).
    for (const api of [0, 1])
      expect(answers.filter((a, i) => a.status === 409 && i % 2 === api).length).toBeGreaterThan(0);
    expect(answers.find((a) => a.status === 409)!.body).toMatchObject({
      code: 'SoldOut',
      details: { skus: [sku] },
    });
    expect(await placedFor(sku)).toBe(100);
    const orders = await settle(orderIdsOf(answers));
    expect(orders.filter((o) => o.status === 'confirmed')).toHaveLength(100);
    expect(await inventoryOf(t.platform, sku)).toMatchObject({ onHand: 0, reserved: 0 });
    await waitUntil(
      'the admissions settled',
      async () => (await t.platform.gate.of(sku)).ordersWaiting === 0,
    );
    expect(await t.platform.gate.of(sku)).toMatchObject({ admitted: 100, refused: 9_900, remaining: 0 });
  }, 600_000);

  it('1,000 buyers for 1 unit, the gate turning on by itself: one order confirmed, the rest refused or cancelled', async () => {
    const sku = 'FLASH-1';
    await onSale(t, sku, 1);
    await ready(sku);
    const crowd = await buyers(t.app, t.platform, 1_000, sku);

    const answers = await inParallel(crowd.length, 200, (i) =>
      postCheckout(apis[i % 2]!.url, crowd[i]!, `flash-1-${i}`),
    );

    const refused = answers.filter((a) => a.status === 409).length;
    expect(answers.filter((a) => a.status === 202).length + refused).toBe(1_000);
    // Those before the SKU counted as hot went on to the saga; none after.
    expect(refused).toBeGreaterThanOrEqual(900);
    const orders = await settle(orderIdsOf(answers));
    expect(orders.filter((o) => o.status === 'confirmed')).toHaveLength(1);
    for (const order of orders.filter((o) => o.status === 'cancelled'))
      expect(order).toMatchObject({ cancellationReason: 'out_of_stock' });
    expect(await inventoryOf(t.platform, sku)).toMatchObject({ onHand: 0, reserved: 0 });
    expect(await t.platform.gate.of(sku)).toMatchObject({ on: true, reason: 'hot' });
  }, 300_000);

  it('an API process killed mid-sale (SIGKILL) loses nothing and sells nothing twice', async () => {
    const sku = 'FLASH-KILL';
    await onSale(t, sku, 100, 'on');
    await ready(sku);
    const crowd = await buyers(t.app, t.platform, 2_000, sku);
    const [doomed, survivor] = apis as [(typeof apis)[0], (typeof apis)[0]];
    let accepted = 0;
    let killed: Promise<unknown> | undefined;
    let retried = 0;

    // Each buyer asks one process; a buyer whose process died under its request asks the other with
    // the same Idempotency-Key, as a client behind a load balancer does after a lost answer.
    const answers = await inParallel(crowd.length, 100, async (i) => {
      const buyer: Buyer = crowd[i]!;
      const key = `flash-kill-${i}`;
      let answer: Answer | undefined;
      try {
        answer = await postCheckout((i % 2 === 0 ? doomed : survivor).url, buyer, key);
      } catch {
        retried++;
      }
      answer ??= await postCheckout(survivor.url, buyer, key);
      if (answer.status === 202 && ++accepted === 30) killed = doomed.process.stop('SIGKILL');
      return answer;
    });

    expect(await killed).toMatchObject({ signal: 'SIGKILL' });
    expect(retried).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    const orderIds = orderIdsOf(answers);
    expect(new Set(orderIds).size).toBe(orderIds.length);
    // Every order in the log was answered with a 202 (one the dead process placed was found again by
    // its retry), and the gate gave back what the dead process admitted but never placed.
    expect(await placedFor(sku)).toBe(orderIds.length);
    const orders = await settle(orderIds);
    expect(orders.filter((o) => o.status === 'confirmed')).toHaveLength(100);
    await waitUntil(
      'the admissions settled',
      async () => (await t.platform.gate.of(sku)).ordersWaiting === 0,
      60_000,
    );
    expect(await t.platform.gate.of(sku)).toMatchObject({ remaining: 0, admittedUnreserved: 0 });
    const history = await t.platform.store.readStream(streams.inventory(sku));
    const committed = history.filter((e) => e.type === 'ReservationCommitted');
    expect(committed).toHaveLength(100);
    expect(new Set(committed.map((e) => (e.data as { reservationId: string }).reservationId)).size).toBe(100);
    expect(await inventoryOf(t.platform, sku)).toMatchObject({ onHand: 0, reserved: 0 });
  }, 300_000);
});
