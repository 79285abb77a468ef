import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import type { SqlClient } from '../../src/db/sql-client.ts';
import { fold } from '../../src/domain/decider.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { inventoryDecider, type InventoryEvent } from '../../src/domain/inventory/index.ts';
import type { NewEvent, RecordedEvent } from '../../src/eventstore/event-store.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { stockHistoryProjection } from '../../src/projections/stock-history/index.ts';
import { testMetadata } from '../support/events.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { nextInstant } from '../support/time.ts';
import { projectionPassed, tableRows } from './support.ts';

type Headers = Record<string, string>;

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * Stock movements of every kind, as the inventory decider would record them: stock received and
 * adjusted, reservations made and then committed, released or expired, committed ones returned.
 */
function movements(sku: string, seed: number) {
  const next = random(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const active: { reservationId: string; quantity: number }[] = [];
  const committed: { reservationId: string; quantity: number }[] = [];
  const at = () => new Date().toISOString();
  const expiresAt = new Date(Date.now() + 24 * 3_600_000).toISOString();
  return (): InventoryEvent => {
    const kinds = ['received', 'adjusted', 'reserved', 'reserved'];
    if (active.length > 0) kinds.push('committed', 'committed', 'released', 'expired');
    if (committed.length > 0) kinds.push('returned');
    const kind = kinds[int(0, kinds.length - 1)];
    const take = <T>(list: T[]) => list.splice(int(0, list.length - 1), 1)[0]!;
    switch (kind) {
      case 'received':
        return { type: 'StockReceived', data: { sku, quantity: int(1, 40) } };
      case 'adjusted':
        return {
          type: 'StockAdjusted',
          data: { sku, delta: int(1, 8) * (next() < 0.5 ? -1 : 1), reason: 'count' },
        };
      case 'reserved': {
        const reservation = { reservationId: uuidv7(), quantity: int(1, 5) };
        active.push(reservation);
        return { type: 'StockReserved', data: { sku, ...reservation, expiresAt, reservedAt: at() } };
      }
      case 'committed': {
        const reservation = take(active);
        committed.push(reservation);
        return { type: 'ReservationCommitted', data: { sku, ...reservation, committedAt: at() } };
      }
      case 'released':
        return {
          type: 'ReservationReleased',
          data: { sku, ...take(active), reason: 'payment declined', releasedAt: at() },
        };
      case 'expired':
        return { type: 'ReservationExpired', data: { sku, ...take(active), expiredAt: at() } };
      default:
        return {
          type: 'ReservationReturned',
          data: { sku, ...take(committed), reason: 'order cancelled', returnedAt: at() },
        };
    }
  };
}

const recorded = (event: InventoryEvent): NewEvent => ({ ...event, metadata: testMetadata() });

/** What `GET /inventory/:sku?asOf=` must answer: the domain's fold of the events recorded by then. */
function expectedAt(sku: string, events: readonly RecordedEvent[], asOf: string) {
  const until = Date.parse(asOf);
  const folded = events
    .filter((e) => Date.parse(e.recordedAt) <= until)
    .map((e) => e as unknown as InventoryEvent);
  if (folded.length === 0) return undefined;
  const state = fold(inventoryDecider, folded);
  return { sku, onHand: state.onHand, reserved: state.reserved, available: state.onHand - state.reserved };
}

/** Instants around every event of the stream (its own, a millisecond before and after) and between appends. */
const momentsOf = (events: readonly RecordedEvent[], between: readonly string[]) => {
  const times = new Set(between);
  for (const event of events)
    for (const offset of [-1, 0, 1]) times.add(new Date(Date.parse(event.recordedAt) + offset).toISOString());
  return [...times].filter((time) => Date.parse(time) <= Date.now()).sort();
};

describe.each(['embedded', 'postgres'] as const)('stock history (%s)', (profile) => {
  let t: TestApp;
  let auditor: { headers: Headers };
  let admin: { headers: Headers };
  let customer: { headers: Headers };
  const written = new Set<string>();

  beforeAll(async () => {
    t = await testApp(profile);
    auditor = await signIn(t.app, t.platform, `sh-auditor-${profile}@example.com`, 'auditor');
    admin = await signIn(t.app, t.platform, `sh-admin-${profile}@example.com`, 'admin');
    customer = await signIn(t.app, t.platform, `sh-customer-${profile}@example.com`);
  });
  afterAll(() => t.close());

  const stockAt = (sku: string, asOf: string, headers: Headers = auditor.headers) =>
    t.app.inject({ method: 'GET', url: `/inventory/${sku}?asOf=${encodeURIComponent(asOf)}`, headers });

  /** Appends `appends` batches of 1-6 generated events to the SKU's stream; the instants between them. */
  async function appendMovements(sku: string, appends: number, next = movements(sku, appends)) {
    const stream = streams.inventory(sku);
    written.add(stream);
    const between = [await nextInstant()];
    for (let i = 0; i < appends; i++) {
      const events = Array.from({ length: 1 + (i % 6) }, () => recorded(next()));
      await t.platform.store.append(stream, events, 'any');
      between.push(await nextInstant());
    }
    return between;
  }

  /** Every moment's answer equals the fold of the events recorded by then (404 before the first). */
  async function expectExactAnswers(sku: string, between: readonly string[]) {
    const events = await t.platform.store.readStream(streams.inventory(sku));
    const moments = momentsOf(events, between);
    expect(moments.length).toBeGreaterThan(between.length);
    for (const asOf of moments) {
      const response = await stockAt(sku, asOf);
      const expected = expectedAt(sku, events, asOf);
      if (expected === undefined) expect(response.statusCode, `${sku} at ${asOf}`).toBe(404);
      else expect({ at: asOf, ...response.json() }).toEqual({ at: asOf, ...expected });
    }
  }

  const completeThrough = async (sku: string) => {
    const [row] = await t.platform.db.query<{ complete_through: string | number }>(
      `SELECT complete_through FROM stock_history_skus WHERE sku = $1`,
      [sku],
    );
    return Number(row?.complete_through ?? 0);
  };

  const historyRows = async () => ({
    rows: await tableRows(t.platform.db, 'stock_history', 'sku, stream_version'),
    skus: await tableRows(t.platform.db, 'stock_history_skus', 'sku'),
  });

  it('answers the stock at any moment as the fold of the events recorded up to then, every kind of event', async () => {
    const between = await appendMovements('SH-1', 60);
    const events = await t.platform.store.readStream(streams.inventory('SH-1'));
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'StockReceived',
        'StockAdjusted',
        'StockReserved',
        'ReservationCommitted',
        'ReservationReleased',
        'ReservationExpired',
        'ReservationReturned',
      ]),
    );
    await projectionPassed(t.platform.db, t.platform.store, stockHistoryProjection.name, written);
    await expectExactAnswers('SH-1', between);
    // The read model holds every event (nothing is folded from the stream at query time).
    expect(await completeThrough('SH-1')).toBe(events.length);
  });

  it('asks for a token and the admin or auditor role with asOf, and for nothing without', async () => {
    const [asOf] = await appendMovements('SH-AUTH', 1);
    const now = await nextInstant();
    expect((await stockAt('SH-AUTH', now, {})).statusCode).toBe(401);
    expect((await stockAt('SH-AUTH', now, { authorization: 'Bearer not-a-token' })).statusCode).toBe(401);
    expect((await stockAt('SH-AUTH', now, customer.headers)).statusCode).toBe(403);
    expect((await stockAt('SH-AUTH', asOf!, customer.headers)).statusCode).toBe(403);
    const asAdmin = await stockAt('SH-AUTH', now, admin.headers);
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json()).toEqual((await stockAt('SH-AUTH', now, auditor.headers)).json());
    const present = await t.app.inject({ method: 'GET', url: '/inventory/SH-AUTH' });
    expect(present.statusCode).toBe(200);
    expect(present.json()).toEqual(asAdmin.json());
  });

  it('stays exact while the projection is stopped, and when it applies events out of version order', async () => {
    const next = movements('SH-STOP', 7);
    const before = await appendMovements('SH-STOP', 10, next);
    await projectionPassed(t.platform.db, t.platform.store, stockHistoryProjection.name, written);
    await t.platform.projections.stopLive(stockHistoryProjection.name);
    try {
      const applied = await completeThrough('SH-STOP');
      const after = await appendMovements('SH-STOP', 12, next);
      const moments = [...before, ...after];
      await expectExactAnswers('SH-STOP', moments);
      // Applied by hand, later events first (as a log in commit order can bring them): every answer
      // stays exact, whatever the read model holds of the stream.
      const stream = await t.platform.store.readStream(streams.inventory('SH-STOP'));
      const unapplied = stream.filter((e) => e.streamVersion > applied);
      expect(unapplied.length).toBeGreaterThan(20);
      const apply = (events: readonly RecordedEvent[]) =>
        t.platform.db.transaction((tx) => stockHistoryProjection.apply(tx, events));
      await apply(unapplied.slice(20));
      expect(await completeThrough('SH-STOP')).toBe(applied);
      await expectExactAnswers('SH-STOP', moments);
      await apply(unapplied.slice(0, 5));
      expect(await completeThrough('SH-STOP')).toBe(applied + 5);
      await expectExactAnswers('SH-STOP', moments);
      await apply(unapplied.slice(5, 20).reverse());
      expect(await completeThrough('SH-STOP')).toBe(stream.length);
      await expectExactAnswers('SH-STOP', moments);
    } finally {
      await t.platform.projections.startLive([stockHistoryProjection]);
    }
    // The live projection applies those events again from its checkpoint: nothing changes twice.
    const applied = await historyRows();
    await projectionPassed(t.platform.db, t.platform.store, stockHistoryProjection.name, written);
    expect(await historyRows()).toEqual(applied);
    await expectExactAnswers('SH-STOP', before);
  });

  if (profile === 'postgres')
    it('is exact when an event recorded earlier commits after a later one (two transactions)', async () => {
      const sku = 'SH-LATE';
      const stream = streams.inventory(sku);
      written.add(stream);
      await t.platform.store.append(
        stream,
        [recorded({ type: 'StockReceived', data: { sku, quantity: 10 } })],
        'any',
      );
      const client = new pg.Client({ connectionString: t.platform.config.DATABASE_URL });
      await client.connect();
      try {
        // A transaction that starts (and takes its id) now, and appends only after another has.
        await client.query('BEGIN');
        await client.query('SELECT pg_current_xact_id()');
        const onClient: SqlClient = {
          dialect: 'postgres',
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
          exec: async (sql) => {
            await client.query(sql);
          },
          transaction: (work) => work(onClient),
          close: async () => undefined,
        };
        const late = new SqlEventStore(onClient, { eventTypes: DOMAIN_EVENT_TYPES });
        const afterStart = await nextInstant();
        await t.platform.store.append(
          stream,
          [recorded({ type: 'StockReceived', data: { sku, quantity: 3 } })],
          'any',
        );
        const afterSecond = await nextInstant();
        await late.append(
          stream,
          [recorded({ type: 'StockAdjusted', data: { sku, delta: -4, reason: 'count' } })],
          'any',
        );
        // Before the commit: the second append is committed but not yet in the read model's reach.
        expect((await stockAt(sku, afterSecond)).json()).toMatchObject({ onHand: 13 });
        await client.query('COMMIT');
        const events = await t.platform.store.readStream(stream);
        expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
        expect(Date.parse(events[2]!.recordedAt)).toBeLessThan(Date.parse(events[1]!.recordedAt));
        expect((await stockAt(sku, afterStart)).json()).toMatchObject({ onHand: 6 });
        await projectionPassed(t.platform.db, t.platform.store, stockHistoryProjection.name, written);
        await expectExactAnswers(sku, [afterStart, afterSecond]);
        expect((await stockAt(sku, afterStart)).json()).toMatchObject({ onHand: 6 });
        expect((await stockAt(sku, afterSecond)).json()).toMatchObject({ onHand: 9 });
        const rows = await t.platform.db.query<{ stream_version: string; on_hand_total: string }>(
          `SELECT stream_version::text, on_hand_total::text FROM stock_history WHERE sku = $1
            ORDER BY recorded_at, stream_version`,
          [sku],
        );
        expect(rows).toEqual([
          { stream_version: '1', on_hand_total: '10' },
          { stream_version: '3', on_hand_total: '6' },
          { stream_version: '2', on_hand_total: '9' },
        ]);
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end();
      }
    });

  it('is rebuilt from the log into the same rows', async () => {
    await appendMovements('SH-REBUILD', 8);
    await projectionPassed(t.platform.db, t.platform.store, stockHistoryProjection.name, written);
    const live = await historyRows();
    expect(live.rows.length).toBeGreaterThan(0);
    await t.platform.projections.rebuild(stockHistoryProjection.name);
    expect(await historyRows()).toEqual(live);
  });
});
