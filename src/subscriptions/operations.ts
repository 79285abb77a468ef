import { inBackground, type SqlClient } from '../db/sql-client.ts';
import type { Checkpoint, EventStore, Subscription } from '../eventstore/event-store.ts';
import { observeProjectionLag, type Metrics } from '../observability/metrics.ts';
import { runSqlProjection, type SqlProjection } from './follow.ts';
import { RebuildRefused, rebuildSqlProjection, type RebuildProgress } from './rebuild.ts';

/**
 * A projection that can be rebuilt from position 0: the SQL ones by replaying into copies of their
 * tables, one kept elsewhere (e.g. the Elasticsearch search index) in its own way.
 */
export type RebuildableProjection = Readonly<{
  name: string;
  rebuild(onProgress?: (progress: RebuildProgress) => void): Promise<unknown>;
}>;

export type RebuildStatus = {
  state: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  /** Events read so far, and how many the log held when the rebuild started. */
  events: number;
  total: number;
  position: number;
  error?: string;
};

export type ProjectionOverview = {
  name: string;
  rebuildable: boolean;
  refusal?: string;
  /** Whether this process follows the log for it (ROLE worker or all). */
  live: boolean;
  checkpoint: Checkpoint | null;
  /** Age of the oldest event in the log it has not applied yet; 0 when it has applied everything. */
  lagSeconds: number;
  behind: boolean;
  rebuild?: RebuildStatus;
};

export class UnknownProjection extends Error {
  override name = 'UnknownProjection';
}

export class RebuildAlreadyRunning extends Error {
  override name = 'RebuildAlreadyRunning';
}

type Dependencies = Readonly<{
  db: SqlClient;
  store: EventStore;
  metrics: Metrics;
  /** Every subscriber kept in the SQL database: read models and process managers' queues. */
  sql: readonly SqlProjection[];
  /** Read models kept elsewhere that can be rebuilt (the search index). */
  external?: readonly RebuildableProjection[];
  /** Other subscribers that keep a checkpoint here (Redis): listed, lag-checked, not rebuilt from here. */
  followed?: readonly string[];
}>;

/** The projections of one process: running them, their lag, rebuilding them (one at a time each). */
export class ProjectionOperations {
  readonly rebuildable: readonly RebuildableProjection[];
  private readonly live = new Map<string, Subscription>();
  private readonly rebuilds = new Map<string, RebuildStatus>();

  constructor(private readonly deps: Dependencies) {
    this.rebuildable = [
      ...deps.sql
        .filter((projection) => 'tables' in projection.rebuild)
        .map((projection) => ({
          name: projection.name,
          rebuild: (onProgress?: (progress: RebuildProgress) => void) =>
            rebuildSqlProjection(inBackground(deps.db), projection, { onProgress }),
        })),
      ...(deps.external ?? []),
    ];
  }

  /** Starts following the log for every SQL projection, with its lag recorded per batch. */
  async startLive(projections: readonly SqlProjection[] = this.deps.sql): Promise<Subscription[]> {
    const started: Subscription[] = [];
    for (const projection of projections) {
      const subscription = await runSqlProjection(this.deps.store, this.deps.db, projection, {
        onApplied: (events) => observeProjectionLag(this.deps.metrics, projection.name, events),
      });
      this.live.set(projection.name, subscription);
      started.push(subscription);
    }
    return started;
  }

  /** Stops following the log for one projection (operations and tests); its rows stay as they are. */
  async stopLive(name: string): Promise<void> {
    const subscription = this.live.get(name);
    this.live.delete(name);
    await subscription?.stop();
  }

  /** Every projection name this process knows, SQL ones first. */
  names(): string[] {
    const names = this.deps.sql.map((p) => p.name);
    for (const name of [...this.rebuildable.map((p) => p.name), ...(this.deps.followed ?? [])])
      if (!names.includes(name)) names.push(name);
    return names;
  }

