-- An append of a call may be made only after another of the same call: `after`, the other's place in
-- p_appends (from 1). When that one is not made (a conflict), this one is not tried and answers
-- 'skipped', with its stream's version. Checkout appends an order's placement and its cart's checkout
-- in one call this way: the cart is closed only by the order that was placed (docs/decisions/0038).
-- One level only: an append that others follow follows none itself. Not one transaction: the
-- following append keeps its own expected version, and may meet a conflict while the first stands.

-- 0028's es_append_each (0013's way, append after append), with `after`: the appends that follow
-- none first, in the caller's order (by stream id), then those that follow another, in that order.
CREATE OR REPLACE FUNCTION es_append_each(p_appends jsonb, p_lock_timeout text)
RETURNS TABLE (ordinal integer, outcome text, stream_version bigint, last_position bigint)
LANGUAGE plpgsql
SET plan_cache_mode = auto
AS $$
DECLARE
  v_append   record;
  v_outcomes text[] := '{}';
  v_result   record;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_timeout, true);
  FOR v_append IN
    SELECT a.value, a.n::integer AS n, (a.value->>'after')::integer AS after
      FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(value, n)
     ORDER BY (a.value->>'after') IS NOT NULL, a.n
  LOOP
    IF v_append.after IS NOT NULL AND coalesce(v_outcomes[v_append.after], '') NOT IN ('ok', 'duplicate') THEN
      ordinal := v_append.n;
      outcome := 'skipped';
      stream_version := coalesce((SELECT s.version FROM es_streams s WHERE s.stream_id = v_append.value->>'streamId'), 0);
      last_position := NULL;
    ELSE
      SELECT r.outcome, r.stream_version, r.last_position INTO v_result
        FROM es_append(v_append.value->>'streamId', (v_append.value->>'expectedVersion')::bigint,
                       v_append.value->'events') r;
      ordinal := v_append.n;
      outcome := v_result.outcome;
      stream_version := v_result.stream_version;
      last_position := v_result.last_position;
    END IF;
    v_outcomes[v_append.n] := outcome;
    RETURN NEXT;
  END LOOP;
END
$$;

