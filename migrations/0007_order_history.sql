-- "My orders": one row per order with its status timeline, newest first per customer.
CREATE TABLE order_history (
  order_id     text PRIMARY KEY,
  customer_id  text NOT NULL,
  status       text NOT NULL,
  lines        jsonb NOT NULL,
  total_amount bigint NOT NULL,
  currency     text NOT NULL,
  reason       text,
  timeline     jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX order_history_by_customer ON order_history (customer_id, created_at DESC);
