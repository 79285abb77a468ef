import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/db/sql-client.ts';
import { createCheckoutQueue } from '../../src/sagas/checkout/saga-queue.ts';
import { freshPGlite, freshPostgres, watched, type TestDatabase } from '../support/databases.ts';

// A worker's leases on the saga's queue: claimed orders are its own until it finishes them; orders
// finished together go to the database together, and one queued again meanwhile is released for
// another drive instead of being deleted.
describe.each(['embedded', 'postgres'] as const)('the work queue’s leases (%s)', (profile) => {
  let database: TestDatabase;
  let db: SqlClient;
  const statements: string[] = [];

  beforeAll(async () => {
    database = profile === 'embedded' ? await freshPGlite() : await freshPostgres();
    db = watched(database.db, (sql) => statements.push(sql));
  });
  afterAll(() => database.drop());
  beforeEach(() => database.db.query('DELETE FROM checkout_saga'));

  const queue = (orderIds: readonly string[]) =>
    database.db.query(
      `INSERT INTO checkout_saga (order_id, placed_at) SELECT id, now() FROM unnest($1::text[]) AS id`,
      [orderIds],
    );
  const rows = () =>
    database.db.query<{ order_id: string; lease_owner: string | null; requeued: boolean }>(
      'SELECT order_id, lease_owner, requeued FROM checkout_saga ORDER BY order_id',
    );

  it('finishes the orders finished meanwhile in one statement, and releases one queued again', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `wq-${String(i).padStart(2, '0')}`);
    await queue(ids);
    const leases = createCheckoutQueue(db).leasesFor('worker-a');
    expect((await leases.claim(100, 60_000)).orderIds.sort()).toEqual(ids);
    // The first order is queued again while it is driven (an admin reviewed it, say).
    await database.db.query(`UPDATE checkout_saga SET requeued = true WHERE order_id = $1`, [ids[0]]);

    statements.length = 0;
    await Promise.all(ids.map((id) => leases.finish(id)));
    const deletes = statements.filter((sql) => sql.includes('DELETE FROM checkout_saga'));
    expect(deletes.length).toBeGreaterThanOrEqual(1);
    expect(deletes.length).toBeLessThanOrEqual(2); // the first alone, the 39 finished meanwhile together
    expect(await rows()).toEqual([{ order_id: ids[0], lease_owner: null, requeued: false }]);
    // Released: another worker claims it at once.
    expect((await createCheckoutQueue(db).leasesFor('worker-b').claim(10, 60_000)).orderIds).toEqual([
      ids[0],
    ]);
  });

  it('leaves alone an order another worker holds', async () => {
    await queue(['wq-held']);
    const mine = createCheckoutQueue(db).leasesFor('worker-a');
    expect((await createCheckoutQueue(db).leasesFor('worker-b').claim(10, 60_000)).orderIds).toEqual([
      'wq-held',
    ]);
    await mine.finish('wq-held');
    expect(await rows()).toEqual([{ order_id: 'wq-held', lease_owner: 'worker-b', requeued: false }]);
  });
});
