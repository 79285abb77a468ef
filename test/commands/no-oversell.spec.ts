import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryCommands, inventoryStream } from '../support/inventory-commands.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { verifyChain } from '../../src/eventstore/hash-chain.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPGlite, freshPostgres, type TestDatabase } from '../support/databases.ts';
import { receive, replayInventory, reserve } from '../support/inventory.ts';

const adapters: [string, () => Promise<TestDatabase>][] = [
  ['PostgreSQL', () => freshPostgres(32)],
  ['PGlite', freshPGlite],
];

describe.each(adapters)('no oversell on %s', (_name, openDatabase) => {
  let database: TestDatabase;
  let store: SqlEventStore;
  beforeAll(async () => {
    database = await openDatabase();
    store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  async function expectOneWinner(sku: string, results: Awaited<ReturnType<typeof reserve>>[]) {
    const won = results.filter(isRight);
    const refused = results.filter(isLeft);
    expect(won).toHaveLength(1);
    expect(won[0]!.right.events).toHaveLength(1);
    expect(refused).toHaveLength(999);
    expect(refused.every((r) => r.left.code === 'InsufficientStock')).toBe(true);
    const history = await replayInventory(store, sku);
    expect(history.events.map((e) => e.type)).toEqual(['StockReceived', 'StockReserved']);
    expect(history.final).toMatchObject({ onHand: 1, reserved: 1 });
    expect(verifyChain(history.events).valid).toBe(true);
  }

  it('1,000 concurrent reservations of the last unit through one command handler: exactly one wins', async () => {
    const sku = `LAST-${Date.now()}-batched`;
    const commands = inventoryCommands(store);
    await receive(commands, sku, 1);
    const results = await Promise.all(Array.from({ length: 1000 }, () => reserve(commands, sku)));
    await expectOneWinner(sku, results);
  });

  it('1,000 concurrent reservations from 8 handlers that never batch: exactly one wins, by version conflicts', async () => {
    const sku = `LAST-${Date.now()}-contended`;
    // Eight independent handlers, each with its own cache, are eight writers racing on one stream.
    const handlers = Array.from({ length: 8 }, () =>
      inventoryCommands(store, { maxBatch: 1, maxAttempts: 50 }),
    );
    await receive(inventoryCommands(store), sku, 1);
    // All of them have read the stream at the same version, as racing processes would have.
    await Promise.all(handlers.map((h) => h.load(inventoryStream(sku))));
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => reserve(handlers[i % 8]!, sku)));
    await expectOneWinner(sku, results);
    expect(handlers.reduce((sum, h) => sum + h.stats.conflicts, 0)).toBeGreaterThan(0);
  });
});
