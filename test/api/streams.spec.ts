import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streams } from '../../src/commands/index.ts';
import type { RecordedEvent } from '../../src/eventstore/event-store.ts';
import { signIn } from '../support/http.ts';
import { testApp, type TestApp } from '../support/platform.ts';
import { testMetadata } from '../support/events.ts';
import { adminContext, stockProduct } from '../support/shop.ts';

type EventLine = { eventId: string; streamId: string; type: string; version: number; position: number };
type LogPage = { events: EventLine[]; next: string; caughtUp: boolean };

describe.each(['embedded', 'postgres'] as const)('streams and audit routes (%s)', (profile) => {
  let t: TestApp;
  let auditor: Record<string, string>;
  let admin: Record<string, string>;
  let customer: Record<string, string>;
  /** Every event this suite appended, in the order appended. */
  let appended: RecordedEvent[];

  const get = (url: string, headers: Record<string, string> = auditor) =>
    t.app.inject({ method: 'GET', url, headers });

  const receive = async (sku: string, quantity: number) => {
    const result = await t.platform.commands.inventory.handle(
      streams.inventory(sku),
      { type: 'ReceiveStock', data: { sku, quantity } },
      adminContext(),
    );
    expect(result._tag).toBe('Right');
  };

  /** On PostgreSQL a commit shows in the global log only once older transactions (of any database) end. */
  const untilVisible = async (events: readonly RecordedEvent[]) => {
    const last = events.at(-1)!.eventId;
    const deadline = Date.now() + 30_000;
    while (!(await t.platform.store.readAll({ maxCount: 100_000 })).events.some((e) => e.eventId === last)) {
      if (Date.now() > deadline) throw new Error(`event ${last} never became visible in the global log`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** Every page of the log from `from`, following `next` until caught up. */
  const allPages = async (query: string, from = '0') => {
    const seen: EventLine[] = [];
    for (let page = 0; page < 1000; page++) {
      const response = await get(`/streams?from=${from}&${query}`);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as LogPage;
      seen.push(...body.events);
      from = body.next;
      if (body.caughtUp) return { seen, next: from };
    }
    throw new Error('the log never caught up');
  };

  beforeAll(async () => {
    t = await testApp(profile);
    auditor = (await signIn(t.app, t.platform, 'streams-auditor@example.com', 'auditor')).headers;
    admin = (await signIn(t.app, t.platform, 'streams-admin@example.com', 'admin')).headers;
    customer = (await signIn(t.app, t.platform, 'streams-customer@example.com')).headers;
    await stockProduct(t.platform, 'STR-1', 5);
    await stockProduct(t.platform, 'STR-2', 0);
    for (const quantity of [1, 2, 3, 4]) await receive('STR-1', quantity);
    await receive('STR-2', 7);
    appended = [];
    for (const id of ['product-STR-1', 'inventory-STR-1', 'product-STR-2', 'inventory-STR-2'])
      appended.push(...(await t.platform.store.readStream(id)));
    appended.sort((a, b) => a.globalPosition - b.globalPosition);
    await untilVisible(appended);
  });
  afterAll(() => t.close());

  describe('who may read', () => {
    const urls = ['/streams/inventory-STR-1', '/streams?limit=1', '/audit/streams/inventory-STR-1/verify'];

    it('asks for a token (401) and refuses customers (403) with problem documents', async () => {
      for (const url of urls) {
        const anonymous = await t.app.inject({ method: 'GET', url });
        expect(anonymous.statusCode, url).toBe(401);
        expect(anonymous.headers['content-type'], url).toContain('application/problem+json');
        const refused = await get(url, customer);
        expect(refused.statusCode, url).toBe(403);
        expect(refused.headers['content-type'], url).toContain('application/problem+json');
      }
    });

    it('answers auditors and admins', async () => {
      for (const url of urls)
        for (const headers of [auditor, admin]) expect((await get(url, headers)).statusCode, url).toBe(200);
    });

    it('documents the routes in the OpenAPI document', async () => {
      const { paths } = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      expect(Object.keys(paths)).toEqual(
        expect.arrayContaining(['/streams/{streamId}', '/streams', '/audit/streams/{streamId}/verify']),
      );
      expect(Object.keys(paths['/streams'].get.responses['200'].content)).toEqual([
        'application/json',
        'application/x-ndjson',
      ]);
    });
  });

  describe('GET /streams/:streamId', () => {
    it('pages through one stream by version', async () => {
      const first = (await get('/streams/inventory-STR-1?limit=2')).json();
      expect(first).toMatchObject({ streamId: 'inventory-STR-1', version: 5, nextVersion: 3 });
      expect(first.events.map((e: EventLine) => e.version)).toEqual([1, 2]);
      expect(first.events[0]).toMatchObject({
        streamId: 'inventory-STR-1',
        type: 'StockReceived',
        data: { sku: 'STR-1', quantity: 5 },
        metadata: { actor: { id: 'admin', role: 'admin' } },
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prevHash: '0'.repeat(64),
        recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(first.events[1].prevHash).toBe(first.events[0].hash);
      const rest = (await get('/streams/inventory-STR-1?fromVersion=3&limit=10')).json();
      expect(rest.events.map((e: EventLine) => e.version)).toEqual([3, 4, 5]);
      expect(rest.nextVersion).toBeNull();
      const past = (await get('/streams/inventory-STR-1?fromVersion=9')).json();
      expect(past).toMatchObject({ events: [], nextVersion: null, version: 5 });
    });

    it('answers 404 for a stream that does not exist and 400 for a malformed id', async () => {
      const missing = await get('/streams/inventory-NOPE');
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['content-type']).toContain('application/problem+json');
      for (const id of [
        'inventory',
        'Inventory-X',
        'inventory-',
        '-x',
        'a%20b-c',
        'x'.repeat(280),
        'a-%00',
        'order-%E0%A4%A',
      ]) {
        const response = await get(`/streams/${id}`);
        expect(response.statusCode, id).toBe(400);
        expect(response.headers['content-type'], id).toContain('application/problem+json');
      }
      // The longest stream id there can be is still a stream id; a far longer path is refused as such.
      expect((await get(`/streams/${'c'.repeat(50)}-${'i'.repeat(200)}`)).statusCode).toBe(404);
      const tooLong = await get(`/streams/order-${'x'.repeat(5000)}`);
      expect(tooLong.statusCode).toBeGreaterThanOrEqual(400);
      expect(tooLong.statusCode).toBeLessThan(500);
      expect(tooLong.headers['content-type']).toContain('application/problem+json');
      for (const query of ['fromVersion=0', 'limit=0', 'limit=1001', 'limit=x', 'nope=1']) {
        const response = await get(`/streams/inventory-STR-1?${query}`);
        expect(response.statusCode, query).toBe(400);
      }
    });
  });

  describe('GET /streams', () => {
    it('reads the whole log in order, every event exactly once across pages', async () => {
      const { seen } = await allPages('limit=3');
      const log = (await t.platform.store.readAll({ maxCount: 100_000 })).events;
      expect(seen.map((e) => e.eventId)).toEqual(log.map((e) => e.eventId));
      expect(new Set(seen.map((e) => e.eventId)).size).toBe(seen.length);
      expect(seen.map((e) => e.eventId)).toEqual(expect.arrayContaining(appended.map((e) => e.eventId)));
    });

    it('gives a cursor that picks up events appended later, and nothing twice', async () => {
      const { seen: before, next } = await allPages('limit=4');
      await receive('STR-2', 1);
      const [later] = await t.platform.store.readStream('inventory-STR-2', {
        direction: 'backward',
        maxCount: 1,
      });
      await untilVisible([later!]);
      const { seen: after } = await allPages('limit=4', next);
      expect(after.map((e) => e.eventId)).toEqual([later!.eventId]);
      expect(before.map((e) => e.eventId)).not.toContain(later!.eventId);
    });

    it('resumes after a plain global position as after the event there', async () => {
      const log = (await t.platform.store.readAll({ maxCount: 100_000 })).events;
      const third = log[2]!;
      const page = (await get(`/streams?from=${third.globalPosition}&limit=2`)).json() as LogPage;
      expect(page.events.map((e) => e.eventId)).toEqual(log.slice(3, 5).map((e) => e.eventId));
      expect(page.next).toBe(`${log[4]!.checkpoint.transactionId}.${log[4]!.globalPosition}`);
      expect(page.caughtUp).toBe(false);
    });

    it('streams NDJSON when asked: one event per line, then the cursor line', async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/streams?limit=5',
        headers: { ...auditor, accept: 'application/x-ndjson' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('application/x-ndjson');
      expect(response.body.endsWith('\n')).toBe(true);
      const lines = response.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(6);
      const json = (await get('/streams?limit=5')).json() as LogPage;
      expect(lines.slice(0, 5)).toEqual(json.events);
      expect(lines[5]).toEqual({ next: json.next, caughtUp: false });
    });

    it('streams a large NDJSON answer in full', async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/streams?limit=50000',
        headers: { ...auditor, accept: 'application/x-ndjson' },
      });
      const lines = response.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      const log = (await t.platform.store.readAll({ maxCount: 100_000 })).events;
      expect(lines.slice(0, -1).map((e) => e.eventId)).toEqual(log.map((e) => e.eventId));
      expect(lines.at(-1)).toMatchObject({ caughtUp: true });
    });

    it('filters by event type and by stream category', async () => {
      const log = (await t.platform.store.readAll({ maxCount: 100_000 })).events;
      const ids = (events: readonly { eventId: string }[]) => events.map((e) => e.eventId);

      const received = await allPages('type=StockReceived&limit=2');
      expect(ids(received.seen)).toEqual(ids(log.filter((e) => e.type === 'StockReceived')));
      expect(received.seen.length).toBeGreaterThanOrEqual(6);

      const products = await allPages('category=product');
      expect(ids(products.seen)).toEqual(ids(log.filter((e) => e.streamId.startsWith('product-'))));
      expect(products.seen.map((e) => e.type)).toEqual(['ProductListed', 'ProductListed']);

      const both = await allPages('type=ProductListed&type=StockReceived&category=inventory,product');
      expect(ids(both.seen)).toEqual(
        ids(log.filter((e) => e.type === 'ProductListed' || e.type === 'StockReceived')),
      );

      const none = await allPages('category=cart');
      expect(none.seen).toEqual([]);
    });

    it('answers bad queries with 400 problems, never 5xx', async () => {
      for (const query of [
        'from=abc',
        'from=1.2.3',
        'from=-1',
        'from=99999999999999999999999.1',
        'from=99999999',
        'limit=0',
        'limit=100001',
        'limit=ten',
        'type=NoSuchEvent',
        'type=',
        'category=Order',
        'category=order-1',
        'colour=blue',
      ]) {
        const response = await get(`/streams?${query}`);
        expect(response.statusCode, `${query}: ${response.body}`).toBe(400);
        expect(response.headers['content-type'], query).toContain('application/problem+json');
      }
      const ndjson = await t.app.inject({
        method: 'GET',
        url: '/streams?from=99999999',
        headers: { ...auditor, accept: 'application/x-ndjson' },
      });
      expect(ndjson.statusCode).toBe(400);
      expect(ndjson.headers['content-type']).toContain('application/problem+json');
      // The largest transaction id there can be: a valid cursor past everything.
      const far = await get('/streams?from=18446744073709551615.1');
      expect(far.json()).toMatchObject({ events: [], caughtUp: true });
    });
  });

  describe('GET /audit/streams/:streamId/verify', () => {
    it('finds an untouched stream valid', async () => {
      const response = await get('/audit/streams/inventory-STR-1/verify');
      expect(response.json()).toEqual({ valid: true, events: 5 });
    });

    it('names the first version whose stored data was edited behind the store’s back', async () => {
      await stockProduct(t.platform, 'STR-TAMPER', 3);
      for (const quantity of [1, 2]) await receive('STR-TAMPER', quantity);
      expect((await get('/audit/streams/inventory-STR-TAMPER/verify')).json()).toEqual({
        valid: true,
        events: 3,
      });
      await t.platform.db.query(
        `UPDATE es_events SET data = jsonb_set(data, '{quantity}', '1000')
          WHERE stream_id = $1 AND stream_version = 2`,
        ['inventory-STR-TAMPER'],
      );
      const response = await get('/audit/streams/inventory-STR-TAMPER/verify', admin);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ valid: false, events: 3, brokenAt: 2 });
    });

    it.each([
      ['a deleted event', `DELETE FROM es_events WHERE stream_id = $1 AND stream_version = 2`, 2],
      [
        'two events swapped',
        [
          `UPDATE es_events SET stream_version = -stream_version WHERE stream_id = $1 AND stream_version IN (2, 3)`,
          `UPDATE es_events SET stream_version = CASE stream_version WHEN -2 THEN 3 ELSE 2 END
            WHERE stream_id = $1 AND stream_version IN (-2, -3)`,
        ],
        2,
      ],
      [
        'an event inserted',
        [
          `UPDATE es_events SET stream_version = -stream_version - 1 WHERE stream_id = $1 AND stream_version >= 2`,
          `UPDATE es_events SET stream_version = -stream_version WHERE stream_id = $1 AND stream_version < 0`,
          `INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, prev_hash, hash)
           SELECT stream_id, 2, '0193a1b2-0000-7000-8000-000000000001', type, schema_version, data, metadata, hash, hash
             FROM es_events WHERE stream_id = $1 AND stream_version = 1`,
        ],
        2,
      ],
      [
        'edited metadata',
        `UPDATE es_events SET metadata = jsonb_set(metadata, '{actor,id}', '"someone-else"')
          WHERE stream_id = $1 AND stream_version = 2`,
        2,
      ],
      [
        'a rewritten hash',
        `UPDATE es_events SET hash = repeat('f', 64) WHERE stream_id = $1 AND stream_version = 2`,
        2,
      ],
      [
        'a rewritten previous hash',
        `UPDATE es_events SET prev_hash = repeat('e', 64) WHERE stream_id = $1 AND stream_version = 3`,
        3,
      ],
    ])('names where the chain breaks after %s', async (what, tampering, brokenAt) => {
      const sku = `STR-T-${what.replace(/\W+/g, '-')}`;
      await stockProduct(t.platform, sku, 3);
      for (const quantity of [1, 2, 3]) await receive(sku, quantity);
      const streamId = `inventory-${sku}`;
      expect((await get(`/audit/streams/${streamId}/verify`)).json()).toMatchObject({ valid: true });
      // The anchor covers what the global log shows: the stream's events first have to be in it.
      await untilVisible(await t.platform.store.readStream(streamId));
      const kept = (await get('/audit/log/anchor')).json() as { upTo: string; hash: string };
      for (const statement of [tampering].flat()) await t.platform.db.query(statement, [streamId]);
      expect((await get(`/audit/streams/${streamId}/verify`)).json()).toMatchObject({
        valid: false,
        brokenAt,
      });
      const again = (await get(`/audit/log/anchor?upTo=${kept.upTo}`)).json() as { hash: string };
      expect(again).toMatchObject({ valid: false });
      expect(again.hash).not.toBe(kept.hash);
    });

    it("finds a stream's tail cut off against an anchor kept from before, where the stream's own chain looks whole", async () => {
      await stockProduct(t.platform, 'STR-TAIL', 3);
      for (const quantity of [1, 2]) await receive('STR-TAIL', quantity);
      await untilVisible(await t.platform.store.readStream('inventory-STR-TAIL'));
      const kept = (await get('/audit/log/anchor')).json() as { upTo: string; hash: string; events: number };
      expect(kept.events).toBeGreaterThan(3);
      // Nothing changed: the same anchor again.
      expect((await get(`/audit/log/anchor?upTo=${kept.upTo}`)).json()).toMatchObject({
        upTo: kept.upTo,
        hash: kept.hash,
        events: kept.events,
      });
      // The last event of the stream goes, and its stream row is wound back to match.
      await t.platform.db.query(
        `WITH cut AS (DELETE FROM es_events WHERE stream_id = $1 AND stream_version = 3 RETURNING prev_hash)
         UPDATE es_streams SET version = 2, last_hash = (SELECT prev_hash FROM cut) WHERE stream_id = $1`,
        ['inventory-STR-TAIL'],
      );
      expect((await get('/audit/streams/inventory-STR-TAIL/verify')).json()).toEqual({
        valid: true,
        events: 2,
      });
      const again = (await get(`/audit/log/anchor?upTo=${kept.upTo}`)).json() as { hash: string };
      expect(again.hash).not.toBe(kept.hash);
    });

    it('keeps the anchor for auditors and admins, and refuses a malformed cursor', async () => {
      expect((await get('/audit/log/anchor', {})).statusCode).toBe(401);
      expect((await get('/audit/log/anchor', customer)).statusCode).toBe(403);
      expect((await get('/audit/log/anchor?upTo=nope')).statusCode).toBe(400);
      expect((await get('/audit/log/anchor', admin)).statusCode).toBe(200);
    });

    it('answers 404 for an unknown stream and 400 for a malformed id', async () => {
      expect((await get('/audit/streams/order-nope/verify')).statusCode).toBe(404);
      expect((await get('/audit/streams/NOT_A_STREAM/verify')).statusCode).toBe(400);
    });
  });

  describe('a log longer than one read', () => {
    it('streams thousands of events as NDJSON in one answer, caps JSON pages at 1000, and pages them all', async () => {
      for (let batch = 0; batch < 3; batch++) {
        const events = Array.from({ length: 900 }, (_, i) => ({
          type: 'StockReceived',
          data: { sku: 'BULK-1', quantity: batch * 900 + i + 1 },
          metadata: testMetadata(),
        }));
        await t.platform.store.append('inventory-BULK-1', events, 'any');
      }
      await untilVisible(
        await t.platform.store.readStream('inventory-BULK-1', { direction: 'backward', maxCount: 1 }),
      );
      const log = (await t.platform.store.readAll({ maxCount: 100_000 })).events;
      expect(log.length).toBeGreaterThan(2700);

      const ndjson = await t.app.inject({
        method: 'GET',
        url: '/streams?limit=100000',
        headers: { ...auditor, accept: 'application/x-ndjson' },
      });
      const lines = ndjson.body
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.slice(0, -1).map((e) => e.eventId)).toEqual(log.map((e) => e.eventId));
      expect(lines.at(-1)).toMatchObject({ caughtUp: true });

      const capped = (await get('/streams?limit=5000')).json() as LogPage;
      expect(capped.events).toHaveLength(1000);
      expect(capped.caughtUp).toBe(false);

      const { seen } = await allPages('limit=1000');
      expect(seen.map((e) => e.eventId)).toEqual(log.map((e) => e.eventId));
      const bulk = await allPages('category=inventory&type=StockReceived&limit=700');
      expect(bulk.seen.filter((e) => e.streamId === 'inventory-BULK-1')).toHaveLength(2700);
    });
  });
});
