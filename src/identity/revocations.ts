import { batched } from '../db/batched.ts';
import { BY_KEY, type SqlClient } from '../db/sql-client.ts';
import type { RevocationListener } from './sessions.ts';

/**
 * Whether a signed, unexpired access token may still be used: its account is not disabled and its
 * session (when it names one) is not revoked. Asked on every authenticated request.
 */
export interface TokenRevocations extends RevocationListener {
  isLive(userId: string, sessionId: string | undefined): boolean | Promise<boolean>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * PostgreSQL, where several API processes share the database: a query per check, so a revocation
 * made by any process holds in every other the moment it commits. Checks arriving while a query is
 * out go together in the next one (never in the one already sent, which may predate a revocation):
 * under load a round trip answers many requests.
 */
export class SqlTokenRevocations implements TokenRevocations {
  private readonly check: (check: Check) => Promise<boolean>;

  constructor(db: SqlClient) {
    this.check = batched(MAX_BATCH, async (checks) => {
      const rows = await db.query<{ i: string }>(
        `SELECT c.i::int AS i
           FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS c (user_id, session_id, i)
           JOIN users u ON u.user_id = c.user_id AND u.disabled_at IS NULL
          WHERE c.session_id IS NULL OR EXISTS (
                SELECT 1 FROM sessions s
                 WHERE s.session_id = c.session_id AND s.user_id = u.user_id AND s.revoked_at IS NULL)`,
        [checks.map((c) => c.userId), checks.map((c) => c.sessionId)],
        BY_KEY,
      );
      const live = new Set(rows.map((r) => Number(r.i) - 1));
      return checks.map((_, i) => live.has(i));
    });
  }

  isLive(userId: string, sessionId: string | undefined): Promise<boolean> {
    if (!UUID.test(userId) || (sessionId !== undefined && !UUID.test(sessionId)))
      return Promise.resolve(false);
    return this.check({ userId, sessionId: sessionId ?? null });
  }

  sessionRevoked(): void {}
  userDisabled(): void {}
}

type Check = { userId: string; sessionId: string | null };
const MAX_BATCH = 500;

/**
 * The embedded profile, whose one process is the database's only writer: every revocation is made
 * here, so the revocations kept in memory (loaded once at start) are the whole truth and a request
 * pays no query. Sessions revoked longer ago than an access token lives are forgotten: no token of
 * theirs is left that has not expired.
 */
export class InProcessTokenRevocations implements TokenRevocations {
  private readonly disabledUsers = new Set<string>();
  /** Session id -> when it was revoked (ms). */
  private readonly revokedSessions = new Map<string, number>();

  private constructor(
    private readonly accessTtlMs: number,
    private readonly now: () => number,
  ) {}

  static async load(db: SqlClient, accessTtlMs: number, now: () => number = Date.now) {
    const revocations = new InProcessTokenRevocations(accessTtlMs, now);
    const disabled = await db.query<{ user_id: string }>(
      `SELECT user_id::text AS user_id FROM users WHERE disabled_at IS NOT NULL`,
    );
    for (const { user_id } of disabled) revocations.disabledUsers.add(user_id);
    const revoked = await db.query<{ session_id: string; revoked_ms: number }>(
      `SELECT session_id::text AS session_id, (extract(epoch FROM revoked_at) * 1000)::float8 AS revoked_ms
         FROM sessions WHERE revoked_at > now() - $1 * interval '1 millisecond'`,
      [2 * accessTtlMs],
    );
    for (const { session_id, revoked_ms } of revoked)
      revocations.revokedSessions.set(session_id, Number(revoked_ms));
    return revocations;
  }

  isLive(userId: string, sessionId: string | undefined): boolean {
    if (this.disabledUsers.has(userId)) return false;
    return sessionId === undefined || !this.revokedSessions.has(sessionId);
  }

  sessionRevoked(sessionId: string): void {
    const now = this.now();
    if (this.revokedSessions.size >= 10_000) {
      // Past twice a token's life (clocks differ a little), a revoked session has no live token left.
      for (const [id, at] of this.revokedSessions)
        if (at < now - 2 * this.accessTtlMs) this.revokedSessions.delete(id);
    }
    this.revokedSessions.set(sessionId, now);
  }

  userDisabled(userId: string): void {
    this.disabledUsers.add(userId);
  }
}
