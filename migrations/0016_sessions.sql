-- Sessions: one per sign-in, the family of refresh tokens rotated from it (src/identity/sessions.ts).
-- Access tokens name their session; a revoked session's tokens are refused at once, and so are the
-- tokens of a disabled account.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

CREATE TABLE sessions (
  session_id      uuid PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES users (user_id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz,
  revoked_because text
);
CREATE INDEX sessions_live_of_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Refresh tokens are random (256 bits), so a plain SHA-256 stands in for them: the table never holds
-- one that works. A token is used once; used_at set and presented again means it was stolen.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX refresh_tokens_of_session ON refresh_tokens (session_id);
