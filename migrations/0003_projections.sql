-- Where each projection is in the global log. A PostgreSQL projection updates its rows and this
-- checkpoint in one transaction, so after a crash it resumes exactly after what it has applied.
CREATE TABLE projection_checkpoints (
  projection      text PRIMARY KEY,
  transaction_id  xid8 NOT NULL,
  global_position bigint NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
