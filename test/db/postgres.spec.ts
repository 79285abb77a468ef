import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BY_KEY } from '../../src/db/sql-client.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';

// src/db/postgres.ts: a statement with parameters is prepared (parsed) once per connection, but
// planned for its values at every call; the event store's functions keep their cached plans, and a
// statement by key (`{ byKey: true }`) is planned once on a connection of its own, by index.
describe('statements on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshPostgres(1); // one connection a pool: every statement of a kind goes through it
  });
  afterAll(() => database.drop());

  it('are parsed once per connection and planned for their values at every call', async () => {
    const { db } = database;
    const sql = `SELECT count(*)::int AS n FROM es_streams WHERE ($1::text IS NULL OR stream_id = $1)`;
    for (let i = 0; i < 8; i++) await db.query(sql, [null]);
    expect(await db.query(sql, ['none-such'])).toEqual([{ n: 0 }]);
    const [prepared] = await db.query<{ generic_plans: string; custom_plans: string }>(
      `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
      [sql],
    );
    expect(prepared).toEqual({ generic_plans: '0', custom_plans: '9' });
  });

  it('leave the event store’s and the simulated gateway’s functions their cached plans', async () => {
    const functions = await database.db.query<{ proname: string; proconfig: string[] | null }>(
      `SELECT proname, proconfig FROM pg_proc
        WHERE proname IN ('es_append', 'es_append_duplicate', 'es_append_each', 'es_append_many',
                          'simulated_gateway_authorize', 'simulated_gateway_capture', 'simulated_gateway_claim')
        ORDER BY proname`,
    );
    expect(functions).toHaveLength(7);
    for (const { proname, proconfig } of functions)
      expect(proconfig, proname).toContain(
        proname === 'es_append_many' ? 'plan_cache_mode=force_generic_plan' : 'plan_cache_mode=auto',
      );
  });

  it('plan a statement by key once, for any value, through the index, even on an empty table', async () => {
    const { db } = database;
    const sql = `SELECT stream_version FROM es_events WHERE stream_id = $1 AND stream_version >= $2
                  ORDER BY stream_version LIMIT $3`;
    const byKey = <Row extends Record<string, unknown>>(query: string, params: unknown[] = []) =>
      db.query<Row>(query, params, BY_KEY);
    for (let i = 0; i < 8; i++) await byKey(sql, [`order-${i}`, 1, 10]);
    const [prepared] = await byKey<{ name: string; generic_plans: string; custom_plans: string }>(
      `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
      [sql],
    );
    expect(prepared).toMatchObject({ generic_plans: '8', custom_plans: '0' });
    const plan = JSON.stringify(
      await byKey(`EXPLAIN (FORMAT JSON) EXECUTE ${prepared!.name}('order-1', 1, 10)`),
    );
    expect(plan).toContain('Index');
    expect(plan).not.toContain('Seq Scan');
    // Elsewhere the same text is planned for its values, and a transaction keeps its own connection.
    await db.query(sql, ['order-1', 1, 10]);
    const [planned] = await db.query<{ custom_plans: string }>(
      `SELECT custom_plans FROM pg_prepared_statements WHERE statement = $1`,
      [sql],
    );
    expect(planned).toEqual({ custom_plans: '1' });
    const inTransaction = await db.transaction((tx) =>
      tx.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode', [], BY_KEY),
    );
    expect(inTransaction).toEqual([{ plan_cache_mode: 'force_custom_plan' }]);
  });
});
