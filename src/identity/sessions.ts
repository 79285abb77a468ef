import { createHash, randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { SqlClient } from '../db/sql-client.ts';
import type { Role, User } from './users.ts';

/** A refresh token that may not be used: unknown, expired, used already, or its session is over. */
export class RefreshRefusedError extends Error {
  override name = 'RefreshRefusedError';
}

/** A session (one sign-in) with the refresh token that continues it. */
export type Session = Readonly<{ user: User; sessionId: string; refreshToken: string }>;

/** Told of every revocation this process makes (see TokenRevocations). */
export type RevocationListener = Readonly<{
  sessionRevoked(sessionId: string): void;
  userDisabled(userId: string): void;
}>;

const hashed = (token: string) => createHash('sha256').update(token).digest('hex');
const newRefreshToken = () => randomBytes(32).toString('base64url');

type SessionRow = { session_id: string; user_id: string; email: string; role: Role };

/**
 * Sessions and their rotating refresh tokens. Each refresh uses up its token and hands out the
 * next; a used token presented again means two parties hold the session (one of them stole it), so
 * the whole session ends and both must sign in again.
 */
export class Sessions {
  constructor(
    private readonly db: SqlClient,
    private readonly refreshTtlMs: number,
    private readonly listener: RevocationListener,
  ) {}

  async start(user: User): Promise<Session> {
    const sessionId = uuidv7();
    await this.db.query(`INSERT INTO sessions (session_id, user_id) VALUES ($1, $2)`, [
      sessionId,
      user.userId,
    ]);
    return { user, sessionId, refreshToken: await this.issueRefreshToken(sessionId) };
  }

  /** The session continued with a new refresh token; throws RefreshRefusedError. */
  async refresh(refreshToken: string): Promise<Session> {
    const tokenHash = hashed(refreshToken);
    const [used] = await this.db.query<{ session_id: string }>(
      `UPDATE refresh_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING session_id::text AS session_id`,
      [tokenHash],
    );
    if (!used) {
      const [seen] = await this.db.query<{ session_id: string; used: boolean }>(
        `SELECT session_id::text AS session_id, used_at IS NOT NULL AS used FROM refresh_tokens WHERE token_hash = $1`,
        [tokenHash],
      );
      if (seen?.used) {
        await this.revoke(seen.session_id, 'refresh token reused');
        throw new RefreshRefusedError('this refresh token was used already: the session is ended');
      }
      throw new RefreshRefusedError('unknown or expired refresh token');
    }
    const [row] = await this.db.query<SessionRow>(
      `SELECT s.session_id::text AS session_id, u.user_id::text AS user_id, u.email, u.role
         FROM sessions s JOIN users u ON u.user_id = s.user_id
        WHERE s.session_id = $1 AND s.revoked_at IS NULL AND u.disabled_at IS NULL`,
      [used.session_id],
    );
    if (!row) throw new RefreshRefusedError('the session is ended');
    return {
      user: { userId: row.user_id, email: row.email, role: row.role },
      sessionId: row.session_id,
      refreshToken: await this.issueRefreshToken(row.session_id),
    };
  }

  /** Signs out: ends the caller's session, and the refresh token's if it is another of the caller's. */
  async end(userId: string, sessionId: string | undefined, refreshToken: string): Promise<void> {
    const [ofToken] = await this.db.query<{ session_id: string }>(
      `SELECT r.session_id::text AS session_id FROM refresh_tokens r JOIN sessions s ON s.session_id = r.session_id
        WHERE r.token_hash = $1 AND s.user_id = $2`,
      [hashed(refreshToken), userId],
    );
    const ended = new Set([sessionId, ofToken?.session_id].filter((id): id is string => id !== undefined));
    for (const id of ended) await this.revoke(id, 'signed out');
  }

  /** Ends every session of the user (the account is disabled). */
  async revokeAllOf(userId: string, because: string): Promise<void> {
    const revoked = await this.db.query<{ session_id: string }>(
      `UPDATE sessions SET revoked_at = now(), revoked_because = $2
        WHERE user_id = $1 AND revoked_at IS NULL RETURNING session_id::text AS session_id`,
      [userId, because],
    );
    for (const { session_id } of revoked) this.listener.sessionRevoked(session_id);
  }

  private async revoke(sessionId: string, because: string) {
    await this.db.query(
      `UPDATE sessions SET revoked_at = now(), revoked_because = $2 WHERE session_id = $1 AND revoked_at IS NULL`,
      [sessionId, because],
    );
    this.listener.sessionRevoked(sessionId);
  }

  private async issueRefreshToken(sessionId: string): Promise<string> {
    const token = newRefreshToken();
    await this.db.query(
      `INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond')`,
      [hashed(token), sessionId, this.refreshTtlMs],
    );
    return token;
  }
}
