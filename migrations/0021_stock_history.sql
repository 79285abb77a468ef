-- Each SKU's stock after every event of its inventory stream, in the order the events were recorded,
-- so that "the stock as recorded at a moment" is one index probe (src/projections/stock-history/).
-- recorded_at is the event's recorded time as the store reads it (the appending transaction's start,
-- to the millisecond); within a stream it need not follow stream_version (a transaction that started
-- earlier may commit later), so the totals add up the deltas in (recorded_at, stream_version) order.
CREATE TABLE stock_history (
  sku            text NOT NULL,
  stream_version bigint NOT NULL,
  recorded_at    timestamptz NOT NULL,
  on_hand_delta  bigint NOT NULL,
  reserved_delta bigint NOT NULL,
  on_hand_total  bigint NOT NULL,
  reserved_total bigint NOT NULL,
  PRIMARY KEY (sku, stream_version),
  -- A constraint rather than a plain index: a rebuild makes its copy before replaying into it (plain
  -- indexes only after), and every batch probes it.
  CONSTRAINT stock_history_by_time UNIQUE (sku, recorded_at, stream_version)
);

-- Per SKU, the stream version up to which stock_history holds every event of the stream. Events of a
-- stream can reach the projection out of version order (the log is in commit order), so the highest
-- version held does not say that every lower one is there.
CREATE TABLE stock_history_skus (
  sku              text PRIMARY KEY,
  complete_through bigint NOT NULL
);
