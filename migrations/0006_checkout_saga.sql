-- Orders the checkout saga still has work for. Filled from OrderPlaced events (with the projection
-- checkpoint, in one transaction), emptied by the saga when an order needs nothing more. A worker
-- leases a row while it drives the order; a crashed worker's lease runs out and another resumes it.
CREATE TABLE checkout_saga (
  order_id     text PRIMARY KEY,
  placed_at    timestamptz NOT NULL,
  leased_until timestamptz,
  lease_owner  text,
  attempts     integer NOT NULL DEFAULT 0,
  -- Set when the order is queued again while a worker holds it: the worker then drives it once more.
  requeued     boolean NOT NULL DEFAULT false
);
CREATE INDEX checkout_saga_due ON checkout_saga (leased_until NULLS FIRST, placed_at);

-- Reservations still holding stock, so the expiry timer knows which SKUs to look at.
CREATE TABLE active_reservations (
  sku            text NOT NULL,
  reservation_id text NOT NULL,
  expires_at     timestamptz NOT NULL,
  PRIMARY KEY (sku, reservation_id)
);
CREATE INDEX active_reservations_due ON active_reservations (expires_at);
