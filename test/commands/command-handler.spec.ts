import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryCommands, inventoryStream } from '../support/inventory-commands.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { WrongExpectedVersionError } from '../../src/eventstore/errors.ts';
import type { EventStore, ExpectedVersion } from '../../src/eventstore/event-store.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPGlite, type TestDatabase } from '../support/databases.ts';
import { context, receive, reserve } from '../support/inventory.ts';

describe('command handler', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  beforeAll(async () => {
    database = await freshPGlite();
    store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
  });
  afterAll(() => database.drop());

  it('records events with metadata from the command context', async () => {
    const commands = inventoryCommands(store);
    const result = await commands.handle(
      inventoryStream('META-1'),
      { type: 'ReceiveStock', data: { sku: 'META-1', quantity: 5 } },
      {
        actor: { id: 'clerk-7', role: 'admin' },
        correlationId: 'corr-1',
        causationId: 'cause-1',
        now: new Date(0),
      },
    );
    expect(isRight(result) && result.right.version).toBe(1);
    const [event] = await store.readStream(inventoryStream('META-1'));
    expect(event!.metadata).toEqual({
      actor: { id: 'clerk-7', role: 'admin' },
      correlationId: 'corr-1',
      causationId: 'cause-1',
      occurredAt: new Date(0).toISOString(),
    });
  });

  it('reports a refusal as a domain error and appends nothing', async () => {
    const commands = inventoryCommands(store);
    const result = await reserve(commands, 'EMPTY-1');
    expect(isLeft(result) && result.left.code).toBe('InsufficientStock');
    expect(await store.streamVersion(inventoryStream('EMPTY-1'))).toBe(0);
  });

  it('sees stock another writer added after its state was cached before refusing', async () => {
    const mine = inventoryCommands(store);
    const theirs = inventoryCommands(store);
    await receive(mine, 'STALE-1', 1);
    expect(isRight(await reserve(mine, 'STALE-1'))).toBe(true); // cached: 0 available
    await receive(theirs, 'STALE-1', 3); // mine does not know
    const result = await reserve(mine, 'STALE-1', undefined, 2);
    expect(isRight(result)).toBe(true);
  });

  it('retries version conflicts a bounded number of times with jittered pauses, then reports the conflict', async () => {
    const pauses: number[] = [];
    let appends = 0;
    // A store where another writer always got there first.
    const alwaysBehind: EventStore = Object.assign(Object.create(store) as EventStore, {
      append: async (streamId: string, _events: unknown, expected: ExpectedVersion) => {
        appends++;
        throw new WrongExpectedVersionError(streamId, expected, 99);
      },
    });
    const commands = inventoryCommands(alwaysBehind, {
      maxAttempts: 5,
      random: () => 0.5,
      sleep: async (ms) => void pauses.push(ms),
    });
    const outcome = commands.handle(
      inventoryStream('BUSY-1'),
      { type: 'ReceiveStock', data: { sku: 'BUSY-1', quantity: 1 } },
      context(),
    );
    await expect(outcome).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(appends).toBe(5);
    expect(pauses).toEqual([5, 10, 20, 40]); // half of 5·2^attempt, capped at 200
    expect(commands.stats).toMatchObject({ conflicts: 5, retries: 4, exhausted: 1 });
  });

  it('takes in a stream read elsewhere: the next command appends without reading it (a worker priming its handlers)', async () => {
    const writer = inventoryCommands(store);
    await receive(writer, 'SEEN-1', 3);
    await receive(writer, 'SEEN-1', 2);
    const reads: string[] = [];
    const recording: EventStore = Object.assign(Object.create(store) as EventStore, {
      readStream: (streamId: string, options?: Parameters<EventStore['readStream']>[1]) => {
        reads.push(streamId);
        return store.readStream(streamId, options);
      },
    });
    const commands = inventoryCommands(recording);
    // Read by someone else, in two parts: from the start, then on from what was read.
    commands.observe(
      inventoryStream('SEEN-1'),
      1,
      (await store.readStream(inventoryStream('SEEN-1'))).slice(0, 1),
    );
    commands.observe(
      inventoryStream('SEEN-1'),
      2,
      await store.readStream(inventoryStream('SEEN-1'), { fromVersion: 2 }),
    );
    const reserved = await reserve(commands, 'SEEN-1', undefined, 5);
    expect(isRight(reserved) && reserved.right.version).toBe(3);
    expect(reads).toEqual([]);
  });

  it('ignores what was read elsewhere unless it goes on from the state it holds', async () => {
    const writer = inventoryCommands(store);
    await receive(writer, 'SEEN-2', 3);
    await receive(writer, 'SEEN-2', 2);
    const reads: string[] = [];
    const recording: EventStore = Object.assign(Object.create(store) as EventStore, {
      readStream: (streamId: string, options?: Parameters<EventStore['readStream']>[1]) => {
        reads.push(streamId);
        return store.readStream(streamId, options);
      },
    });
    const commands = inventoryCommands(recording);
    const [first, second] = await store.readStream(inventoryStream('SEEN-2'));
    // Version 2 alone, nothing cached: not the whole stream, not taken in (2 on hand would refuse 4).
    commands.observe(inventoryStream('SEEN-2'), 2, [second!]);
    const four = await reserve(commands, 'SEEN-2', undefined, 4);
    expect(isRight(four) && four.right.version).toBe(3);
    expect(reads).toHaveLength(1); // its own read of the whole stream
    // Version 1 again, behind what it holds: not taken in (it would append at version 1 and conflict).
    commands.observe(inventoryStream('SEEN-2'), 1, [first!]);
    const one = await reserve(commands, 'SEEN-2', undefined, 1);
    expect(isRight(one) && one.right.version).toBe(4);
    expect(reads).toHaveLength(1);
    expect(commands.stats.conflicts).toBe(0);
  });

  it('decides a queue of commands for one stream together and appends them as one batch', async () => {
    const commands = inventoryCommands(store);
    await receive(commands, 'BATCH-1', 10);
    const appendsBefore = commands.stats.appends;
    const results = await Promise.all(Array.from({ length: 15 }, () => reserve(commands, 'BATCH-1')));
    expect(results.filter(isRight)).toHaveLength(10);
    expect(results.filter(isLeft).map((r) => r.left.code)).toEqual(Array(5).fill('InsufficientStock'));
    expect(commands.stats.appends - appendsBefore).toBeLessThanOrEqual(2);
  });

  it('keeps the other commands of a batch when one produces an event the store refuses', async () => {
    const commands = inventoryCommands(store);
    await receive(commands, 'MIXED-1', 10);
    const tooLongReason = 'x'.repeat(400);
    const results = await Promise.allSettled([
      reserve(commands, 'MIXED-1'),
      commands.handle(
        inventoryStream('MIXED-1'),
        // The domain accepts it; the store refuses its huge metadata (trace id) as over 1 MiB.
        { type: 'AdjustStock', data: { sku: 'MIXED-1', delta: 1, reason: tooLongReason } },
        { ...context(), traceId: 't'.repeat(1024 * 1024) },
      ),
      reserve(commands, 'MIXED-1'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const events = await store.readStream(inventoryStream('MIXED-1'));
    expect(events.map((e) => e.type)).toEqual(['StockReceived', 'StockReserved', 'StockReserved']);
  });
  it('appends a command for a stream expected new without reading it, and writes nothing when the stream exists', async () => {
    const reads: string[] = [];
    const watching = new Proxy(store, {
      get: (target, name, receiver) =>
        name === 'readStream' || name === 'readStreams'
          ? (...args: unknown[]) => {
              reads.push(String(name));
              return (Reflect.get(target, name, receiver) as (...a: unknown[]) => unknown).apply(
                target,
                args,
              );
            }
          : Reflect.get(target, name, receiver),
    });
    const mine = inventoryCommands(watching);
    const receiveFive = { type: 'ReceiveStock', data: { sku: 'NEW-1', quantity: 5 } } as const;
    const first = await mine.handleNew(inventoryStream('NEW-1'), receiveFive, context());
    expect(first !== undefined && isRight(first) && first.right.version).toBe(1);
    expect(reads).toEqual([]);

    // Another handler (another process) finds the stream there: nothing is appended, it is told so.
    const theirs = inventoryCommands(watching);
    expect(await theirs.handleNew(inventoryStream('NEW-1'), receiveFive, context())).toBeUndefined();
    expect(await store.streamVersion(inventoryStream('NEW-1'))).toBe(1);
    // And one that knows the stream does not try.
    expect(await mine.handleNew(inventoryStream('NEW-1'), receiveFive, context())).toBeUndefined();
    expect(await store.streamVersion(inventoryStream('NEW-1'))).toBe(1);
  });
});
