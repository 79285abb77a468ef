-- Appends to several streams in one round trip and one transaction: each append exactly as
-- es_append makes it alone (its own expected version, its own outcome: 'ok', 'duplicate' or
-- 'conflict', a conflict writing nothing for that append only). An error in any append (an event id
-- reused, invalid data) rolls back the whole call; the caller then makes the appends one by one.
--   p_appends: [{streamId, expectedVersion, events: [...as es_append...]}], ordered by the caller by
--              stream id, so that two such calls lock stream rows in one order and never deadlock
--   p_lock_timeout: how long to wait for a stream row another transaction holds before giving up the
--              whole call (the caller then appends one by one, so that one held stream never holds up
--              the writers of the other streams for longer than this)
-- Returns one row per append, `ordinal` its place in p_appends (from 1).
CREATE FUNCTION es_append_many(p_appends jsonb, p_lock_timeout text)
RETURNS TABLE (ordinal integer, outcome text, stream_version bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_append record;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_timeout, true);
  FOR v_append IN
    SELECT a.value, a.n FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(value, n) ORDER BY a.n
  LOOP
    RETURN QUERY
      SELECT v_append.n::integer, r.outcome, r.stream_version, r.last_position
        FROM es_append(v_append.value->>'streamId', (v_append.value->>'expectedVersion')::bigint,
                       v_append.value->'events') r;
  END LOOP;
END
$$;
