import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease, LeaseLostError } from '../../src/integration/lease.ts';
import { freshPGlite, freshPostgres, type TestDatabase } from '../support/databases.ts';

// The relay's lease on both SQL adapters: one holder at a time, taken over only after it expired,
// and a holder that lost it cannot write its progress any more (fencing by term). Leases last a
// minute here and time passes by moving their expiry back in the database (whose clock they use):
// what happens never depends on how fast the machine runs the test.

describe.each([
  ['PGlite', freshPGlite],
  ['PostgreSQL', () => freshPostgres(12)],
] as const)('relay lease (%s)', (_adapter, open) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await open();
    await database.db.exec(`CREATE TABLE lease_progress (name text PRIMARY KEY, value int NOT NULL)`);
  });
  afterAll(() => database.drop());

  let n = 0;
  const TTL_MS = 60_000;
  const newLease = (ttlMs = TTL_MS) => new Lease(database.db, `job-${++n}`, ttlMs);
  /** As if `ms` went by for the lease: its expiry moves that much closer (or into the past). */
  const age = (lease: Lease, ms: number) =>
    database.db.query(
      `UPDATE integration_leases SET expires_at = expires_at - make_interval(secs => $2 / 1000.0) WHERE name = $1`,
      [lease.name, ms],
    );

  it('has one holder at a time; renewing keeps it; another takes it only after it expired', async () => {
    const lease = newLease();
    const first = await lease.tryAcquire('relay-a');
    expect(first).toEqual({ holder: 'relay-a', term: 1 });
    expect(await lease.tryAcquire('relay-b')).toBeUndefined();
    await age(lease, 0.625 * TTL_MS);
    expect(await lease.renew(first!)).toBe(true);
    await age(lease, 0.625 * TTL_MS); // 1.25 times its time to live since it was taken
    expect(await lease.tryAcquire('relay-b'), 'renewed since it was taken: still held').toBeUndefined();
    await age(lease, 1.25 * TTL_MS);
    const second = await lease.tryAcquire('relay-b');
    expect(second).toEqual({ holder: 'relay-b', term: 2 });
    expect(await lease.renew(first!), 'the old holder learns it lost the lease').toBe(false);
    expect(await lease.current()).toEqual({ holder: 'relay-b', term: 2, expired: false });
  });

  it('fences the old holder: its progress write fails and leaves nothing behind', async () => {
    const lease = newLease();
    const old = (await lease.tryAcquire('relay-a'))!;
    await lease.fence(old, (tx) => tx.query(`INSERT INTO lease_progress VALUES ($1, 1)`, [lease.name]));
    await age(lease, 1.5 * TTL_MS);
    const next = (await lease.tryAcquire('relay-b'))!;
    let ran = false;
    await expect(
      lease.fence(old, async (tx) => {
        ran = true;
        await tx.query(`UPDATE lease_progress SET value = 99 WHERE name = $1`, [lease.name]);
      }),
    ).rejects.toThrow(LeaseLostError);
    expect(ran).toBe(false);
    await lease.fence(next, (tx) =>
      tx.query(`UPDATE lease_progress SET value = 2 WHERE name = $1`, [lease.name]),
    );
    expect(await database.db.query(`SELECT value FROM lease_progress WHERE name = $1`, [lease.name])).toEqual(
      [{ value: 2 }],
    );
  });

  it('fencing also renews: a holder that keeps writing keeps its lease', async () => {
    const lease = newLease();
    const term = (await lease.tryAcquire('relay-a'))!;
    for (let i = 0; i < 5; i++) {
      await age(lease, 0.4 * TTL_MS); // 2 times its time to live in all
      await lease.fence(term, async () => undefined);
    }
    expect(await lease.tryAcquire('relay-b')).toBeUndefined();
  });

  it('is free at once after the holder releases it (a clean shutdown hands over without waiting)', async () => {
    const lease = newLease();
    const term = (await lease.tryAcquire('relay-a'))!;
    await lease.release(term);
    expect(await lease.tryAcquire('relay-b')).toEqual({ holder: 'relay-b', term: 2 });
  });

  it('goes to exactly one of many holders that try at the same moment', async () => {
    const lease = newLease();
    const attempts = await Promise.all(Array.from({ length: 10 }, (_, i) => lease.tryAcquire(`relay-${i}`)));
    const winners = attempts.filter((a) => a !== undefined);
    expect(winners).toHaveLength(1);
    expect(await lease.current()).toMatchObject({ holder: winners[0]!.holder, term: 1 });
  });
});