-- 0028's es_append_many, restated whole (a function is replaced with its whole body), with `after`:
-- read into v_after; each append's outcome decided in a loop of its own before any event is built,
-- then a following append whose first is not made turned down; 'skipped' among the outcomes. The
-- rest is 0028's, line for line.
CREATE OR REPLACE FUNCTION es_append_many(p_appends jsonb, p_lock_timeout text)
RETURNS TABLE (ordinal integer, outcome text, stream_version bigint, last_position bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
DECLARE
  v_ids       text[];
  v_expected  bigint[];
  v_events    jsonb[];
  v_version   bigint[];   -- per append: its stream's version when locked (NULL: no stream), then after it
  v_hash      text[];
  v_ok        boolean[];
  v_after     integer[];  -- per append: the append it is made only after (NULL: none)
  v_n         integer;
  v_first_ids uuid[];
  v_event     jsonb;
  v_row       record;
  v_list      jsonb;
  v_at        bigint;
  v_last      text;
  -- every event to insert, in order
  e_stream    text[] := '{}';
  e_version   bigint[] := '{}';
  e_event     jsonb[] := '{}';
  e_prev      text[] := '{}';
  e_hash      text[] := '{}';
  v_positions jsonb;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_timeout, true);
  SELECT array_agg(a.value->>'streamId' ORDER BY a.n),
         array_agg((a.value->>'expectedVersion')::bigint ORDER BY a.n),
         array_agg(a.value->'events' ORDER BY a.n),
         array_agg((a.value->'events'->0->>'eventId')::uuid),
         array_agg((a.value->>'after')::integer ORDER BY a.n)
    INTO v_ids, v_expected, v_events, v_first_ids, v_after
    FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(value, n);
  v_n := coalesce(cardinality(v_ids), 0);
  IF v_n = 0 THEN
    RETURN;
  END IF;

  IF (SELECT count(DISTINCT id) FROM unnest(v_ids) AS id) <> v_n
     OR EXISTS (SELECT 1 FROM es_events e WHERE e.event_id = ANY (v_first_ids)) THEN
    RETURN QUERY SELECT * FROM es_append_each(p_appends, p_lock_timeout);
    RETURN;
  END IF;

  -- A stream that may be created (any version, no stream, version 0) and is not there yet.
  INSERT INTO es_streams (stream_id, version, last_hash)
    SELECT x.id, 0, repeat('0', 64) FROM unnest(v_ids, v_expected) AS x(id, expected)
     WHERE x.expected IN (-1, -2, 0)
     ORDER BY x.id
  ON CONFLICT DO NOTHING;

  -- Every stream row of the call locked, in stream id order (the caller's), so that two calls never
  -- wait for each other in a cycle; a stream without a row keeps no version (NULL).
  v_version := array_fill(NULL::bigint, ARRAY[v_n]);
  v_hash := array_fill(NULL::text, ARRAY[v_n]);
  FOR v_row IN
    SELECT w.n, s.version, s.last_hash
      FROM unnest(v_ids) WITH ORDINALITY AS w(id, n) JOIN es_streams s ON s.stream_id = w.id
     ORDER BY s.stream_id
       FOR UPDATE OF s
  LOOP
    v_version[v_row.n] := v_row.version;
    v_hash[v_row.n] := v_row.last_hash;
  END LOOP;

  v_ok := array_fill(false, ARRAY[v_n]);
  FOR i IN 1..v_n LOOP
    v_ok[i] := NOT (v_version[i] IS NULL
      OR (v_expected[i] >= 0 AND v_expected[i] <> v_version[i])
      OR (v_expected[i] = -2 AND v_version[i] > 0)
      OR (v_expected[i] = -3 AND v_version[i] = 0));
  END LOOP;
  -- An append made only after another (which itself follows none) is skipped when that one is not made.
  FOR i IN 1..v_n LOOP
    IF v_after[i] IS NOT NULL AND NOT v_ok[v_after[i]] THEN
      v_ok[i] := false;
    END IF;
  END LOOP;
  FOR i IN 1..v_n LOOP
    CONTINUE WHEN NOT v_ok[i];
    v_list := v_events[i];
    v_at := v_version[i];
    v_last := v_hash[i];
    FOR j IN 0..jsonb_array_length(v_list) - 1 LOOP
      v_event := v_list->j;
      e_prev := e_prev || v_last;
      v_at := v_at + 1;
      v_last := encode(sha256(convert_to(v_last || ':' || v_at::text || ':' || (v_event->>'contentHash'), 'UTF8')), 'hex');
      e_stream := e_stream || v_ids[i];
      e_version := e_version || v_at;
      e_event := e_event || v_event;
      e_hash := e_hash || v_last;
    END LOOP;
    v_version[i] := v_at;
    v_hash[i] := v_last;
  END LOOP;

  WITH inserted AS (
    INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, prev_hash, hash)
      SELECT e.stream, e.version, (e.event->>'eventId')::uuid, e.event->>'type',
             (e.event->>'schemaVersion')::integer, e.event->'data', e.event->'metadata', e.prev, e.hash
        FROM unnest(e_stream, e_version, e_event, e_prev, e_hash) WITH ORDINALITY
             AS e(stream, version, event, prev, hash, k)
       ORDER BY e.k
    RETURNING es_events.stream_id, es_events.global_position
  )
  SELECT jsonb_object_agg(p.stream_id, p.last) INTO v_positions
    FROM (SELECT i.stream_id, max(i.global_position) AS last FROM inserted i GROUP BY i.stream_id) p;

  UPDATE es_streams s SET version = u.version, last_hash = u.hash
    FROM unnest(v_ids, v_version, v_hash, v_ok) AS u(id, version, hash, ok)
   WHERE u.ok AND s.stream_id = u.id;

  FOR i IN 1..v_n LOOP
    ordinal := i;
    IF v_ok[i] THEN
      outcome := 'ok';
      stream_version := v_version[i];
      last_position := (v_positions->>v_ids[i])::bigint;
    ELSIF v_after[i] IS NOT NULL AND NOT v_ok[v_after[i]] THEN
      outcome := 'skipped';
      stream_version := coalesce(v_version[i], 0);
      last_position := NULL;
    -- A retry of these same events may have won the race since the check: then it is no conflict.
    ELSIF EXISTS (SELECT 1 FROM es_events e WHERE e.event_id = v_first_ids[i]) THEN
      SELECT d.outcome, d.stream_version, d.last_position INTO outcome, stream_version, last_position
        FROM es_append_duplicate(v_ids[i], v_events[i]) d;
    ELSE
      outcome := 'conflict';
      stream_version := coalesce(v_version[i], 0);
      last_position := NULL;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;
