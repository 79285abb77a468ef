import type { SqlClient, SqlTransaction } from '../db/sql-client.ts';

/**
 * Who may do a job that must run in one place at a time (the Kafka relay): a row per job in
 * `integration_leases` with a holder and an expiry, renewed by the holder well before it runs out.
 * Anyone may take an expired lease; taking it bumps `term`, a fencing token. The holder writes its
 * progress only inside `fence`, which checks in the same transaction that it still holds that term,
 * so a holder that stalled past its expiry (GC pause, lost network) cannot move the job's checkpoint
 * after another took over. Plain SQL with the database's clock: the same on PostgreSQL and PGlite.
 */
export type LeaseTerm = Readonly<{ holder: string; term: number }>;

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export class Lease {
  constructor(
    private readonly db: SqlClient,
    readonly name: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes the lease for `holder` if it is free or expired; undefined when someone else holds it. */
  async tryAcquire(holder: string): Promise<LeaseTerm | undefined> {
    const [row] = await this.db.query<{ term: string | number }>(
      `INSERT INTO integration_leases (name, holder, term, expires_at, acquired_at)
       VALUES ($1, $2, 1, now() + make_interval(secs => $3 / 1000.0), now())
       ON CONFLICT (name) DO UPDATE
         SET holder = EXCLUDED.holder, term = integration_leases.term + 1,
             expires_at = EXCLUDED.expires_at, acquired_at = now()
         WHERE integration_leases.expires_at <= now()
       RETURNING term`,
      [this.name, holder, this.ttlMs],
    );
    return row ? { holder, term: Number(row.term) } : undefined;
  }

  /** Extends the lease; false when it was lost (it expired and another holder took it). */
  async renew(lease: LeaseTerm): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE integration_leases SET expires_at = now() + make_interval(secs => $4 / 1000.0)
        WHERE name = $1 AND holder = $2 AND term = $3 RETURNING term`,
      [this.name, lease.holder, lease.term, this.ttlMs],
    );
    return rows.length === 1;
  }

  /**
   * Runs `work` in a transaction that also renews the lease, and only while `lease` still holds:
   * otherwise it throws LeaseLostError and `work` never runs.
   */
  async fence<T>(lease: LeaseTerm, work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const held = await tx.query(
        `UPDATE integration_leases SET expires_at = now() + make_interval(secs => $4 / 1000.0)
          WHERE name = $1 AND holder = $2 AND term = $3 RETURNING term`,
        [this.name, lease.holder, lease.term, this.ttlMs],
      );
      if (held.length !== 1)
        throw new LeaseLostError(`${lease.holder} no longer holds ${this.name} (term ${lease.term})`);
      return work(tx);
    });
  }

  /** Gives the lease up at once, so a standby need not wait for it to expire. */
  async release(lease: LeaseTerm): Promise<void> {
    await this.db.query(
      `UPDATE integration_leases SET expires_at = now() - interval '1 millisecond'
        WHERE name = $1 AND holder = $2 AND term = $3`,
      [this.name, lease.holder, lease.term],
    );
  }

  /** The current holder and term, whether or not expired (for operators and tests). */
  async current(): Promise<{ holder: string; term: number; expired: boolean } | undefined> {
    const [row] = await this.db.query<{ holder: string; term: string | number; expired: boolean }>(
      `SELECT holder, term, expires_at <= now() AS expired FROM integration_leases WHERE name = $1`,
      [this.name],
    );
    return row ? { holder: row.holder, term: Number(row.term), expired: row.expired } : undefined;
  }
}
