import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease, LeaseLostError } from '../../src/integration/lease.ts';
import { freshPGlite, freshPostgres, type TestDatabase } from '../support/databases.ts';

// The relay's lease on both SQL adapters: one holder at a time, taken over only after it expired,
// and a holder that lost it cannot write its progress any more (fencing by term).

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
  const newLease = (ttlMs: number) => new Lease(database.db, `job-${++n}`, ttlMs);

  it('has one holder at a time; renewing keeps it; another takes it only after it expired', async () => {
    const lease = newLease(400);
    const first = await lease.tryAcquire('relay-a');
    expect(first).toEqual({ holder: 'relay-a', term: 1 });
    expect(await lease.tryAcquire('relay-b')).toBeUndefined();
    await sleep(250);
    expect(await lease.renew(first!)).toBe(true);
    await sleep(250);
    expect(await lease.tryAcquire('relay-b'), 'renewed 250 ms ago: still held').toBeUndefined();
    await sleep(500);
    const second = await lease.tryAcquire('relay-b');
    expect(second).toEqual({ holder: 'relay-b', term: 2 });
    expect(await lease.renew(first!), 'the old holder learns it lost the lease').toBe(false);
    expect(await lease.current()).toEqual({ holder: 'relay-b', term: 2, expired: false });
  });

  it('fences the old holder: its progress write fails and leaves nothing behind', async () => {
    const lease = newLease(200);
    const old = (await lease.tryAcquire('relay-a'))!;
    await lease.fence(old, (tx) => tx.query(`INSERT INTO lease_progress VALUES ($1, 1)`, [lease.name]));
    await sleep(300);
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
    const lease = newLease(300);
    const term = (await lease.tryAcquire('relay-a'))!;
    for (let i = 0; i < 5; i++) {
      await sleep(120);
      await lease.fence(term, async () => undefined);
    }
    expect(await lease.tryAcquire('relay-b')).toBeUndefined();
  });

  it('is free at once after the holder releases it (a clean shutdown hands over without waiting)', async () => {
    const lease = newLease(60_000);
    const term = (await lease.tryAcquire('relay-a'))!;
    await lease.release(term);
    expect(await lease.tryAcquire('relay-b')).toEqual({ holder: 'relay-b', term: 2 });
  });

  it('goes to exactly one of many holders that try at the same moment', async () => {
    const lease = newLease(10_000);
    const attempts = await Promise.all(Array.from({ length: 10 }, (_, i) => lease.tryAcquire(`relay-${i}`)));
    const winners = attempts.filter((a) => a !== undefined);
    expect(winners).toHaveLength(1);
    expect(await lease.current()).toMatchObject({ holder: winners[0]!.holder, term: 1 });
  });
});
