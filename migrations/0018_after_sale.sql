-- The order after payment (docs/decisions/0020-after-sale-and-refunds.md).

-- Order history keeps each order folded by the order domain's own `evolve` (`state`), so that its
-- status, shipments, returns and refunds are decided in one place; the other columns serve the lists.
ALTER TABLE order_history ADD COLUMN state jsonb;
CREATE INDEX order_history_newest ON order_history (created_at DESC, order_id DESC);
CREATE INDEX order_history_by_status ON order_history (status, created_at DESC);

-- Returns, for the admins' list and to find a return's order by its id.
CREATE TABLE order_returns (
  return_id    text PRIMARY KEY,
  order_id     text NOT NULL,
  customer_id  text NOT NULL,
  status       text NOT NULL,
  lines        jsonb NOT NULL,
  reason       text NOT NULL,
  received     jsonb NOT NULL,
  requested_at timestamptz NOT NULL,
  received_at  timestamptz
);
CREATE INDEX order_returns_by_status ON order_returns (status, requested_at DESC);

-- Rows written before `state` existed cannot be folded further: the projection reads the log again.
DELETE FROM order_history;
DELETE FROM projection_checkpoints WHERE projection = 'order-history';

-- Orders the refund process still has work for (refunds to carry out, stock to put back on hand).
-- Filled from the order events that ask for it, emptied by the process; a worker leases a row while
-- it drives the order, and a crashed worker's lease runs out for another to resume.
CREATE TABLE refund_process (
  order_id     text PRIMARY KEY,
  queued_at    timestamptz NOT NULL,
  leased_until timestamptz,
  lease_owner  text,
  attempts     integer NOT NULL DEFAULT 0,
  requeued     boolean NOT NULL DEFAULT false
);
CREATE INDEX refund_process_due ON refund_process (leased_until NULLS FIRST, queued_at);
