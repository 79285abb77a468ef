-- After the sale (docs/decisions/0020-after-sale-and-refunds.md): the emails customers get about it,
-- and the business numbers operators watch.

ALTER TABLE notifications_outbox DROP CONSTRAINT notifications_outbox_kind_check;
ALTER TABLE notifications_outbox ADD CONSTRAINT notifications_outbox_kind_check CHECK (kind IN (
  'order_confirmed', 'order_cancelled', 'payment_failed', 'order_shipped', 'order_delivered',
  'return_requested', 'return_received', 'order_refunded'));

-- One row per confirmed order: when it was confirmed and first shipped, whether it saw a return or a
-- refund (refund rate, return rate, time from confirmation to shipment).
CREATE TABLE business_order_lifecycle (
  order_id         text PRIMARY KEY,
  confirmed_at     timestamptz,
  first_shipped_at timestamptz,
  returned         boolean NOT NULL DEFAULT false,
  refunded         boolean NOT NULL DEFAULT false
);

-- The business-metrics projection reads the log again, so that the new table covers every order.
TRUNCATE business_order_outcomes, business_carts;
DELETE FROM projection_checkpoints WHERE projection = 'business-metrics';
