import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryCommands } from '../support/inventory-commands.ts';
import { DOMAIN_EVENT_TYPES } from '../../src/domain/event-types.ts';
import { verifyChain } from '../../src/eventstore/hash-chain.ts';
import { SqlEventStore } from '../../src/eventstore/sql-event-store.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { receive, replayInventory } from '../support/inventory.ts';

const worker = fileURLToPath(new URL('../support/reserve-worker.ts', import.meta.url));

/** Starts a reserve worker; `ready` resolves once it is connected, `done` with everything it printed. */
function startWorker(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onOutput = () => undefined as void;
  child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), onOutput()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`worker exited with ${code}: ${stderr}`)),
    ),
  );
  const ready = new Promise<void>((resolve, reject) => {
    onOutput = () => void (stdout.startsWith('ready\n') && resolve());
    done.then(() => reject(new Error(`worker ended before it was ready: ${stdout}`)), reject);
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
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
    // Both processes loaded and connected, then both told to go at once.
    const workers = [1, 2].map(() => startWorker(database.url!, sku, '500'));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    const outputs = await Promise.all(workers.map((w) => w.done));
    const outcomes = outputs.map((o) => JSON.parse(o.trim().split('\n').at(-1)!));
    for (const outcome of outcomes) expect(outcome.other).toEqual([]);
    expect(outcomes[0].reserved + outcomes[1].reserved).toBe(100);
    expect(outcomes[0].insufficient + outcomes[1].insufficient).toBe(900);

    const history = await replayInventory(store, sku);
    expect(history.events.filter((e) => e.type === 'StockReserved')).toHaveLength(100);
    expect(history.states.every((s) => s.onHand - s.reserved >= 0)).toBe(true);
    expect(history.final).toMatchObject({ onHand: 100, reserved: 100 });
    expect(
      new Set(history.events.map((e) => (e.data as { reservationId?: string }).reservationId)).size,
    ).toBe(101);
    expect(verifyChain(history.events).valid).toBe(true);
  });
});
