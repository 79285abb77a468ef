import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPGlite } from '../../src/db/pglite.ts';
import { sqlState, type SqlClient } from '../../src/db/sql-client.ts';

describe('the PGlite adapter', () => {
  let db: SqlClient;
  beforeAll(async () => {
    db = await openPGlite();
    await db.exec(
      `CREATE TABLE things (id text PRIMARY KEY, n bigint, doc jsonb, tags text[], at timestamptz)`,
    );
  });
  afterAll(() => db.close());

  it('sends parameters as node-postgres does and reads the columns back typed', async () => {
    const at = new Date('2026-11-25T10:00:00.123Z');
    await db.query(`INSERT INTO things VALUES ($1, $2, $3::jsonb, $4::text[], $5)`, [
      'a',
      41,
      JSON.stringify({ quote: 'say "hi"', list: [1, 2] }),
      ['x', 'y "z"', null, 'c,d'],
      at,
    ]);
    const [row] = await db.query(
      `SELECT n + 1 AS n, doc, tags, at, $2::boolean AS flag FROM things WHERE id = $1`,
      ['a', true],
    );
    expect(row).toEqual({
      n: 42,
      doc: { quote: 'say "hi"', list: [1, 2] },
      tags: ['x', 'y "z"', null, 'c,d'],
      at,
      flag: true,
    });
    expect(await db.query(`SELECT $1::text IS NULL AS missing`, [undefined])).toEqual([{ missing: true }]);
  });

  it('runs a statement again with other parameters, and reports errors with their SQLSTATE', async () => {
    const byId = (id: string) => db.query<{ id: string }>(`SELECT id FROM things WHERE id = $1`, [id]);
    for (let i = 0; i < 10; i++) await db.query(`INSERT INTO things (id, n) VALUES ($1, $2)`, [`k${i}`, i]);
    for (let i = 0; i < 10; i++) expect(await byId(`k${i}`)).toEqual([{ id: `k${i}` }]);
    expect(await byId('none')).toEqual([]);

    const duplicate = await db.query(`INSERT INTO things (id) VALUES ($1)`, ['k1']).catch((e: unknown) => e);
    expect(sqlState(duplicate)).toBe('23505');
    const syntax = await db.query(`SELEC id FROM things`).catch((e: unknown) => e);
    expect(sqlState(syntax)).toBe('42601');
    // The same text again fails again (nothing half-prepared was kept), and the database still answers.
    expect(sqlState(await db.query(`SELEC id FROM things`).catch((e: unknown) => e))).toBe('42601');
    expect(await byId('k3')).toEqual([{ id: 'k3' }]);
  });

  it('prepares a statement anew when a table it reads changed its columns', async () => {
    await db.exec(`CREATE TABLE changing (id int)`);
    await db.query(`INSERT INTO changing VALUES ($1)`, [1]);
    const all = () => db.query(`SELECT * FROM changing WHERE id = $1`, [1]);
    expect(await all()).toEqual([{ id: 1 }]);
    await db.exec(`ALTER TABLE changing ADD COLUMN label text DEFAULT 'one'`);
    expect(await all()).toEqual([{ id: 1, label: 'one' }]);
  });

  it('keeps a transaction all or nothing, and a statement outside it waits for it', async () => {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const failing = db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO things (id) VALUES ($1)`, ['t1']);
        inside();
        await held;
        await tx.query(`INSERT INTO things (id) VALUES ($1)`, ['k1']); // a duplicate: rolls back
      })
      .catch((e: unknown) => e);
    await entered;
    // Issued while the transaction is open: answers after it, so it never sees t1.
    const outside = db.query<{ n: number }>(`SELECT count(*)::int AS n FROM things WHERE id = 't1'`);
    release();
    expect(sqlState(await failing)).toBe('23505');
    expect(await outside).toEqual([{ n: 0 }]);

    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO things (id) VALUES ($1)`, ['t2']);
      await tx.exec(`INSERT INTO things (id) VALUES ('t3')`);
    });
    expect(await db.query(`SELECT id FROM things WHERE id IN ('t1', 't2', 't3') ORDER BY id`)).toEqual([
      { id: 't2' },
      { id: 't3' },
    ]);
  });

  it('rolls back a transaction whose first statement fails, and frees the database', async () => {
    const failed = await db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO things (id) VALUES ($1)`, ['k2']); // a duplicate, first of all
      })
      .catch((e: unknown) => e);
    expect(sqlState(failed)).toBe('23505');
    // Nothing is held: a transaction without statements, one opened by exec, and a lone statement.
    expect(await db.transaction(async () => 'nothing asked')).toBe('nothing asked');
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO things (id) VALUES ('t4')`);
      await tx.query(`INSERT INTO things (id) VALUES ($1)`, ['t5']);
    });
    expect(await db.query(`SELECT id FROM things WHERE id IN ('t4', 't5') ORDER BY id`)).toEqual([
      { id: 't4' },
      { id: 't5' },
    ]);
  });

  it('runs a statement of the foreground before the background statements queued ahead of it', async () => {
    const finished: string[] = [];
    let foreground: Promise<unknown> | undefined;
    const background = Array.from({ length: 20 }, (_, i) =>
      db.background!.query(`SELECT pg_sleep(0.005)`).then(() => {
        finished.push(`background ${i}`);
        // Once the first is done, the other nineteen are queued ahead: the foreground comes now.
        if (i === 0) foreground = db.query(`SELECT 1 AS one`).then(() => finished.push('foreground'));
      }),
    );
    await Promise.all(background);
    await foreground;
    // It waits for the statement running when it came, not for the twenty.
    expect(finished.indexOf('foreground')).toBeLessThan(10);
    expect(finished.filter((f) => f.startsWith('background'))).toHaveLength(20);
  });

  it('runs a transaction of the foreground before the background transactions queued ahead of it, each whole', async () => {
    const finished: string[] = [];
    let foreground: Promise<unknown> | undefined;
    const background = Array.from({ length: 20 }, (_, i) =>
      db.background!.transaction(async (tx) => {
        await tx.query(`SELECT pg_sleep(0.002)`);
        // Nothing else runs inside an open transaction: the foreground's statements wait for its end.
        await new Promise((r) => setTimeout(r, 2));
        await tx.query(`SELECT 1 AS two`);
        finished.push(`background ${i}`);
        if (i === 0)
          foreground = db.transaction(async (ftx) => {
            await ftx.query(`SELECT 1 AS one`);
            finished.push('foreground');
          });
      }),
    );
    await Promise.all(background);
    await foreground;
    expect(finished.indexOf('foreground')).toBeGreaterThan(0);
    expect(finished.indexOf('foreground')).toBeLessThan(10);
    expect(finished.filter((f) => f.startsWith('background'))).toHaveLength(20);
  });

  it('runs a pipeline of statements in one exchange, all or none', async () => {
    const insert = `INSERT INTO things (id, n) VALUES ($1, $2)`;
    const rows = () => db.query(`SELECT id, n FROM things WHERE id LIKE 'p%' ORDER BY id`);
    await db.pipeline!([
      { sql: insert, params: ['p1', 1] },
      { sql: insert, params: ['p2', 2] },
      { sql: `UPDATE things SET n = n * 10 WHERE id = $1`, params: ['p1'] },
    ]);
    expect(await rows()).toEqual([
      { id: 'p1', n: 10 },
      { id: 'p2', n: 2 },
    ]);
    // An error undoes the statements before it and skips those after it.
    const failed = await db.pipeline!([
      { sql: insert, params: ['p3', 3] },
      { sql: `SELECT 1 / $1::int`, params: [0] },
      { sql: `INSERT INTO things (id) VALUES ($1)`, params: ['p4'] },
    ]).catch((e: unknown) => e);
    expect(sqlState(failed)).toBe('22012');
    const unparsable = await db.pipeline!([
      { sql: insert, params: ['p5', 5] },
      { sql: `SELEC 1`, params: [] },
    ]).catch((e: unknown) => e);
    expect(sqlState(unparsable)).toBe('42601');
    expect(await rows()).toEqual([
      { id: 'p1', n: 10 },
      { id: 'p2', n: 2 },
    ]);
    // What was prepared before the errors serves again.
    await db.pipeline!([
      { sql: `INSERT INTO things (id) VALUES ($1)`, params: ['p4'] },
      { sql: `SELECT 1 / $1::int`, params: [1] },
    ]);
    expect((await rows()).map((r) => r.id)).toEqual(['p1', 'p2', 'p4']);
  });

  it('starts new WAL segments without filling them with zeros (the fill held every statement behind it)', async () => {
    expect(await db.query(`SHOW wal_init_zero`)).toEqual([{ wal_init_zero: 'off' }]);
  });

  it('answers beyond the statements it keeps prepared', async () => {
    for (let i = 0; i < 600; i++)
      expect(await db.query(`SELECT $1::int + ${i} AS n`, [1])).toEqual([{ n: i + 1 }]);
    expect(await db.query(`SELECT $1::int + 599 AS n`, [2])).toEqual([{ n: 601 }]);
  });
});
