import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { AppendNotices, SqlClient, SqlRow, SqlTransaction } from './sql-client.ts';

export type PostgresOptions = { connectionString: string; maxConnections?: number; applicationName?: string };

/** PostgreSQL through a `pg` connection pool (the server profile). */
export function connectPostgres(options: PostgresOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 20,
    application_name: options.applicationName ?? 'eventful-commerce',
  });
  // An idle client that loses its connection emits 'error'; the pool replaces it on the next checkout.
  pool.on('error', () => undefined);
  const notices = appendNotices(options, pool);

  const onConnection = (client: pg.PoolClient | pg.Pool): SqlTransaction => ({
    async query<Row extends SqlRow>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query<Row>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  });

  return {
    dialect: 'postgres',
    ...onConnection(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(onConnection(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    notices,
    async close() {
      await notices.close();
      await pool.end();
    },
  };
}

/** The channel appends are announced on, with the announcing process's id as the payload. */
const APPENDED = 'es_appended';
/**
 * The least time between two announcements of a process; the first after a quiet spell goes at once
 * (why 50 ms: docs/decisions/0007).
 */
const ANNOUNCE_GAP_MS = 50;
const RELISTEN_MS = 1_000;

/**
 * Announcements go after the append's commit, in a statement of their own: a NOTIFY in the append's
 * transaction would take the server's notification lock at every commit, one commit at a time. One
 * announcement is on its way at a time, and appends committed meanwhile make one more after it. A
 * lost announcement (the database unreachable) or one unheard (a listening connection down, meanwhile
 * polled for) is a delay, not a loss: subscriptions still poll, if rarely.
 */
function appendNotices(options: PostgresOptions, pool: pg.Pool): AppendNotices & { close(): Promise<void> } {
  const self = randomUUID();
  // One round trip. A notice is not worth a wait for the disk: it commits without one (it has a
  // transaction id of its own, whose commit would otherwise wait for the log to be flushed).
  const announcement = `BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify('${APPENDED}', '${self}'); COMMIT`;
  const onNotices: (() => void)[] = [];
  const told = () => onNotices.forEach((onNotice) => onNotice());
  let announcing = false;
  let again = false;
  let listener: pg.Client | undefined;
  let hearing = false;
  let listening: Promise<void> | undefined;
  const closing = new AbortController();

  async function announceAll() {
    announcing = true;
    while (again && !closing.signal.aborted) {
      again = false;
      await pool.query(announcement).catch(() => undefined);
      await sleep(ANNOUNCE_GAP_MS);
    }
    announcing = false;
  }

  async function listen() {
    while (!closing.signal.aborted) {
      const client = new pg.Client({
        connectionString: options.connectionString,
        application_name: `${options.applicationName ?? 'eventful-commerce'} notices`,
      });
      listener = client;
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      client.on('notification', (notice) => {
        if (notice.payload !== self) told();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${APPENDED}`);
        hearing = true;
        told(); // whatever was appended while nobody listened
        await lost;
      } catch {
        // The database unreachable: listened to again below, and polled meanwhile.
      }
      hearing = false;
      await client.end().catch(() => undefined);
      await sleep(RELISTEN_MS, undefined, { signal: closing.signal }).catch(() => undefined);
    }
  }

  return {
    announce() {
      again = true;
      if (!announcing) void announceAll();
    },
    listen(onNotice) {
      onNotices.push(onNotice);
      listening ??= listen();
    },
    get hearing() {
      return hearing;
    },
    async close() {
      closing.abort();
      await listener?.end().catch(() => undefined);
      await listening;
    },
  };
}