  /** Why a projection may not be rebuilt, if it may not. */
  refusal(name: string): string | undefined {
    const rebuild = this.deps.sql.find((p) => p.name === name)?.rebuild;
    return rebuild && 'refused' in rebuild ? rebuild.refused : undefined;
  }

  rebuildStatus(name: string): RebuildStatus | undefined {
    return this.rebuilds.get(name);
  }

  /**
   * Rebuilds a projection from position 0 and resolves when it is swapped in. Refuses an unknown
   * projection, one that may not be rebuilt, and one this process is already rebuilding.
   */
  async rebuild(name: string, onProgress?: (progress: RebuildProgress & { total: number }) => void) {
    const projection = this.rebuildable.find((p) => p.name === name);
    const refusal = this.refusal(name);
    if (refusal) throw new RebuildRefused(`${name} may not be rebuilt: ${refusal}`);
    if (!projection) throw new UnknownProjection(`no projection is called ${name}`);
    if (this.rebuilds.get(name)?.state === 'running')
      throw new RebuildAlreadyRunning(`${name} is being rebuilt already`);
    const status: RebuildStatus = {
      state: 'running',
      startedAt: new Date().toISOString(),
      events: 0,
      total: 0,
      position: 0,
    };
    this.rebuilds.set(name, status);
    try {
      status.total = await this.logSize();
      const result = await projection.rebuild((progress) => {
        status.events = progress.events;
        status.position = progress.position;
        onProgress?.({ ...progress, total: status.total });
      });
      status.state = 'succeeded';
      return result;
    } catch (error) {
      status.state = 'failed';
      status.error = (error as Error).message;
      throw error;
    } finally {
      status.finishedAt = new Date().toISOString();
    }
  }

  /** How many events the log holds: the total a rebuild's progress counts towards. */
  async logSize(): Promise<number> {
    const [row] = await this.deps.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM es_events`);
    return Number(row?.n ?? 0);
  }

  /**
   * Each projection's checkpoint and lag: the age of the oldest event visible in the log that it has
   * not applied. A projection with nothing left to apply has no lag, however long it has been idle.
   */
  async overview(lagBoundMs: number): Promise<ProjectionOverview[]> {
    const names = this.names();
    const rows = await this.deps.db.query<{
      name: string;
      transaction_id: string | null;
      global_position: string | number | null;
      lag_seconds: string | number | null;
    }>(
      `SELECT p.name, c.transaction_id::text AS transaction_id, c.global_position,
              (SELECT extract(epoch FROM now() - e.recorded_at) FROM es_events e
                WHERE (e.transaction_id, e.global_position) > (coalesce(c.transaction_id, '0'::xid8), coalesce(c.global_position, 0))
                  AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                ORDER BY e.transaction_id, e.global_position LIMIT 1) AS lag_seconds
         FROM unnest($1::text[]) WITH ORDINALITY AS p(name, n)
         LEFT JOIN projection_checkpoints c ON c.projection = p.name
        ORDER BY p.n`,
      [names],
    );
    return rows.map((row) => {
      const lagSeconds = Math.max(0, Number(row.lag_seconds ?? 0));
      const refusal = this.refusal(row.name);
      const rebuild = this.rebuilds.get(row.name);
      return {
        name: row.name,
        rebuildable: !refusal && this.rebuildable.some((p) => p.name === row.name),
        ...(refusal ? { refusal } : {}),
        live: this.live.has(row.name),
        checkpoint:
          row.transaction_id === null
            ? null
            : { transactionId: row.transaction_id, globalPosition: Number(row.global_position) },
        lagSeconds,
        // A read model elsewhere that has never saved a checkpoint here may not run in this deployment.
        behind:
          lagSeconds * 1000 > lagBoundMs &&
          (row.transaction_id !== null || this.deps.sql.some((p) => p.name === row.name)),
        ...(rebuild ? { rebuild: { ...rebuild } } : {}),
      };
    });
  }

  /** The projections that have events older than the bound still to apply. */
  async behind(lagBoundMs: number): Promise<string[]> {
    return (await this.overview(lagBoundMs)).filter((p) => p.behind).map((p) => p.name);
  }
}
