-- What the fraud velocity rules measure (src/projections/fraud/), fed by order and payment events in
-- one projection ('fraud-velocity') whose checkpoint the checkout saga waits for: an order is screened
-- only once every event before its placement is in these rows.

-- Each placed order: who, from where (a keyed hash of the client address, never the address), with
-- what, for how much; whether it was confirmed (a customer with none is a new account).
CREATE TABLE fraud_orders (
  order_id       text PRIMARY KEY,
  customer_id    text NOT NULL,
  client_key     text,
  payment_method text NOT NULL,
  amount         bigint NOT NULL,
  currency       text NOT NULL,
  placed_at      timestamptz NOT NULL,
  confirmed      boolean NOT NULL DEFAULT false
);
CREATE INDEX fraud_orders_by_customer ON fraud_orders (customer_id, placed_at);
CREATE INDEX fraud_orders_by_client ON fraud_orders (client_key, placed_at) WHERE client_key IS NOT NULL;

-- Each failed authorization, with the customer of its order.
CREATE TABLE fraud_declines (
  order_id    text NOT NULL,
  attempt     integer NOT NULL,
  customer_id text NOT NULL,
  reason      text NOT NULL,
  failed_at   timestamptz NOT NULL,
  PRIMARY KEY (order_id, attempt)
);
CREATE INDEX fraud_declines_by_customer ON fraud_declines (customer_id, failed_at);

-- Orders held for review and what became of them: open, approved, rejected, or cancelled by the customer.
CREATE TABLE fraud_reviews (
  order_id    text PRIMARY KEY,
  customer_id text NOT NULL,
  rule        text NOT NULL,
  measures    jsonb NOT NULL,
  amount      bigint NOT NULL,
  currency    text NOT NULL,
  status      text NOT NULL,
  held_at     timestamptz NOT NULL,
  decided_at  timestamptz
);
CREATE INDEX fraud_reviews_by_status ON fraud_reviews (status, held_at);
