import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryCommands } from '../support/inventory-commands.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { verifyChain } from '../../src/eventstore/hash-chain.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { receive, replayInventory } from '../support/inventory.ts';

type Outcome = {
  name: string;
  reserved: number;
  insufficient: number;
  other: string[];
  stats: { appends: number; conflicts: number; retries: number; exhausted: number };
};

const worker = fileURLToPath(new URL('../support/reserve-worker.ts', import.meta.url));

/**
 * Starts a reserve worker. `next()` resolves with the next line it prints (`ready` first, `wave` after
 * each wave, its outcome as JSON last); `go()` starts its next wave; `done` resolves when it exits.
 */
function startWorker(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code}: ${stderr}`)),
    ),
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) {
      await done;
      throw new Error(`worker ended without a word: ${stderr}`);
    }
    return line.value;
  };
  return { next, done, go: () => child.stdin.write('go\n') };
}

describe('no oversell across OS processes (PostgreSQL)', () => {
  let database: TestDatabase;
  let store: SqlEventStore;
  beforeAll(async () => {
    database = await freshPostgres();
    store = new SqlEventStore(database.db, { eventTypes: DOMAIN_EVENT_TYPES });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  it('two processes each sending 500 reservations for 100 units leave exactly 100 reservations', async () => {
    const sku = `PROC-${Date.now()}`;
    await receive(inventoryCommands(store), sku, 100);
    // Both processes connected, each holding the stream at the version it read; then both told to send
    // a wave at once, again and again: every wave of one races the other's for the same stream.
    const [count, wave] = [500, 10];
    const names = ['worker-a', 'worker-b'];
    const workers = names.map((name) => startWorker(database.url!, sku, String(count), String(wave), name));
    for (const w of workers) expect(await w.next()).toBe('ready');
    let said: string[] = [];
    for (let round = 0; round < count / wave; round++) {
      for (const w of workers) w.go();
      said = await Promise.all(workers.map((w) => w.next()));
      if (round < count / wave - 1) expect(said).toEqual(['wave', 'wave']);
    }
    await Promise.all(workers.map((w) => w.done));
    const outcomes = said.map((line) => JSON.parse(line) as Outcome);
    const report = JSON.stringify(outcomes);
    for (const outcome of outcomes) expect(outcome.other, report).toEqual([]);

    // They raced: both reserved, and appends made at a version the other process had moved on were
    // refused (one process appends to a stream one batch at a time: it cannot conflict with itself).
    for (const outcome of outcomes) expect(outcome.reserved, report).toBeGreaterThan(0);
    expect(outcomes[0]!.stats.conflicts + outcomes[1]!.stats.conflicts, report).toBeGreaterThan(0);

    expect(outcomes[0]!.reserved + outcomes[1]!.reserved).toBe(100);
    expect(outcomes[0]!.insufficient + outcomes[1]!.insufficient).toBe(900);

    const history = await replayInventory(store, sku);
    const reserved = history.events.filter((e) => e.type === 'StockReserved');
    expect(reserved).toHaveLength(100);
    // What each process says it reserved is what the log holds in its name.
    for (const outcome of outcomes)
      expect(
        reserved.filter((e) => e.metadata.actor.id === outcome.name),
        report,
      ).toHaveLength(outcome.reserved);
    expect(history.states.every((s) => s.onHand - s.reserved >= 0)).toBe(true);
    expect(history.final).toMatchObject({ onHand: 100, reserved: 100 });
    expect(
      new Set(history.events.map((e) => (e.data as { reservationId?: string }).reservationId)).size,
    ).toBe(101);
    expect(verifyChain(history.events).valid).toBe(true);
  });
});
