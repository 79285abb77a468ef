-- The event store: one append-only log of events, grouped into streams.
-- Written for PostgreSQL 15 (server profile) and PGlite / PostgreSQL 18 (embedded profile) alike.

-- One row per stream: its current version and the hash of its last event. Appends lock this row,
-- so writers to one stream queue up while writers to different streams never wait for each other.
CREATE TABLE es_streams (
  stream_id  text PRIMARY KEY,
  version    bigint NOT NULL,
  last_hash  text NOT NULL
);

CREATE TABLE es_events (
  global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Readers order the log by (transaction_id, global_position) and read only below the oldest
  -- transaction still running, so an event that commits late is never skipped.
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text NOT NULL,
  stream_version  bigint NOT NULL,
  event_id        uuid NOT NULL,
  type            text NOT NULL,
  schema_version  integer NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  CONSTRAINT es_events_event_id_unique UNIQUE (event_id),
  CONSTRAINT es_events_stream_version_unique UNIQUE (stream_id, stream_version)
);

CREATE INDEX es_events_log_order ON es_events (transaction_id, global_position);

-- Appends one batch of events to one stream in one round trip.
--   p_expected_version: >= 0 exact version (0 = the stream has no events), -1 any, -2 no_stream, -3 stream_exists
--   p_events: [{eventId, type, schemaVersion, data, metadata, contentHash}]
-- Returns 'ok', 'duplicate' (these very events were appended before: nothing written) or
-- 'conflict' (with the stream's actual version; nothing written).
-- Each event's hash chains the previous one: sha256(prevHash ':' version ':' contentHash), where
-- contentHash is the sha256 of the event's canonical JSON, computed by the application.
CREATE FUNCTION es_append(p_stream_id text, p_expected_version bigint, p_events jsonb)
RETURNS TABLE (outcome text, stream_version bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_version  bigint;
  v_hash     text;
  v_prev     text;
  v_event    jsonb;
  v_position bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM es_events e WHERE e.event_id = (p_events->0->>'eventId')::uuid) THEN
    RETURN QUERY SELECT * FROM es_append_duplicate(p_stream_id, p_events);
    RETURN;
  END IF;

  SELECT s.version, s.last_hash INTO v_version, v_hash
    FROM es_streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
  IF NOT FOUND THEN
    IF p_expected_version = -3 OR p_expected_version > 0 THEN
      RETURN QUERY SELECT 'conflict'::text, 0::bigint, NULL::bigint;
      RETURN;
    END IF;
    INSERT INTO es_streams (stream_id, version, last_hash)
      VALUES (p_stream_id, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
    SELECT s.version, s.last_hash INTO v_version, v_hash
      FROM es_streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
  END IF;

  IF (p_expected_version >= 0 AND p_expected_version <> v_version)
     OR (p_expected_version = -2 AND v_version > 0)
     OR (p_expected_version = -3 AND v_version = 0) THEN
    -- A retry of these same events may have won the race: then this is not a conflict.
    IF EXISTS (SELECT 1 FROM es_events e WHERE e.event_id = (p_events->0->>'eventId')::uuid) THEN
      RETURN QUERY SELECT * FROM es_append_duplicate(p_stream_id, p_events);
    ELSE
      RETURN QUERY SELECT 'conflict'::text, v_version, NULL::bigint;
    END IF;
    RETURN;
  END IF;

  FOR v_event IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    v_version := v_version + 1;
    v_prev := v_hash;
    v_hash := encode(sha256(convert_to(v_prev || ':' || v_version::text || ':' || (v_event->>'contentHash'), 'UTF8')), 'hex');
    INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, prev_hash, hash)
      VALUES (p_stream_id, v_version, (v_event->>'eventId')::uuid, v_event->>'type',
              (v_event->>'schemaVersion')::integer, v_event->'data', v_event->'metadata', v_prev, v_hash)
      RETURNING global_position INTO v_position;
  END LOOP;

  UPDATE es_streams SET version = v_version, last_hash = v_hash WHERE stream_id = p_stream_id;
  RETURN QUERY SELECT 'ok'::text, v_version, v_position;
END
$$;

-- The answer to an append whose events are already stored: a no-op if the whole batch is there in
-- this stream, an error if an event id is reused for anything else.
CREATE FUNCTION es_append_duplicate(p_stream_id text, p_events jsonb)
RETURNS TABLE (outcome text, stream_version bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_found bigint;
BEGIN
  SELECT count(*) INTO v_found FROM es_events e
   WHERE e.stream_id = p_stream_id
     AND e.event_id IN (SELECT (x->>'eventId')::uuid FROM jsonb_array_elements(p_events) x);
  IF v_found <> jsonb_array_length(p_events) THEN
    RAISE EXCEPTION 'event id % is already used by another append', p_events->0->>'eventId'
      USING ERRCODE = 'unique_violation', CONSTRAINT = 'es_events_event_id_unique';
  END IF;
  RETURN QUERY
    SELECT 'duplicate'::text, max(e.stream_version), max(e.global_position) FROM es_events e
     WHERE e.stream_id = p_stream_id
       AND e.event_id IN (SELECT (x->>'eventId')::uuid FROM jsonb_array_elements(p_events) x);
END
$$;
