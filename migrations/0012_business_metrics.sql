-- Business metrics for operators (src/projections/business/), written by the `business-metrics`
-- projection and read by /metrics at scrape time, so every process exports the same numbers.

-- Orders by outcome: placed, confirmed, and cancelled by reason ('' when there is none).
CREATE TABLE business_order_outcomes (
  outcome text NOT NULL,
  reason  text NOT NULL,
  orders  bigint NOT NULL,
  PRIMARY KEY (outcome, reason)
);

-- One row per cart that has had items; checked_out once the cart reached checkout (CartCheckedOut).
-- A cart merged into another leaves: its items now count in the cart they went to.
CREATE TABLE business_carts (
  cart_id     text PRIMARY KEY,
  checked_out boolean NOT NULL
);
