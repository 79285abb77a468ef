/**
 * The little the event store, the migrations and the Postgres projections need from a SQL database.
 * Two adapters implement it with the same SQL: PostgreSQL through a `pg` pool, and PGlite on a
 * thread of its own.
 */
export type SqlRow = Record<string, unknown>;

export interface SqlClient {
  readonly dialect: 'postgres' | 'pglite';
  query<Row extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<Row[]>;
  /** Runs several statements (no parameters), e.g. a migration file. */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Where the database takes several statements in one exchange (PGlite): runs them in order as one
   * transaction, all or none, and answers nothing; rejects with the first error. A transaction holds
   * PGlite for every exchange of its statements, this one for their running only.
   */
  readonly pipeline?: (statements: readonly SqlStatement[]) => Promise<void>;
  close(): Promise<void>;
  /**
   * The same database, for work nobody is waiting on (the saga's bookkeeping, projections looking for
   * events): where statements wait their turn (PGlite runs one at a time), these go after the others.
   */
  readonly background?: SqlClient;
  /** Where several processes share the database (PostgreSQL): word between them of new events. */
  readonly notices?: AppendNotices;
}

/**
 * Tells the other processes on the database that events were appended, and hears them tell it, so
 * that their subscriptions need not poll for them (PostgreSQL's LISTEN/NOTIFY).
 */
export interface AppendNotices {
  /** After an append committed: every other process listening hears of it, soon. */
  announce(): void;
  /** Calls `onNotice` when another process announced an append; listening starts with the first call. */
  listen(onNotice: () => void): void;
  /** Whether every other process's announcements are being heard now (the listening connection is up). */
  readonly hearing: boolean;
}

/**
 * The database did not answer in time or the connection to it failed: the request may be retried
 * later (HTTP 503), nothing it asked for is known to have happened.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

export type QueryOptions = Readonly<{
  /**
   * The statement finds its rows by key through an index whatever its values (a stream's events, a
   * row by id, a function call): PostgreSQL plans it once on a connection, by index, instead of at
   * every call as it plans the others (docs/decisions/0035). PGlite leaves the choice to the database.
   */
  byKey?: boolean;
}>;

export const BY_KEY: QueryOptions = { byKey: true };

/** `db` for background work (see `SqlClient.background`). */
export const inBackground = (db: SqlClient): SqlClient => db.background ?? db;

export type SqlTransaction = Pick<SqlClient, 'query' | 'exec'>;

export type SqlStatement = Readonly<{ sql: string; params: readonly unknown[] }>;

/** A database error code (SQLSTATE), whichever driver raised it. */
export const sqlState = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

export const constraintName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'constraint' in error && typeof error.constraint === 'string'
    ? error.constraint
    : undefined;
