-- The simulated card gateway's memory. It lives in the platform's database so that every process
-- (API, workers, a worker restarted after a crash) talks to one gateway, as they would to Stripe.

-- One answer per idempotency key: the first request's fingerprint and outcome (an authorization, a
-- decline or a refusal). The row and the ledger change it answers for are written in one transaction,
-- so `outcome` is NULL only inside that transaction and a key never answers twice.
CREATE TABLE simulated_gateway_requests (
  idempotency_key text PRIMARY KEY,
  fingerprint     text NOT NULL,
  outcome         jsonb,
  answered_at     timestamptz NOT NULL DEFAULT now()
);

-- Numbers gateway references (pi_sim_000001, ...) in the order authorizations are made.
CREATE SEQUENCE simulated_gateway_authorization_seq;

-- The ledger: every hold placed, and what became of it. `captures` counts the times the funds were
-- taken; anything but 0 or 1 means the simulator is broken, so it is counted, not constrained.
CREATE TABLE simulated_gateway_authorizations (
  id              bigint PRIMARY KEY,
  gateway_ref     text NOT NULL UNIQUE,
  idempotency_key text NOT NULL UNIQUE,
  order_id        text NOT NULL,
  customer_id     text,
  amount          bigint NOT NULL CHECK (amount > 0),
  currency        text NOT NULL,
  payment_method  text NOT NULL,
  status          text NOT NULL CHECK (status IN ('authorized', 'captured', 'voided', 'refunded')),
  captures        integer NOT NULL DEFAULT 0,
  refunded        bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  authorized_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simulated_gateway_authorizations_by_order ON simulated_gateway_authorizations (order_id);
