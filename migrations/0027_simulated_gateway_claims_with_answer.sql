-- The simulated gateway's two busiest answers, as in 0014 but with one write less each: the key's
-- first answer is looked up, then the key is claimed with its answer in one insert, instead of
-- claimed, then updated with the answer. A racing call with the same key waits on the insert and
-- answers what the first stored; its own work came to nothing (a hold's number drawn is skipped, a
-- capture finds the hold captured already).

-- The answer stored under a key, if any.
CREATE FUNCTION simulated_gateway_answer(p_key text)
RETURNS TABLE (answer_fingerprint text, answer_outcome jsonb)
LANGUAGE sql STABLE AS $$
  SELECT r.fingerprint, r.outcome FROM simulated_gateway_requests r WHERE r.idempotency_key = p_key
$$;

-- Claims the key with its answer; false when another call claimed it first (waiting for that call's
-- transaction if it is still running).
CREATE FUNCTION simulated_gateway_claim(p_key text, p_fingerprint text, p_outcome jsonb)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO simulated_gateway_requests (idempotency_key, fingerprint, outcome, answered_at)
    VALUES (p_key, p_fingerprint, p_outcome, now())
    ON CONFLICT (idempotency_key) DO NOTHING;
  RETURN FOUND;
END
$$;

CREATE OR REPLACE FUNCTION simulated_gateway_authorize(p_key text, p_fingerprint text, p_order_id text,
  p_customer_id text, p_amount bigint, p_currency text, p_payment_method text, p_decline text)
RETURNS TABLE (answer_fingerprint text, answer_outcome jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_id      bigint;
  v_ref     text;
  v_outcome jsonb;
BEGIN
  RETURN QUERY SELECT * FROM simulated_gateway_answer(p_key);
  IF FOUND THEN
    RETURN;
  END IF;
  IF p_decline IS NOT NULL THEN
    v_outcome := jsonb_build_object('ok', true, 'value', jsonb_build_object('status', 'declined', 'reason', p_decline));
  ELSE
    v_id := nextval('simulated_gateway_authorization_seq');
    v_ref := 'pi_sim_' || repeat('0', greatest(0, 6 - length(v_id::text))) || v_id::text;
    v_outcome := jsonb_build_object('ok', true, 'value', jsonb_build_object('status', 'authorized', 'gatewayRef', v_ref));
  END IF;
  IF NOT simulated_gateway_claim(p_key, p_fingerprint, v_outcome) THEN
    RETURN QUERY SELECT * FROM simulated_gateway_answer(p_key);
    RETURN;
  END IF;
  IF p_decline IS NULL THEN
    INSERT INTO simulated_gateway_authorizations
      (id, gateway_ref, idempotency_key, order_id, customer_id, amount, currency, payment_method, status)
      VALUES (v_id, v_ref, p_key, p_order_id, p_customer_id, p_amount, p_currency, p_payment_method, 'authorized');
  END IF;
  RETURN QUERY SELECT p_fingerprint, v_outcome;
END
$$;

-- The hold is taken before the key is claimed: a racing call with the same key that claims it first
-- has found the hold this call holds locked, and waits; it then finds it captured and changes nothing.
CREATE OR REPLACE FUNCTION simulated_gateway_capture(p_key text, p_fingerprint text, p_gateway_ref text)
RETURNS TABLE (answer_fingerprint text, answer_outcome jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_status  text;
  v_outcome jsonb;
BEGIN
  RETURN QUERY SELECT * FROM simulated_gateway_answer(p_key);
  IF FOUND THEN
    RETURN;
  END IF;
  UPDATE simulated_gateway_authorizations SET status = 'captured', captures = captures + 1
   WHERE gateway_ref = p_gateway_ref AND status = 'authorized';
  IF FOUND THEN
    v_outcome := jsonb_build_object('ok', true);
  ELSE
    SELECT a.status INTO v_status FROM simulated_gateway_authorizations a WHERE a.gateway_ref = p_gateway_ref;
    v_outcome := jsonb_build_object('ok', false, 'error', CASE WHEN v_status IS NULL
      THEN jsonb_build_object('code', 'not_found', 'message', 'no authorization ' || p_gateway_ref, 'retryable', false)
      ELSE jsonb_build_object('code', 'invalid_state',
             'message', 'cannot capture an authorization that is ' || v_status, 'retryable', false)
    END);
  END IF;
  IF NOT simulated_gateway_claim(p_key, p_fingerprint, v_outcome) THEN
    -- Claimed first by a call that changed the hold (this one found it changed): its answer stands.
    RETURN QUERY SELECT * FROM simulated_gateway_answer(p_key);
    RETURN;
  END IF;
  RETURN QUERY SELECT p_fingerprint, v_outcome;
END
$$;
