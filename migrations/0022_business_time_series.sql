-- The business metrics as time series (GET /admin/metrics/business): when each order was placed,
-- confirmed, cancelled, shipped, returned or refunded, and when each cart got its first item.
CREATE TABLE business_events (
  at     timestamptz NOT NULL,
  kind   text NOT NULL,
  amount bigint NOT NULL DEFAULT 0
);
CREATE INDEX business_events_at ON business_events (at);
ALTER TABLE business_carts ADD COLUMN started_at timestamptz;
CREATE INDEX business_carts_started ON business_carts (started_at);

-- The business-metrics projection reads the log again, so that the series cover the whole history.
TRUNCATE business_order_outcomes, business_carts, business_order_lifecycle;
DELETE FROM projection_checkpoints WHERE projection = 'business-metrics';
