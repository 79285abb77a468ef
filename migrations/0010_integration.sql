-- Kafka integration: the relay that publishes integration events, and this project's consumers.

-- Jobs that run in one place at a time (the relay). The holder renews expires_at; anyone may take an
-- expired lease, which bumps term (a fencing token checked when the holder writes its progress).
CREATE TABLE integration_leases (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  term        bigint NOT NULL,
  expires_at  timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL
);

-- Where the relay is in the global log: advanced only after the broker acknowledged the events before it.
CREATE TABLE integration_relay_checkpoints (
  relay           text PRIMARY KEY,
  transaction_id  xid8 NOT NULL,
  global_position bigint NOT NULL,
  published       bigint NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Stock levels as the relay has folded them up to its checkpoint (to tell when stock runs low).
CREATE TABLE integration_stock_levels (
  relay    text NOT NULL,
  sku      text NOT NULL,
  on_hand  bigint NOT NULL,
  reserved bigint NOT NULL,
  PRIMARY KEY (relay, sku)
);

-- Integration events a consumer has applied, written in the same transaction as its effect: a
-- redelivered event finds its id here and changes nothing.
CREATE TABLE integration_processed_events (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Emails for a mailer to send: one per integration event that calls for one, never two.
CREATE TABLE notifications_outbox (
  notification_id uuid PRIMARY KEY,
  event_id        uuid NOT NULL UNIQUE,
  kind            text NOT NULL CHECK (kind IN ('order_confirmed', 'order_cancelled', 'payment_failed')),
  customer_id     text NOT NULL,
  order_id        text NOT NULL,
  payload         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX notifications_outbox_unsent ON notifications_outbox (created_at) WHERE sent_at IS NULL;

-- Analytics: units and revenue of confirmed orders per SKU per (UTC) day.
CREATE TABLE analytics_sales_daily (
  day      date NOT NULL,
  sku      text NOT NULL,
  currency text NOT NULL,
  units    bigint NOT NULL,
  revenue  bigint NOT NULL,
  orders   bigint NOT NULL,
  PRIMARY KEY (day, sku, currency)
);

-- Analytics: the conversion funnel per (UTC) day.
CREATE TABLE analytics_funnel_daily (
  day       date PRIMARY KEY,
  placed    bigint NOT NULL DEFAULT 0,
  confirmed bigint NOT NULL DEFAULT 0,
  cancelled bigint NOT NULL DEFAULT 0
);
