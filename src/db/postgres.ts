import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  DatabaseUnavailableError,
  sqlState,
  type AppendNotices,
  type QueryOptions,
  type SqlClient,
  type SqlRow,
  type SqlTransaction,
} from './sql-client.ts';

export type PostgresOptions = {
  connectionString: string;
  maxConnections?: number;
  applicationName?: string;
  /**
   * How long a request's statement (or getting a connection for it) may take before it fails with
   * `DatabaseUnavailableError`: a database cut off answers nothing, and a shopper must hear so within
   * seconds (default 3000 ms). Background work waits longer (`backgroundTimeoutMs`, default 60 s).
   */
  requestTimeoutMs?: number;
  backgroundTimeoutMs?: number;
};

/** PostgreSQL through a `pg` connection pool (the server profile). */
export function connectPostgres(options: PostgresOptions): SqlClient {
  const requestTimeoutMs = options.requestTimeoutMs ?? 3_000;
  const poolOf = (settings: string) => {
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 20,
      application_name: options.applicationName ?? 'eventful-commerce',
      connectionTimeoutMillis: requestTimeoutMs,
      options: settings,
    });
    // An idle client that loses its connection emits 'error'; the pool replaces it on the next checkout.
    pool.on('error', () => undefined);
    return pool;
  };
  // A prepared statement planned once for every value (a generic plan, which PostgreSQL may settle
  // on) cannot use the index the values at hand allow, and one made while a table was small scans it
  // whole as it grows: the platform's statements are planned at every call, as unnamed ones are. The
  // event store's and the simulated gateway's functions keep their plans (migration 0028).
  const pool = poolOf('-c plan_cache_mode=force_custom_plan');
  // Statements that find their rows by key (`QueryOptions.byKey`) go on connections of their own,
  // where each is planned once, for any value, with the planner told to take the index (no
  // sequential scan, no hash or merge join): planning them at every call cost four times running them.
  const byKey = poolOf(
    '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off',
  );
  const notices = appendNotices(options, pool);
  const client = (timeoutMs: number): SqlClient => ({
    dialect: 'postgres',
    ...onConnection(pool, timeoutMs, byKey),
    async transaction(work) {
      const connection = await unavailableOnFailure(pool.connect());
      try {
        await unavailableOnFailure(connection.query(statement('BEGIN', timeoutMs)));
        const result = await work(onConnection(connection, timeoutMs));
        await unavailableOnFailure(connection.query(statement('COMMIT', timeoutMs)));
        connection.release();
        return result;
      } catch (error) {
        // A connection whose statement timed out or failed is not reused: it is closed, not rolled back.
        if (error instanceof DatabaseUnavailableError) connection.release(error);
        else
          await connection
            .query(statement('ROLLBACK', timeoutMs))
            .then(() => connection.release())
            .catch((failed: Error) => connection.release(failed));
        throw error;
      }
    },
    notices,
    async close() {
      await notices.close();
      await Promise.all([pool.end(), byKey.end()]);
    },
  });
  return { ...client(requestTimeoutMs), background: client(options.backgroundTimeoutMs ?? 60_000) };
}

/** Statements on `client`; outside a transaction, those by key on `byKey` (see `connectPostgres`). */
const onConnection = (
  client: pg.PoolClient | pg.Pool,
  timeoutMs: number,
  byKey: pg.Pool | pg.PoolClient = client,
): SqlTransaction => ({
  async query<Row extends SqlRow>(sql: string, params: readonly unknown[] = [], options?: QueryOptions) {
    const on = options?.byKey ? byKey : client;
    return (await unavailableOnFailure(on.query<Row>(statement(sql, timeoutMs, params)))).rows;
  },
  async exec(sql: string) {
    await unavailableOnFailure(client.query(statement(sql, timeoutMs)));
  },
});

/**
 * A statement with pg's client-side read timeout (not in @types/pg's QueryConfig). One with parameters
 * is a named prepared statement: each connection parses it once, then binds and runs it (parsing
 * every time took an eighth of PostgreSQL's CPU in the spike benchmark). It is still planned for its
 * values at every call (`plan_cache_mode`, set in `connectPostgres`).
 */
const statement = (text: string, timeoutMs: number, values?: readonly unknown[]): pg.QueryConfig =>
  ({
    text,
    values,
    name: values && values.length > 0 ? preparedName(text) : undefined,
    query_timeout: timeoutMs,
  }) as pg.QueryConfig;

/**
 * The name each statement text is prepared under, the same on every connection of this process. The
 * platform's statements are a fixed set; past `MAX_PREPARED` texts (one built with values in it, say)
 * statements go unnamed, so that no connection keeps ever more of them.
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 1_000;
function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `p${preparedNames.size}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** SQLSTATE classes and codes that mean the server is going away or cannot take the work now. */
const UNAVAILABLE_STATES = /^(08|57P0[1-3]|53300)/;

/**
 * Errors that say nothing about the statement, only that the database did not answer or the
 * connection failed (pg's own timeouts, a refused or reset connection, a server shutting down), as
 * `DatabaseUnavailableError`; others (a constraint, a syntax error) as they are.
 */
async function unavailableOnFailure<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const state = sqlState(error);
    const message = error instanceof Error ? error.message : String(error);
    const connectionFailed =
      (state !== undefined && UNAVAILABLE_STATES.test(state)) ||
      /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH)$/.test(state ?? '') ||
      /timeout|Connection terminated|connection (is )?closed|Client has encountered a connection error/i.test(
        message,
      );
    if (connectionFailed) throw new DatabaseUnavailableError(`the database is unavailable: ${message}`);
    throw error;
  }
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
