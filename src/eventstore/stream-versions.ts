import type { SqlClient } from '../db/sql-client.ts';

/** Streams counted at most: a database with more is not kept in memory (reads then always query). */
const MAX_STREAMS = 1_000_000;

/**
 * Every stream's version, in memory, for a database this process is the only writer of (PGlite
 * admits one process): loaded once from `es_streams`, then moved forward by each append this process
 * makes. A read of a stream's tail beyond its version needs no query: there is nothing there.
 *
 * Versions only ever grow, so whatever order answers arrive in, keeping the greatest version seen is
 * exact. An append whose outcome is unknown (it failed) makes the stream's version read again before
 * the failure is reported; if that fails too, the whole map is given up and every read queries.
 */
export class StreamVersions {
  private readonly versions = new Map<string, number>();
  private state: 'unloaded' | 'loading' | 'complete' | 'given up' = 'unloaded';

  constructor(private readonly db: SqlClient) {}

  /** The stream's version (0 if it has no events), or undefined when not known here. */
  versionOf(streamId: string): number | undefined {
    if (this.state !== 'complete') {
      if (this.state === 'unloaded') void this.load();
      return undefined;
    }
    return this.versions.get(streamId) ?? 0;
  }

  /** The stream is at `version` or later (an append made it so, or a read found it there). */
  saw(streamId: string, version: number): void {
    if (this.state === 'given up') return;
    if (version > (this.versions.get(streamId) ?? 0)) this.versions.set(streamId, version);
  }

  /** An append to the stream failed without telling what it wrote: read the version afresh. */
  async unsure(streamId: string): Promise<void> {
    if (this.state === 'given up') return;
    try {
      const [row] = await this.db.query<{ version: string | number }>(
        `SELECT version FROM es_streams WHERE stream_id = $1`,
        [streamId],
      );
      if (row) this.saw(streamId, Number(row.version));
    } catch {
      this.giveUp();
    }
  }

  private async load(): Promise<void> {
    this.state = 'loading';
    try {
      const rows = await this.db.query<{ stream_id: string; version: string | number }>(
        `SELECT stream_id, version FROM es_streams LIMIT $1`,
        [MAX_STREAMS + 1],
      );
      if (rows.length > MAX_STREAMS) return this.giveUp();
      for (const row of rows) this.saw(row.stream_id, Number(row.version));
      if (this.state === 'loading') this.state = 'complete';
    } catch {
      this.state = 'unloaded'; // tried again at the next read
    }
  }

  private giveUp(): void {
    this.state = 'given up';
    this.versions.clear();
  }
}
